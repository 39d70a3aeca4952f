/**
 * The whole county on one machine (contract §6): DynamoDB Local as a child process with its files in the
 * data dir, the state machine definition CDK synthesizes for the county stack run by aws-local-stepfunctions,
 * local Step Functions and SNS endpoints for the handlers' SDK clients, and an API Gateway stand-in serving
 * the same handlers. Executions live in memory; on start the reconciler (the same handler as in the
 * cloud) resumes a workflow for every open incident, and anything that fell due meanwhile fires at once.
 */
import './polyfills.js';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { loadCounty, loadCountyFile } from '#config/county-loader.js';
import type { County } from '#config/county-schema.js';
import type { Level } from '#domain/incident.js';
import type { ReconcileReport } from '#workflow/reconcile.js';
import { ensureTable } from '#storage/create-table.js';
import { translateConfig } from '#storage/dynamodb.js';
import { backfill } from '#storage/index-backfill.js';
import { resetClock, startClockAt } from '#commons/clock.js';
import { CONSOLE_URL_ENV } from '#commons/console-url.js';
import { topicEnv } from '#commons/topics.js';
import { startAwsEndpoints, type AwsEndpoints, type PublishRequest } from './aws-endpoints.js';
import { startDynamoDbLocal, superviseDynamoDbLocal } from './dynamodb-local.js';
import { checkAgainstTable } from './config-check.js';
import { assertWritableDir } from './data-dir.js';
import { DATABASE_IN_FLIGHT, gateDatabase } from './database-gate.js';
import { startGateway, type RunningGateway } from './http-gateway.js';
import { createNotificationSink, NOTIFICATIONS_FILE, type NotificationSink } from './notification-sink.js';
import { LOCAL_ACCOUNT, LOCAL_PARTITION, LOCAL_REGION } from './stepfunctions/definition.js';
import { synthesizedDefinition } from './synthesized-definition.js';
import { LocalStepFunctions } from './stepfunctions/runner.js';
import { createLocalVerifier } from './tokens.js';
import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';
import { createConsoleServer } from './console-server.js';

export interface LocalCountyOptions {
  /** County id under counties/ (default `shouyang`), or `configFile`. */
  countyId?: string;
  configFile?: string;
  /** Absolute data directory: DynamoDB files, signing key, notifications.jsonl. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Keep DynamoDB in memory (tests that need no restart). @default false */
  inMemory?: boolean;
  /**
   * A DynamoDB that is already running (tests share one engine per jest worker): neither started, supervised nor
   * stopped here; the county's table gets `tableName`. @default - DynamoDB Local started for this county
   */
  dynamoDb?: { endpoint: string; tableName: string };
  /**
   * The handlers' DynamoDB requests in flight at once; the rest wait their turn in order (local/database-gate.ts).
   * @default 32 (DATABASE_IN_FLIGHT)
   */
  databaseInFlight?: number;
  /** How often the reconciler runs after start-up. @default 60 */
  reconcileEverySeconds?: number;
  /**
   * The county's clock starts at this instant and runs on at normal speed (`npm start -- --clock`, contract §7):
   * handlers, the workflow's waits and the runtime read it. Tokens keep real time. @default the real clock
   */
  clock?: Date;
  /**
   * DynamoDB Local died or stalled and could not be started again. `npm start` exits non-zero with the message.
   * @default the error is logged
   */
  onFatal?: (error: Error) => void;
}

