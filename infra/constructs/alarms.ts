/**
 * What ops must hear about, on one encrypted ops topic: workflow executions that failed, timed out or were
 * aborted (an incident no longer escalates by itself), Lambda errors and throttles, API 5xx, and webhook
 * deliveries that ended in the dead-letter queue. Every alarm treats missing data as fine: no traffic is
 * not an outage.
 */
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { encryptedTopic } from './level-topics.js';

export interface OpsAlarmsProps {
  readonly countyId: string;
  readonly key: kms.IKey;
  readonly stateMachine: sfn.IStateMachine;
  /** Named functions: the name becomes part of the alarm's id and description. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly api: IHttpApi;
  readonly deadLetterQueue?: sqs.IQueue;
  /** E-mail addresses subscribed to the ops topic. @default - none; subscribe later (see README) */
  readonly opsEmails?: readonly string[];
}

export class OpsAlarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OpsAlarmsProps) {
    super(scope, id);
    this.topic = encryptedTopic(this, 'OpsTopic', { key: props.key, displayName: `gridflow ${props.countyId} ops` });
    props.opsEmails?.forEach((email, i) => {
      new sns.Subscription(this, `OpsEmail${i}`, { topic: this.topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: email });
    });
    const action = new actions.SnsAction(this.topic);
    const period = Duration.minutes(5);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `gridflow ${props.countyId}: ${description}`,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
    };

    const sm = props.stateMachine;
    alarm('ExecutionsFailed', sm.metricFailed({ period, statistic: 'Sum' }), 'a workflow execution failed; its incident no longer escalates by itself until the reconciler restarts it');
    alarm('ExecutionsTimedOut', sm.metricTimedOut({ period, statistic: 'Sum' }), 'a workflow execution timed out');
    alarm('ExecutionsAborted', sm.metricAborted({ period, statistic: 'Sum' }), 'a workflow execution was aborted');

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period, statistic: 'Sum' }), `Lambda ${name} reported errors`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), `Lambda ${name} was throttled`);
    }

    alarm('Api5xx', props.api.metricServerError({ period, statistic: 'Sum' }), 'the HTTP API answered 5xx');

    if (props.deadLetterQueue) {
      alarm('WebhookDeadLetters', props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        'webhook deliveries failed and wait in the dead-letter queue');
    }
  }
}
