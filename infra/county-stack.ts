/**
 * `Gridflow-<countyId>`: one county, production-grade on deploy. The HTTP API and its JWT authorizer, the
 * DynamoDB table, the incident workflow (the state machine the local runtime executes too), the level topics
 * and their subscriptions, the channel relay, the reconciler schedule, the failure queue, the ops alarms, and
 * the web console (S3 + CloudFront) with its sign-in.
 * Every function gets exactly the table, topic, state machine and secret actions its handler uses (the list
 * is below, in one place, and test/infra asserts it action by action).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CfnOutput, Duration, Tags, type StackProps, Stack } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import type { County } from '#config/county-schema.js';
import { CONSOLE_URL_ENV } from '#commons/console-url.js';
import { RELAYED_CHANNELS } from '#config/deployment-schema.js';
import { redactCounty } from '#config/redact.js';
import { topicEnv } from '#commons/topics.js';
import { CURSOR_KEY_PARAMETER_ENV } from '#commons/cursor-key.js';
import type { Level } from '#domain/incident.js';
import { INDEXES, TABLE_NAME_ENV, type IndexName } from '#storage/table-design.js';
import { BACKFILL_SETTLE_ENV } from '#storage/index-backfill.js';
import type { Channel } from '#config/deployment-schema.js';
import { IncidentWorkflow } from '#workflows/incident-workflow.js';
import { OpsAlarms } from './constructs/alarms.js';
import { GridflowFunction, REPO_ROOT } from './constructs/gridflow-function.js';
import { CountyHttpApi, type Throttle } from './constructs/http-api.js';
import { HANDLERS, type ApiFunctionName, type FunctionName } from './handlers.js';
import { ConsoleHosting } from './constructs/console-hosting.js';
import { CountyIdentity } from './constructs/identity.js';
import { IncidentTable } from './constructs/incident-table.js';
import { FailureQueue } from './constructs/failures.js';
import { LevelTopics, notificationKey } from './constructs/level-topics.js';
import { CITY_PUBLISHER_TAG } from './city-stack.js';
import { acknowledgeWildcards } from './nag.js';

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
   * The built console uploaded to the console bucket (a folder with index.html; absolute or repository-relative).
   * @default console/dist
   */
  readonly consoleDist?: string;
  /** E-mail addresses subscribed to the ops alarm topic, besides the county's `deployment.ops.emails`. @default - none */
  readonly opsEmails?: readonly string[];
  /** Subscriptions with a filter policy SNS allows per topic in this account (raised on request). @default 200 */
  readonly snsFilterPoliciesPerTopic?: number;
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
  public readonly console: ConsoleHosting;
  /** The relay is absent when nobody in the county has a channel. */
  public readonly functions: Readonly<Record<Exclude<FunctionName, 'relay'>, GridflowFunction>> & { readonly relay?: GridflowFunction };
  public readonly alarms: OpsAlarms;
  public readonly failures: FailureQueue;
  /** The county file bundled with the relay (`full`) and with every other function (`redacted`). */
  public readonly countyFiles: { readonly full: string; readonly redacted: string };
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
    const key = notificationKey(this, 'NotificationKey', `gridflow ${county.id}: notification topics, ops topic and failure queue`);
    this.failures = new FailureQueue(this, 'Failures', { countyId: county.id, key });
    // The console and its sign-in before the API: the API admits the console's origin (CORS) and accepts the
    // tokens of its sign-in client.
    this.console = new ConsoleHosting(this, 'Console', {
      county,
      identityOrigins: this.identity.origins,
      ...(props.consoleDist ? { distDir: props.consoleDist } : {}),
      ...(county.deployment?.console ? { domain: { name: county.deployment.console.domain, certificate: county.deployment.console.certificate } } : {}),
    });
    const consoleSignIn = this.identity.addConsoleClient({ callbackUrl: this.console.callbackUrl, logoutUrl: this.console.logoutUrl });

    const countyFile = props.countyFile === undefined ? resolve(REPO_ROOT, 'counties', `${county.id}.json`)
      : isAbsolute(props.countyFile) ? props.countyFile : resolve(REPO_ROOT, props.countyFile);
    // Contact data (names, phones, e-mails, channels) only where it is needed: the relay gets the full file,
    // every other function a redacted one (functions/config/redact.ts), written for this synth.
    const redactedFile = join(mkdtempSync(join(tmpdir(), 'gridflow-redacted-')), `${county.id}.json`);
    writeFileSync(redactedFile, JSON.stringify(redactCounty(county), null, 2));
    this.countyFiles = { full: countyFile, redacted: redactedFile };
    const common = { [TABLE_NAME_ENV]: this.table.tableName, COUNTY_ID: county.id, POWERTOOLS_SERVICE_NAME: 'gridflow' };
    const fn = (name: FunctionName, opts: { memorySize?: number; timeout?: Duration; environment?: Record<string, string>; failures?: boolean } = {}) => {
      const f = new GridflowFunction(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`, {
        entry: HANDLERS[name],
        countyFile: name === 'relay' ? countyFile : redactedFile,
        ...(opts.memorySize ? { memorySize: opts.memorySize } : {}),
        ...(opts.timeout ? { timeout: opts.timeout } : {}),
        // Invoked asynchronously (schedule, SNS): after Lambda's two retries the event goes to the failure queue.
        ...(opts.failures ? { deadLetterQueue: this.failures.queue, retryAttempts: 2 } : {}),
        environment: { ...common, ...opts.environment },
      });
      // Lambda sends the failed event with the function's own role; the queue is encrypted with the county key.
      if (opts.failures) f.allowFailureQueue(key);
      return f;
    };

    // The channel relay, when anyone has a channel: it reads the secrets the county file names.
    const channelsOf = (c: County) => [c.city.supervisors, c.supervisors, ...c.towns.map((t) => t.supervisors),
      ...c.towns.flatMap((t) => t.communities.flatMap((cm) => cm.grids.map((g) => [g.leader])))].flat().flatMap((p) => p.channels ?? []);
    const channels: Channel[] = channelsOf(county).filter((c) => (RELAYED_CHANNELS as readonly string[]).includes(c.type));
    const relay = channels.length > 0 ? fn('relay', { timeout: Duration.seconds(30), failures: true }) : undefined;
    this.topics = new LevelTopics(this, 'Notifications', {
      county,
      cityTopic: props.cityTopic,
      key,
      deadLetterQueue: this.failures.queue,
      ...(relay ? { relay } : {}),
      ...(props.snsFilterPoliciesPerTopic ? { filterPoliciesPerTopic: props.snsFilterPoliciesPerTopic } : {}),
    });

    // Workflow tasks first: the state machine names them, and the API handlers need the state machine.
    const topicArns = Object.fromEntries(Object.entries(this.topics.topics).map(([level, topic]) => [topicEnv(level as Level), topic.topicArn]));
    // Every notification links to the incident's page in the console (contract §9).
    const sync = fn('sync', { timeout: Duration.seconds(30), environment: { ...topicArns, [CONSOLE_URL_ENV]: this.console.url } });
    const awaitFn = fn('await', { memorySize: 256 });
    this.workflow = new IncidentWorkflow(this, 'Workflow', { ladder: county.ladder, syncFunction: sync, awaitFunction: awaitFn });
    const stateMachine = this.workflow.stateMachine;
    const machineEnv = { STATE_MACHINE_ARN: stateMachine.stateMachineArn };

    const report = fn('report', { environment: machineEnv });
    const getIncident = fn('getIncident');
    // The cursor-signing key: an SSM SecureString the list function generates on first use (cursor-key.ts).
    const cursorKeyParameter = `/gridflow/${county.id}/cursor-key`;
    const listIncidents = fn('listIncidents', { environment: { [CURSOR_KEY_PARAMETER_ENV]: cursorKeyParameter } });
    const act = fn('act');
    const stats = fn('stats');
    const health = fn('health', { memorySize: 128, timeout: Duration.seconds(3) });
    // Runs every few minutes; must finish before the next run starts.
    const reconcile = fn('reconcile', { timeout: Duration.minutes(4), environment: machineEnv, failures: true });
    // The backfill of an index added after deploy (functions/ops/backfill.ts): invoked on every deploy once the
    // table and the functions that write incidents are updated, asynchronously (a long scan never holds up or fails
    // the deploy; Lambda retries it, resuming, and its last failure reaches the alarmed failure queue).
    const writers = [report, act, sync];
    const backfill = fn('backfill', {
      timeout: Duration.minutes(15),
      failures: true,
      environment: { [BACKFILL_SETTLE_ENV]: String(Math.max(...writers.map((f) => f.timeout?.toSeconds() ?? 0)) + 5) },
    });
    new triggers.Trigger(this, 'BackfillOnDeploy', {
      handler: backfill,
      invocationType: triggers.InvocationType.EVENT,
      executeAfter: [this.table, ...writers],
    });
    this.functions = { report, getIncident, listIncidents, act, stats, health, sync, await: awaitFn, reconcile, backfill, ...(relay ? { relay } : {}) };

    this.api = new CountyHttpApi(this, 'Http', {
      countyId: county.id,
      authorizer: this.identity.authorizer,
      functions: { report, getIncident, listIncidents, act, stats, health },
      corsOrigins: [this.console.origin],
      ...(props.apiThrottle ? { throttle: props.apiThrottle } : {}),
    });
    this.console.publish({ apiUrl: this.api.url, auth: consoleSignIn });

    // Least privilege, per handler: exactly what its code sends (test/infra/county-stack.test.ts lists it too).
    // Idempotency records: GetItem, PutItem, UpdateItem and DeleteItem (a failed request leaves no record).
    report.grantTable(this.table, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
    report.allowStates(['states:StartExecution'], stateMachine);
    getIncident.grantTable(this.table, ['GetItem']);
    // /health reads one key to know the table answers (contract §10: 503 when it cannot).
    health.grantTable(this.table, ['GetItem']);
    listIncidents.grantIndexQuery(this.table, Object.keys(INDEXES) as IndexName[]);
    // The indexes hold keys and filter attributes: a page's incidents are read from the table in one batch.
    // GetItem: an item the batch's eventually consistent read missed, and the backfill marker (once per container).
    listIncidents.grantTable(this.table, ['BatchGetItem', 'GetItem']);
    listIncidents.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssm:GetParameter', 'ssm:PutParameter'],
      resources: [this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: cursorKeyParameter.slice(1) })],
    }));
    act.grantTable(this.table, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
    act.allowStates(['states:SendTaskSuccess'], stateMachine);
    // Stats come from the counter items on the table itself (GetItem/Query), no index.
    stats.grantTable(this.table, ['GetItem', 'Query']);
    sync.grantTable(this.table, ['GetItem', 'UpdateItem']);
    sync.allowPublish(Object.values(this.topics.ownTopics));
    if (this.topics.topics.city) this.allowCityPublish(sync, props.cityTopic);
    awaitFn.grantTable(this.table, ['UpdateItem']);
    awaitFn.allowStates(['states:SendTaskSuccess'], stateMachine);
    // GetItem: a stuck incident retried by id; UpdateItem: the execution in charge, the failure count, the stuck mark.
    // BatchGetItem: the active index holds keys only; a page's incident and bookkeeping items are read in one batch.
    reconcile.grantTable(this.table, ['BatchGetItem', 'GetItem', 'UpdateItem']);
    reconcile.grantIndexQuery(this.table, ['active']);
    // SendTaskSuccess: an execution that missed a supervisor's wake-up is woken.
    reconcile.allowStates(['states:StartExecution', 'states:DescribeExecution', 'states:SendTaskSuccess'], stateMachine);
    // Scan the incident items, set the index attribute (conditional UpdateItem), read the marker and a moved item.
    backfill.grantTable(this.table, ['GetItem', 'UpdateItem']);
    backfill.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [this.table.tableArn] }));
    if (relay) {
      // Delivery claims per notification (conditional Put, Update, Delete) and the incident for SMS parameters.
      relay.grantTable(this.table, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
      const secrets = [...channels.flatMap((c) => ('secret' in c ? [c.secret] : [])), ...(county.deployment?.sms ? [county.deployment.sms.secret] : [])];
      relay.grantSecrets(secrets);
    }

    this.reconcileSchedule = new events.Rule(this, 'ReconcileSchedule', {
      description: `gridflow ${county.id}: restart workflows of incidents whose execution is missing`,
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [new targets.LambdaFunction(reconcile, { retryAttempts: 2, maxEventAge: Duration.minutes(4), deadLetterQueue: this.failures.queue })],
    });
    this.failures.catchExecutionFailures(stateMachine);

    this.alarms = new OpsAlarms(this, 'Alarms', {
      countyId: county.id,
      key,
      failures: this.failures.queue,
      api: this.api.api,
      ...(this.identity.claimsFunction ? { watchedFunctions: { claims: this.identity.claimsFunction } } : {}),
      opsEmails: [...(county.deployment?.ops?.emails ?? []), ...(props.opsEmails ?? [])],
      reconcilerLogs: reconcile.logGroup,
    });

    this.suppressFindings();

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the county API' });
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.console.url}/`, description: 'The web console (notifications link here)' });
    new CfnOutput(this, 'ConsoleDistributionDomain', { value: this.console.distribution.distributionDomainName, description: 'CNAME target of deployment.console.domain' });
    new CfnOutput(this, 'ConsoleClientId', { value: consoleSignIn.clientId, description: 'OIDC client the console signs in with' });
    new CfnOutput(this, 'TokenIssuer', { value: this.identity.issuer });
    new CfnOutput(this, 'TokenAudience', { value: this.identity.audience });
    if (this.identity.userPool) new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'ReconcileFunctionName', {
      value: reconcile.functionName,
      description: 'Invoke with {"stuck":"list"} or {"stuck":"retry"} to list or retry incidents whose workflow is stuck',
    });
    new CfnOutput(this, 'BackfillFunctionName', {
      value: backfill.functionName,
      description: 'Runs on deploy; invoke with --invocation-type Event to fill an added index again (README, deploy step 8)',
    });
    new CfnOutput(this, 'OpsTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe ops here' });
    for (const [level, topic] of Object.entries(this.topics.ownTopics)) {
      new CfnOutput(this, `${level.charAt(0).toUpperCase()}${level.slice(1)}TopicArn`, { value: topic.topicArn });
    }
  }

  /**
   * sns:Publish on the city topic, from the sync role only: the role carries the tag the city topic's policy
   * admits (city-stack.ts). The topic uses the AWS managed key of SNS, whose policy admits every principal of
   * the account through SNS, so no KMS statement is needed.
   */
  private allowCityPublish(sync: GridflowFunction, cityTopic: sns.ITopic): void {
    sync.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [cityTopic.topicArn] }));
    Tags.of(sync.executionRole).add(CITY_PUBLISHER_TAG, this.county.id);
  }

  /** Findings that are the design, each with its reason, on the resource it concerns. */
  private suppressFindings(): void {
    const { stateMachine } = this.workflow;
    acknowledgeWildcards(stateMachine, {
      resources: ['*', ...[this.functions.sync, this.functions.await].map((f) => `${f.functionArn}:*`)],
    }, 'Step Functions log delivery and X-Ray actions support no resource-level permissions; <function ARN>:* covers the versions of this stack\'s own sync and await functions.');
  }
}
