/**
 * `Gridflow-<countyId>`: one county, production-grade on deploy. The HTTP API and its JWT authorizer, the
 * DynamoDB table, the incident workflow (the state machine the local runtime executes too), the level topics
 * and their subscriptions, the reconciler schedule and the ops alarms. Every function gets exactly the table,
 * topic and state machine actions its handler uses.
 */
import { isAbsolute, resolve } from 'node:path';
import { Aws, CfnOutput, Duration, Fn, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { County } from '#config/county-schema.js';
import { CONSOLE_URL_ENV } from '#commons/console-url.js';
import { topicEnv } from '#commons/topics.js';
import type { Level } from '#domain/incident.js';
import { INDEXES, TABLE_NAME_ENV, type IndexName } from '#storage/table-design.js';
import { IncidentWorkflow } from '#workflows/incident-workflow.js';
import { OpsAlarms } from './constructs/alarms.js';
import { GridflowFunction, REPO_ROOT } from './constructs/gridflow-function.js';
import { CountyHttpApi, type ApiFunctionName, type Throttle } from './constructs/http-api.js';
import { CountyIdentity } from './constructs/identity.js';
import { IncidentTable } from './constructs/incident-table.js';
import { LevelTopics } from './constructs/level-topics.js';
import { CITY_PUBLISHER_TAG, cityTopicKeyAlias } from './city-stack.js';
import { acknowledge, acknowledgeWildcards } from './nag.js';

export type FunctionName = ApiFunctionName | 'sync' | 'await' | 'reconcile';

/** Handler files, relative to the repository root (also the `gridflow:entry` metadata the local runtime reads). */
export const HANDLERS: Readonly<Record<FunctionName, string>> = {
  report: 'functions/api/report.ts',
  getIncident: 'functions/api/get-incident.ts',
  listIncidents: 'functions/api/list-incidents.ts',
  act: 'functions/api/act.ts',
  stats: 'functions/api/stats.ts',
  health: 'functions/api/health.ts',
  sync: 'functions/workflow/sync.ts',
  await: 'functions/workflow/await.ts',
  reconcile: 'functions/workflow/reconcile.ts',
};

export interface CountyStackProps extends StackProps {
  readonly county: County;
  /** The city stack's topic. Same environment: CDK exports and imports it. Otherwise see `cityPublishPolicy`. */
  readonly cityTopic: sns.ITopic;
  /**
   * The county file bundled as `county.json` next to every handler (absolute or repository-relative).
   * @default counties/<countyId>.json
   */
  readonly countyFile?: string;
  /**
   * Base URL of the console, where every notification links (`<consoleUrl>/incidents/<id>`, contract §9).
   * @default - `<API endpoint>/console`
   */
  readonly consoleUrl?: string;
  /** E-mail addresses subscribed to the ops alarm topic. @default - none */
  readonly opsEmails?: readonly string[];
  /** @default 50 requests/s, bursts of 100 */
  readonly apiThrottle?: Throttle;
  /** Feature plan of the county's own user pool (ignored with deployment.identity). @default ESSENTIALS */
  readonly cognitoFeaturePlan?: cognito.FeaturePlan;
  /** How often the reconciler looks for incidents whose workflow is missing. @default 5 minutes */
  readonly reconcileEvery?: Duration;
}

export class CountyStack extends Stack {
  public readonly county: County;
  public readonly table: dynamodb.Table;
  public readonly workflow: IncidentWorkflow;
  public readonly topics: LevelTopics;
  public readonly api: CountyHttpApi;
  public readonly identity: CountyIdentity;
  public readonly functions: Readonly<Record<FunctionName, GridflowFunction>>;
  public readonly alarms: OpsAlarms;
  public readonly reconcileSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: CountyStackProps) {
    super(scope, id, props);
    const { county } = props;
    this.county = county;
    Tags.of(this).add('gridflow:county', county.id);

    this.identity = new CountyIdentity(this, 'Identity', {
      county,
      ...(props.cognitoFeaturePlan ? { featurePlan: props.cognitoFeaturePlan } : {}),
    });
    this.table = new IncidentTable(this, 'Incidents').table;
    this.topics = new LevelTopics(this, 'Notifications', { county, cityTopic: props.cityTopic });

    const countyFile = props.countyFile === undefined ? resolve(REPO_ROOT, 'counties', `${county.id}.json`)
      : isAbsolute(props.countyFile) ? props.countyFile : resolve(REPO_ROOT, props.countyFile);
    const common = { [TABLE_NAME_ENV]: this.table.tableName, COUNTY_ID: county.id, POWERTOOLS_SERVICE_NAME: 'gridflow' };
    const fn = (name: FunctionName, opts: { memorySize?: number; timeout?: Duration; environment?: Record<string, string> } = {}) =>
      new GridflowFunction(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`, {
        entry: HANDLERS[name],
        countyFile,
        ...(opts.memorySize ? { memorySize: opts.memorySize } : {}),
        ...(opts.timeout ? { timeout: opts.timeout } : {}),
        environment: { ...common, ...opts.environment },
      });

    // Workflow tasks first: the state machine names them, and the API handlers need the state machine.
    const topicArns = Object.fromEntries(Object.entries(this.topics.topics).map(([level, topic]) => [topicEnv(level as Level), topic.topicArn]));
    const sync = fn('sync', { timeout: Duration.seconds(30), environment: topicArns });
    const awaitFn = fn('await', { memorySize: 256 });
    this.workflow = new IncidentWorkflow(this, 'Workflow', { ladder: county.ladder, syncFunction: sync, awaitFunction: awaitFn });
    const stateMachine = this.workflow.stateMachine;
    const machineEnv = { STATE_MACHINE_ARN: stateMachine.stateMachineArn };

    const report = fn('report', { environment: machineEnv });
    const getIncident = fn('getIncident');
    const listIncidents = fn('listIncidents', {
      environment: {
        // An anti-tamper key for paging cursors (a forged cursor is a 400), not an authorisation secret: it only
        // has to be stable for the stack's life and unknown outside the account; the stack id's UUID is both.
        CURSOR_SECRET: Fn.select(2, Fn.split('/', Aws.STACK_ID)),
      },
    });
    const act = fn('act');
    const stats = fn('stats');
    const health = fn('health', { memorySize: 128, timeout: Duration.seconds(3) });
    // Runs every few minutes; must finish before the next run starts.
    const reconcile = fn('reconcile', { timeout: Duration.minutes(4), environment: machineEnv });
    this.functions = { report, getIncident, listIncidents, act, stats, health, sync, await: awaitFn, reconcile };

    this.api = new CountyHttpApi(this, 'Http', {
      countyId: county.id,
      authorizer: this.identity.authorizer,
      functions: { report, getIncident, listIncidents, act, stats, health },
      ...(props.apiThrottle ? { throttle: props.apiThrottle } : {}),
    });
    sync.addEnvironment(CONSOLE_URL_ENV, props.consoleUrl ?? `${this.api.url}/console`);

    // Least privilege, per handler.
    const allIndexes = Object.keys(INDEXES) as IndexName[];
    report.grantTable(this.table, 'readwrite');
    report.allowStates(['states:StartExecution'], stateMachine);
    getIncident.grantTable(this.table, 'read');
    listIncidents.grantTable(this.table, 'read', { indexes: allIndexes });
    act.grantTable(this.table, 'readwrite');
    act.allowStates(['states:SendTaskSuccess', 'states:SendTaskFailure'], stateMachine);
    // Stats come from the counter items on the table itself (GetItem/Query), no index.
    stats.grantTable(this.table, 'read');
    sync.grantTable(this.table, 'readwrite');
    sync.allowPublish(Object.values(this.topics.ownTopics));
    if (this.topics.topics.city) this.allowCityPublish(sync, props.cityTopic);
    awaitFn.grantTable(this.table, 'readwrite');
    awaitFn.allowStates(['states:SendTaskSuccess'], stateMachine);
    reconcile.grantTable(this.table, 'readwrite', { indexes: ['active'] });
    reconcile.allowStates(['states:StartExecution', 'states:DescribeExecution', 'states:ListExecutions'], stateMachine);

    this.reconcileSchedule = new events.Rule(this, 'ReconcileSchedule', {
      description: `gridflow ${county.id}: restart workflows of incidents whose execution is missing`,
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [new targets.LambdaFunction(reconcile, { retryAttempts: 2, maxEventAge: Duration.minutes(4) })],
    });

    this.alarms = new OpsAlarms(this, 'Alarms', {
      countyId: county.id,
      key: this.topics.key,
      stateMachine,
      functions: { ...this.functions, ...(this.identity.claimsFunction ? { claims: this.identity.claimsFunction } : {}) },
      api: this.api.api,
      ...(this.topics.webhookDeadLetters ? { deadLetterQueue: this.topics.webhookDeadLetters } : {}),
      ...(props.opsEmails ? { opsEmails: props.opsEmails } : {}),
    });

    this.suppressFindings();

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the county API' });
    new CfnOutput(this, 'TokenIssuer', { value: this.identity.issuer });
    new CfnOutput(this, 'TokenAudience', { value: this.identity.audience });
    if (this.identity.userPool) new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'OpsTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe ops here' });
    for (const [level, topic] of Object.entries(this.topics.ownTopics)) {
      new CfnOutput(this, `${level.charAt(0).toUpperCase()}${level.slice(1)}TopicArn`, { value: topic.topicArn });
    }
  }

  /**
   * sns:Publish on the city topic and the KMS use its encryption needs, from the sync role only. The role
   * carries the tag the city topic's policy admits (see city-stack.ts). In the same environment the topic and
   * key ARNs are CDK exports; across accounts or regions the topic ARN comes from the city topic's fixed name
   * and the key is matched by its alias, because CloudFormation exports do not cross environments.
   */
  private allowCityPublish(sync: GridflowFunction, cityTopic: sns.ITopic): void {
    const cityStack = Stack.of(cityTopic);
    const sameEnv = cityStack.account === this.account && cityStack.region === this.region;
    sync.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [cityTopic.topicArn] }));
    const kmsActions = ['kms:Decrypt', 'kms:GenerateDataKey*'];
    if (sameEnv && cityTopic.masterKey) {
      sync.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: kmsActions, resources: [cityTopic.masterKey.keyArn] }));
    } else {
      const anyKeyThere = this.formatArn({ service: 'kms', account: cityStack.account, region: cityStack.region, resource: 'key', resourceName: '*' });
      sync.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: kmsActions,
        resources: [anyKeyThere],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': cityTopicKeyAlias(this.county.city.id) } },
      }));
      acknowledgeWildcards(sync.executionRole, { resources: [anyKeyThere] },
        'Across environments the city key\'s id cannot be imported; the statement is limited by kms:ResourceAliases to the city topic\'s key alias.');
    }
    acknowledgeWildcards(sync.executionRole, { actions: ['kms:GenerateDataKey*'] },
      'Publishing to the KMS-encrypted city topic needs kms:GenerateDataKey* (SNS picks the data-key variant).');
    Tags.of(sync.executionRole).add(CITY_PUBLISHER_TAG, this.county.id);
  }

  /** Findings that are the design, each with its reason, on the resource it concerns. */
  private suppressFindings(): void {
    const { stateMachine } = this.workflow;
    acknowledgeWildcards(stateMachine, {
      resources: ['*', ...[this.functions.sync, this.functions.await].map((f) => `${f.functionArn}:*`)],
    }, 'Step Functions log delivery and X-Ray actions support no resource-level permissions; <function ARN>:* covers the versions of this stack\'s own sync and await functions.');
    if (this.topics.webhookDeadLetters) {
      acknowledge(this.topics.webhookDeadLetters, 'AwsSolutions-SQS3',
        'This queue is itself the dead-letter queue of the webhook subscriptions (an SNS redrive policy, which cdk-nag does not follow).');
    }
  }
}
