/**
 * cdk-nag's AwsSolutions pack on every synth of the app. cdk-nag 3 is a CDK policy-validation plugin: an
 * unacknowledged finding interrupts `cdk synth` and is listed in cdk.out/policy-validation-report.json.
 * Findings that are the design are acknowledged with `Validations.of(construct).acknowledge` next to the
 * resource they concern, each with its reason; the helpers below only spell the finding ids.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export function applyNag(app: IConstruct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Acknowledges a whole rule (e.g. `AwsSolutions-COG8`) on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: rule, reason });
}

/**
 * Acknowledges AwsSolutions-IAM5 findings on `scope`: wildcard actions (`kms:GenerateDataKey*`) and wildcard
 * resources, given as the ARN (token) the policy holds. cdk-nag 3 matches each finding id exactly, so the
 * resource is resolved and flattened the way cdk-nag prints it (`<Logical.Arn>`, `<AWS::Partition>`).
 */
export function acknowledgeWildcards(scope: IConstruct, wildcards: { actions?: readonly string[]; resources?: readonly string[] }, reason: string): void {
  const stack = Stack.of(scope);
  const ids = [
    ...(wildcards.actions ?? []).map((a) => `Action::${a}`),
    ...(wildcards.resources ?? []).map((r) => `Resource::${flatten(stack.resolve(r))}`),
  ];
  for (const id of ids) Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason });
}

/** cdk-nag's rendering of a CloudFormation value in finding ids. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return flatten(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