export interface LocalCounty {
  url: string;
  /** `<url>/console`: the console's base, where notification links point. */
  consoleUrl: string;
  port: number;
  dataDir: string;
  county: County;
  stepFunctions: LocalStepFunctions;
  notificationsFile: string;
  /**
   * Every Publish the local SNS endpoint accepted, in order, before the notification sink drops repeats:
   * what SNS would have delivered (the last 100 000).
   */
  publishes(): readonly PublishRequest[];
  /** Runs the reconciler now (as the cloud schedule would). */
  reconcile(): Promise<ReconcileReport>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const PUBLISHES_KEPT = 100_000;
/** `arn:aws:<service>:local:000000000000`, the local account and region of every local ARN. */
const localArn = (service: string) => `arn:${LOCAL_PARTITION}:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}`;

function cursorSecretOf(dataDir: string): string {
  const file = join(dataDir, 'cursor-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `${localArn('lambda')}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomBytes(16).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** `http://localhost:<port>` when the gateway listens on a loopback address, else undefined. */
function localConsoleOrigin(host: string | undefined, port: number): string | undefined {
  return host === undefined || ['127.0.0.1', '::1', 'localhost'].includes(host) ? `http://localhost:${port}` : undefined;
}

export async function startLocalCounty(opts: LocalCountyOptions): Promise<LocalCounty> {
  const county = opts.configFile ? loadCountyFile(opts.configFile) : loadCounty(opts.countyId ?? 'shouyang');
  // Everything lives in the data dir: say so at once if it cannot be written (DynamoDB Local would only time out).
  assertWritableDir(opts.dataDir);
  if (!opts.inMemory) assertWritableDir(join(opts.dataDir, 'dynamodb'));
  const stoppers: (() => Promise<unknown>)[] = [];
  let answeredByDatabase = 0;
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    // Before anything reads the time: the reconciler at start-up already decides what fell due.
    if (opts.clock) {
      startClockAt(opts.clock);
      stoppers.push(async () => resetClock());
    }
    // 1. The database, with its files in the data dir so data survives a restart.
    // On disk it is supervised: a dead or stalled engine is started again on the same port and files.
    const runtimeLog = new Logger({ serviceName: 'gridflow-local' });
    const ddb = opts.dynamoDb ?? (opts.inMemory ? await startDynamoDbLocal({ inMemory: true }) : await superviseDynamoDbLocal({ dataDir: join(opts.dataDir, 'dynamodb') }, {
      onRestart: (reason) => runtimeLog.warn(`DynamoDB Local ${reason}; starting it again`),
      onGiveUp: opts.onFatal ?? ((error) => runtimeLog.error('DynamoDB Local is gone', { error })),
      answered: () => answeredByDatabase,
    }));
    if ('stop' in ddb) stoppers.push(() => ddb.stop());
    const tableName = opts.dynamoDb?.tableName ?? `gridflow-${county.id}`;
    const admin = new DynamoDBClient({ endpoint: ddb.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(admin, tableName);
    // A county file that removes a grid or category with open incidents is refused, listing them (contract §2).
    await checkAgainstTable(county, admin, tableName, opts.configFile ?? `counties/${county.id}.json`);
    // A data dir from before an index was added: ensureTable created the index, this fills it (a no-op once done,
    // resumed if a start was cut short); lists read it only once it is complete (functions/storage/index-backfill.ts).
    const filled = await backfill(DynamoDBDocumentClient.from(admin, translateConfig), tableName, 'gridCategory');
    if (filled.written > 0 || filled.resumed) runtimeLog.info('index backfilled', { ...filled });
    admin.destroy();

    // 2. The state machine CDK synthesizes for this county's stack (bundling skipped: code runs in-process).
    // Without the webhooks: here the notification sink posts them, and a local one may be plain http://
    // (the cloud stack, which subscribes them to SNS, refuses that).
    const { definition, functions } = await synthesizedDefinition({ ...county, webhooks: [] });

    // 3. Handlers are imported once the environment points their module-scope SDK clients here.
    let handlers: Record<string, (event: unknown, context: Context) => Promise<unknown>> | undefined;
    const stepFunctions = new LocalStepFunctions({
      definition,
      functions,
      stateMachineName: tableName,
      invoke: async (entry, event) => {
        const handler = handlers?.[entry];
        if (!handler) throw new Error(`no local handler for ${entry}`);
        return handler(event, lambdaContext(entry.replace(/^functions\/|\.ts$/g, '').replace(/\//g, '-')));
      },
    });
    stoppers.push(async () => stepFunctions.shutdown());
    const topicArn = (level: Level) => `${localArn('sns')}:gridflow-${county.id}-${level}`;
    const topics = new Map<string, Level>(county.ladder.map((l) => [topicArn(l), l]));
    // The channel relay runs on every message once the handlers are loaded (below), as its SNS subscription would.
    let relay: ((message: { message: string; attributes: Record<string, string> }) => Promise<unknown>) | undefined;
    const sink: NotificationSink = createNotificationSink({
      dataDir: opts.dataDir, webhooks: county.webhooks, topicLevel: (arn) => topics.get(arn),
      relay: async (record) => relay?.(record),
    });
    stoppers.push(() => sink.close());
    const published: PublishRequest[] = [];
    const functionEntries = new Map(Object.values(functions).map((f) => [f.logicalId, f.entry]));
    const timeoutOf = new Map(Object.values(functions).map((f) => [f.entry, f.timeoutSeconds]));
    const endpoints: AwsEndpoints = await startAwsEndpoints({
      stepFunctions,
      invoke: (name, event) => {
        const entry = functionEntries.get(name);
        const handler = entry === undefined ? undefined : handlers?.[entry];
        return handler?.(event, lambdaContext(name));
      },
      publish: (m) => {
        published.push(m);
        if (published.length > 2 * PUBLISHES_KEPT) published.splice(0, published.length - PUBLISHES_KEPT);
        return sink.publish(m);
      },
    });
    stoppers.push(() => endpoints.close());

    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SFN: endpoints.url,
      AWS_ENDPOINT_URL_SNS: endpoints.url,
      TABLE_NAME: tableName,
      COUNTY_ID: county.id,
      STATE_MACHINE_ARN: stepFunctions.stateMachineArn,
      CURSOR_SECRET: cursorSecretOf(opts.dataDir),
      GRIDFLOW_SECRETS_FILE: join(opts.dataDir, 'secrets.json'),
      POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'gridflow',
      ...Object.fromEntries(county.ladder.map((l) => [topicEnv(l), topicArn(l)])),
    });
    const { useCounty } = await import('#commons/county.js');
    useCounty(county);
    const { HANDLERS, ROUTES } = await import('./handlers.js');
    handlers = HANDLERS;
    // What the supervisor needs to tell a busy database from a stalled one: the handlers' requests it answered.
    const { dynamoDb } = await import('#storage/dynamodb.js');
    dynamoDb.middlewareStack.add((next) => async (args) => {
      const out = await next(args);
      answeredByDatabase++;
      return out;
    }, { step: 'finalizeRequest', name: 'gridflowAnsweredCount', override: true });
    // One client serves every function here (in Lambda each has its own): queue its requests in order rather
    // than send a burst's thousand at once to DynamoDB Local (local/database-gate.ts).
    gateDatabase(dynamoDb, opts.databaseInFlight ?? DATABASE_IN_FLIGHT);
    const { problem } = await import('#commons/http.js');
    const { relayMessage } = await import('#channels/relay.js');
    relay = (message) => relayMessage(message, county);

    // 4. The API, behind a stand-in for API Gateway and its JWT authorizer.
    const gateway: RunningGateway = await startGateway({
      port: opts.port,
      ...(opts.host ? { host: opts.host } : {}),
      routes: ROUTES.map((r) => ({ method: r.method, path: r.path, auth: r.auth, handler: r.handler, timeoutMs: (timeoutOf.get(r.entry) ?? 30) * 1000 })),
      verify: await createLocalVerifier(opts.dataDir),
      intercept: createConsoleServer({ county, dataDir: opts.dataDir }),
      renderProblem: (error) => {
        const p = problem(error);
        return { statusCode: p.statusCode ?? error.status, headers: (p.headers ?? {}) as Record<string, string>, body: String(p.body ?? '') };
      },
    });
    stoppers.push(() => gateway.close());
    // The console is served under /console of the same server: notifications link there (contract §9 writes it
    // http://localhost:<port>/console, the name a person types; a host given with --host stays as given).
    const consoleUrl = `${localConsoleOrigin(opts.host, gateway.port) ?? gateway.url}/console`;
    process.env[CONSOLE_URL_ENV] = consoleUrl;

    // 5. Resume every workflow the record says should be running; repeat as the cloud schedule does.
    const reconcile = async () => (await HANDLERS['functions/workflow/reconcile.ts']!({}, lambdaContext('reconcile'))) as ReconcileReport;
    await reconcile();
    const timer = setInterval(() => { reconcile().catch(() => undefined); }, (opts.reconcileEverySeconds ?? 60) * 1000);
    timer.unref();
    stoppers.push(async () => clearInterval(timer));

    // For local ops commands (npm run -s stuck): where this county's AWS endpoints are, while it runs.
    const reconcileFunction = [...functionEntries].find(([, entry]) => entry === 'functions/workflow/reconcile.ts')?.[0];
    writeRuntimeFile(opts.dataDir, { pid: process.pid, apiUrl: gateway.url, awsEndpoint: endpoints.url, dynamoDbEndpoint: ddb.endpoint, ...(reconcileFunction ? { reconcileFunction } : {}) });
    stoppers.push(async () => removeRuntimeFile(opts.dataDir, process.pid));

    return {
      url: gateway.url,
      consoleUrl,
      port: gateway.port,
      dataDir: opts.dataDir,
      county,
      stepFunctions,
      notificationsFile: join(opts.dataDir, NOTIFICATIONS_FILE),
      publishes: () => published.slice(-PUBLISHES_KEPT),
      reconcile,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
