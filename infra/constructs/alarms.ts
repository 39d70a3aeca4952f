/**
 * What ops must hear about, on one encrypted ops topic, with as few alarm metrics as cover every failure
 * (CloudWatch bills each metric an alarm watches, $0.10 a month in us-east-1, metric math included):
 *
 * - `Failures`: the depth of the county's failure queue (failures.ts), which holds failed, timed-out and
 *   aborted workflow executions (so every error of the workflow's own functions, sync and await, once the
 *   state machine's retries are spent), failed reconciler and relay invocations, and dead webhook and relay
 *   deliveries.
 * - `Api5xx`: the API answered 5xx, which is what an API handler's error or throttle becomes (API Gateway
 *   answers 500 when its Lambda integration fails or is throttled).
 * - one per watched function (the Cognito pre-token trigger, which no other signal covers): its errors plus
 *   throttles in one metric-math alarm.
 *
 * Every alarm treats missing data as fine (no traffic is not an outage) and reports OK again, so ops see a
 * failure end. The topic's policy lets CloudWatch publish (a topic policy replaces SNS's default one) and the
 * key's policy lets CloudWatch use the key (notificationKey in level-topics.ts).
 */
import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { encryptedTopic } from './level-topics.js';

export interface OpsAlarmsProps {
  readonly countyId: string;
  readonly key: kms.IKey;
  /** The county's failure queue (failures.ts). */
  readonly failures: sqs.IQueue;
  readonly api: IHttpApi;
  /** Functions no other alarm covers, by name (the name becomes part of the alarm's id). @default - none */
  readonly watchedFunctions?: Readonly<Record<string, lambda.IFunction>>;
  /** E-mail addresses subscribed to the ops topic (deployment.ops.emails, then -c opsEmails). @default - none */
  readonly opsEmails?: readonly string[];
  /**
   * The reconciler's log group: its line `incident workflow stuck` (logged once per incident, naming it) raises
   * one alarm when an incident's workflow failed too often to be restarted (functions/workflow/reconcile.ts).
   * @default - no such alarm
   */
  readonly reconcilerLogs?: logs.ILogGroup;
}

export class OpsAlarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;
  private readonly countyId: string;

  constructor(scope: Construct, id: string, props: OpsAlarmsProps) {
    super(scope, id);
    this.countyId = props.countyId;
    this.topic = encryptedTopic(this, 'OpsTopic', { key: props.key, displayName: `gridflow ${props.countyId} ops` });
    // The alarms of this account and region publish here; nothing else acting as CloudWatch may.
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }));
    [...new Set(props.opsEmails ?? [])].forEach((email, i) => {
      new sns.Subscription(this, `OpsEmail${i}`, { topic: this.topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: email });
    });
    this.action = new actions.SnsAction(this.topic);
    const period = Duration.minutes(5);

    this.alarm('Failures', props.failures.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'something failed with nobody to tell: a workflow execution failed, timed out or was aborted, or a reconciler run, a channel relay '
      + 'or a webhook delivery gave up; the messages in the failure queue say which');
    this.alarm('Api5xx', props.api.metricServerError({ period, statistic: 'Sum' }), 'the HTTP API answered 5xx (a handler failed or was throttled)');
    for (const [name, fn] of Object.entries(props.watchedFunctions ?? {})) {
      this.alarm(`${name}Failures`, new cloudwatch.MathExpression({
        expression: 'FILL(errors, 0) + FILL(throttles, 0)',
        usingMetrics: { errors: fn.metricErrors({ period, statistic: 'Sum' }), throttles: fn.metricThrottles({ period, statistic: 'Sum' }) },
        period,
      }), `Lambda ${name} failed or was throttled`);
    }

    if (props.reconcilerLogs) {
      // One more alarm metric ($0.10 a month): an incident that no longer escalates by itself is worth it.
      const stuck = new logs.MetricFilter(this, 'IncidentsStuckFilter', {
        logGroup: props.reconcilerLogs,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'incident workflow stuck'),
        metricNamespace: 'gridflow',
        metricName: `IncidentsStuck-${props.countyId}`,
        metricValue: '1',
      });
      this.alarm('IncidentsStuck', stuck.metric({ period, statistic: 'Sum' }),
        'an incident\'s workflow failed 3 times in a row and is no longer restarted; the reconcile function\'s log line '
        + '"incident workflow stuck" names it. After a fix: aws lambda invoke --function-name <ReconcileFunctionName output> '
        + '--cli-binary-format raw-in-base64-out --payload \'{"stuck":"retry"}\' out.json (or "list")');
    }
  }

  /** One more alarm to the ops topic (threshold: at least 1 in a period). */
  alarm(alarmId: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
    const a = new cloudwatch.Alarm(this, alarmId, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `gridflow ${this.countyId}: ${description}`,
    });
    a.addAlarmAction(this.action);
    a.addOkAction(this.action);
    this.alarms.push(a);
    return a;
  }
}

/** Alarm metrics CloudWatch bills for an alarm (a metric-math alarm pays for every metric it reads). */
export function billedAlarmMetrics(alarm: { Properties?: { MetricName?: unknown; Metrics?: readonly { MetricStat?: unknown }[] } }): number {
  const p = alarm.Properties ?? {};
  if (p.MetricName !== undefined) return 1;
  return (p.Metrics ?? []).filter((m) => m.MetricStat !== undefined).length;
}
