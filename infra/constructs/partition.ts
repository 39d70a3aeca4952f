/**
 * What a stack's partition offers. The China regions (partition aws-cn) lack Cognito user pools, SNS SMS
 * and Lambda's X-Ray integration; a stack with a known region decides at synth time, an environment-agnostic
 * stack decides at deploy time through CloudFormation conditions on AWS::Partition.
 */
import { Aws, CfnCondition, CfnResource, Fn, Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';

export type PartitionKnowledge = 'china' | 'other' | 'unknown';

/** `china` or `other` when the stack's region is known at synth time, `unknown` for an agnostic stack. */
export function partitionOf(stack: Stack): PartitionKnowledge {
  if (Token.isUnresolved(stack.region)) return 'unknown';
  return regionPartition(stack.region) === 'aws-cn' ? 'china' : 'other';
}

/** The ARN partition of a region name, e.g. `aws-cn` for cn-north-1. */
export function regionPartition(region: string): string {
  return RegionInfo.get(region).partition ?? (region.startsWith('cn-') ? 'aws-cn' : region.includes('-gov-') ? 'aws-us-gov' : 'aws');
}

const CHINA = 'GridflowIsChinaPartition';
const NOT_CHINA = 'GridflowIsNotChinaPartition';

/** True when an agnostic stack is deployed into a China region (one condition per stack). */
export function chinaCondition(stack: Stack): CfnCondition {
  return (stack.node.tryFindChild(CHINA) as CfnCondition | undefined)
    ?? new CfnCondition(stack, CHINA, { expression: Fn.conditionEquals(Aws.PARTITION, 'aws-cn') });
}

export function notChinaCondition(stack: Stack): CfnCondition {
  return (stack.node.tryFindChild(NOT_CHINA) as CfnCondition | undefined)
    ?? new CfnCondition(stack, NOT_CHINA, { expression: Fn.conditionNot(chinaCondition(stack)) });
}

/**
 * Whether to create something only the non-China partitions offer (SMS subscriptions): false in China;
 * in an agnostic stack the resource is created but guarded by a deploy-time condition (see `guardOutsideChina`).
 */
export const offeredOutsideChina = (stack: Stack): boolean => partitionOf(stack) !== 'china';

/** In an agnostic stack, makes `resource` conditional on not being deployed into aws-cn. */
export function guardOutsideChina(resource: CfnResource): void {
  const stack = Stack.of(resource);
  if (partitionOf(stack) === 'unknown') resource.cfnOptions.condition = notChinaCondition(stack);
}
