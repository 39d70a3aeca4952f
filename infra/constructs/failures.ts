/**
 * The county's failure queue: one KMS-encrypted SQS queue where everything that went wrong without a caller
 * to tell lands, with the details ops need to act: workflow executions that failed, timed out or were aborted
 * (an EventBridge rule on Step Functions' own status-change events), reconciler runs that failed after their
 * retries or could not be delivered, channel-relay invocations that failed after theirs, and SNS deliveries
 * to webhooks and to the relay that were given up. One alarm on its depth (alarms.ts) covers them all.
 *
 * Why a queue rather than an alarm per source: CloudWatch bills every metric an alarm watches, so a metric per
 * function and per failure kind is what made a county's alarms cost $2.50 a month. Events into a queue cost
 * nothing at rest, and the message in the queue says which execution or which notification failed.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface FailureQueueProps {
  readonly countyId: string;
  /** The county's notification key (its key policy admits SNS, EventBridge and CloudWatch). */
  readonly key: kms.IKey;
  /** How long a failure waits for ops. @default 14 days (the SQS maximum) */
  readonly retention?: Duration;
}

export class FailureQueue extends Construct {
  public readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: props.retention ?? Duration.days(14),
    });
    acknowledge(this.queue, 'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the county (SNS redrive, Lambda async failures, EventBridge target failures), which cdk-nag does not follow.');
  }

  /** Every execution of `stateMachine` that ends FAILED, TIMED_OUT or ABORTED is copied into the queue. */
  catchExecutionFailures(stateMachine: sfn.IStateMachine): events.Rule {
    return new events.Rule(this, 'ExecutionFailures', {
      description: 'gridflow: workflow executions that did not succeed (the incident no longer escalates by itself until the reconciler restarts it)',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [stateMachine.stateMachineArn] },
      },
      targets: [new targets.SqsQueue(this.queue)],
    });
  }
}
