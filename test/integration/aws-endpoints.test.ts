import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, InvalidToken, ListExecutionsCommand,
  SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand,
  StateMachineDoesNotExist, StopExecutionCommand, TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { County } from '#config/county-schema.js';
import type { Level } from '#domain/incident.js';
import { startAwsEndpoints, type AwsEndpoints } from '#local/aws-endpoints.js';
import { createNotificationSink, NOTIFICATIONS_FILE, type NotificationRecord, type NotificationSink } from '#local/notification-sink.js';
import { renderDefinition, type CfnTemplate } from '#local/stepfunctions/definition.js';
import { LocalStepFunctions } from '#local/stepfunctions/runner.js';
import { IncidentWorkflow } from '#workflows/incident-workflow.js';
import type { SyncStep } from '#workflows/stages.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'cn-north-1';
const TOPICS: Record<string, Level> = {
  'arn:aws-cn:sns:cn-north-1:123456789012:gridflow-shouyang-town': 'town',
  'arn:aws-cn:sns:cn-north-1:123456789012:gridflow-shouyang-grid': 'grid',
};
const TOWN_TOPIC = 'arn:aws-cn:sns:cn-north-1:123456789012:gridflow-shouyang-town';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function renderWorkflow() {
  const stack = new Stack(new App(), 'AwsEndpointsTest');
  const fn = (id: string, entry: string) => {
    const f = new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    });
    (f.node.defaultChild as lambda.CfnFunction).addMetadata('gridflow:entry', entry);
    return f;
  };
  new IncidentWorkflow(stack, 'Workflow', {
    ladder: ['grid', 'town', 'city'],
    syncFunction: fn('Sync', 'functions/workflow/sync.ts'),
    awaitFunction: fn('Await', 'functions/workflow/await.ts'),
  });
  return renderDefinition(Template.fromStack(stack).toJSON() as CfnTemplate);
}

/** A local webhook receiver: every POST body per path. */
async function startReceiver(): Promise<{ url: string; received: Map<string, NotificationRecord[]>; server: Server }> {
  const received = new Map<string, NotificationRecord[]>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const list = received.get(req.url ?? '') ?? [];
      list.push(JSON.parse(body) as NotificationRecord);
      received.set(req.url ?? '', list);
      res.writeHead(req.url === '/broken' ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string): Promise<T> {
  const end = Date.now() + 5_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const rendered = renderWorkflow();
let decisions: SyncStep[] = [];
let sfn: LocalStepFunctions;
let endpoints: AwsEndpoints;
let client: SFNClient;
let sink: NotificationSink;
let dataDir: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let webhooks: County['webhooks'];

beforeAll(async () => {
  receiver = await startReceiver();
  webhooks = [
    { level: 'town', url: `${receiver.url}/pingtou`, filter: { townId: ['pingtou'], category: ['conflict', 'safety'] } },
    { level: 'town', url: `${receiver.url}/other-town`, filter: { townId: ['other'] } },
    { level: 'grid', url: `${receiver.url}/grid-level` },
    { level: 'town', url: `${receiver.url}/everything-town` },
  ];
});
afterAll(async () => {
  await new Promise((r) => receiver.server.close(r));
});

beforeEach(async () => {
  decisions = [];
  dataDir = await mkdtemp(join(tmpdir(), 'gridflow-endpoints-'));
  receiver.received.clear();
  sfn = new LocalStepFunctions({
    ...rendered,
    logger: silent,
    invoke: async (entry) => (entry.endsWith('sync.ts') ? decisions.shift() ?? { next: 'end', waitSeconds: 1, version: 1 } : null),
  });
  sink = createNotificationSink({ dataDir, webhooks, topicLevel: (arn) => TOPICS[arn], logger: silent });
  endpoints = await startAwsEndpoints({ stepFunctions: sfn, publish: (msg) => sink.publish(msg) });
  client = new SFNClient({ endpoint: endpoints.url, region, credentials, maxAttempts: 1 });
});
afterEach(async () => {
  client.destroy();
  await endpoints.close();
  await sfn.shutdown();
  await sink.close();
  await rm(dataDir, { recursive: true, force: true });
});

const start = (name: string) => client.send(new StartExecutionCommand({
  stateMachineArn: sfn.stateMachineArn, name, input: JSON.stringify({ incidentId: name }),
}));
const waitingToken = () => until(() => sfn.waitingTokens()[0]?.token, 'a waiting token');

describe('Step Functions endpoint, called with the real SFNClient', () => {
  it('starts, wakes and describes an execution, and refuses a spent or made-up token with typed errors', async () => {
    decisions = [{ next: 'grid', waitSeconds: 600, version: 1 }, { next: 'end', waitSeconds: 1, version: 2 }];
    const started = await start('inc-1-1');
    expect(started.executionArn).toMatch(/:execution:gridflow-local:inc-1-1$/);
    expect(started.startDate).toBeInstanceOf(Date);
    const token = await waitingToken();

    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ woken: 'acknowledged' }) }));
    const done = await until(async () => {
      const d = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      return d.status === 'SUCCEEDED' && d;
    }, 'SUCCEEDED');
    expect(done).toMatchObject({ name: 'inc-1-1', stateMachineArn: sfn.stateMachineArn, input: '{"incidentId":"inc-1-1"}' });
    expect(done.startDate).toBeInstanceOf(Date);
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(done.output!).signal).toEqual({ woken: 'acknowledged' });

    const again = client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await expect(again).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(again).rejects.toMatchObject({ name: 'TaskTimedOut', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'made-up', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
  });

  it('answers ExecutionAlreadyExists, StopExecution, SendTaskFailure and unknown ARNs like AWS', async () => {
    decisions = [{ next: 'grid', waitSeconds: 600, version: 1 }];
    const { executionArn, startDate } = await start('inc-2-1');
    await waitingToken();
    // Same name and input while it runs: the same execution (idempotent); another input: refused.
    expect(await start('inc-2-1')).toMatchObject({ executionArn, startDate });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'inc-2-1', input: '{"incidentId":"x"}' })))
      .rejects.toBeInstanceOf(ExecutionAlreadyExists);

    const stopped = await client.send(new StopExecutionCommand({ executionArn, error: 'Replaced' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Replaced' });
    // A closed execution's name is refused.
    await expect(start('inc-2-1')).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    decisions = [{ next: 'town', waitSeconds: 600, version: 1 }, { next: 'town', waitSeconds: 600, version: 1 }];
    const second = await start('inc-2-2');
    const token = await until(() => sfn.waitingTokens().find((t) => t.executionArn === second.executionArn)?.token, 'token');
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Boom', cause: 'it broke' }));
    const failed = await until(async () => {
      const d = await client.send(new DescribeExecutionCommand({ executionArn: second.executionArn }));
      return d.status === 'FAILED' && d;
    }, 'FAILED');
    expect(failed).toMatchObject({ error: 'Boom', cause: 'it broke' });

    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn, statusFilter: 'ABORTED' }));
    expect(listed.executions?.map((e) => e.name)).toEqual(['inc-2-1']);
    await expect(client.send(new DescribeExecutionCommand({ executionArn: `${executionArn}-x` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: `${sfn.stateMachineArn}-other`, name: 'x' })))
      .rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('is where an SDK client without an endpoint goes when AWS_ENDPOINT_URL_SFN / _SNS point here', async () => {
    const saved = { sfn: process.env.AWS_ENDPOINT_URL_SFN, sns: process.env.AWS_ENDPOINT_URL_SNS };
    process.env.AWS_ENDPOINT_URL_SFN = endpoints.url;
    process.env.AWS_ENDPOINT_URL_SNS = endpoints.url;
    try {
      // As functions/commons/clients.ts creates them: no endpoint in code.
      const plainSfn = new SFNClient({ region, credentials, maxAttempts: 1 });
      const plainSns = new SNSClient({ region, credentials, maxAttempts: 1 });
      const { executionArn } = await plainSfn.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'env-1' }));
      expect(sfn.describeExecution(executionArn!).name).toBe('env-1');
      const { MessageId } = await plainSns.send(new PublishCommand({ TopicArn: TOWN_TOPIC, Message: 'hello' }));
      expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
      plainSfn.destroy();
      plainSns.destroy();
    } finally {
      for (const [key, value] of [['AWS_ENDPOINT_URL_SFN', saved.sfn], ['AWS_ENDPOINT_URL_SNS', saved.sns]] as const) {
        if (value === undefined) delete process.env[key]; else process.env[key] = value;
      }
    }
  });
});

describe('SNS endpoint and the notification sink', () => {
  const sns = () => new SNSClient({ endpoint: endpoints.url, region, credentials, maxAttempts: 1 });
  const attributes = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]));
  const place = { event: 'escalated', level: 'town', countyId: 'shouyang', townId: 'pingtou', communityId: 'heishui', gridId: 'heishui-09', category: 'conflict', incidentId: 'inc-9' };
  const lines = async () => (await readFile(join(dataDir, NOTIFICATIONS_FILE), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as NotificationRecord);

  it('writes notifications.jsonl and posts to the webhooks of the level whose filter matches', async () => {
    const client = sns();
    const { MessageId } = await client.send(new PublishCommand({
      TopicArn: TOWN_TOPIC, Subject: 'gridflow escalated (town) conflict', Message: '事件已升级到镇：邻里纠纷',
      MessageAttributes: attributes(place),
    }));
    client.destroy();
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    await sink.flush();

    const [record, ...rest] = await lines();
    expect(rest).toEqual([]);
    expect(record).toEqual({
      publishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), topic: TOWN_TOPIC, level: 'town',
      subject: 'gridflow escalated (town) conflict', message: '事件已升级到镇：邻里纠纷', attributes: place,
    });
    expect(receiver.received.get('/pingtou')).toEqual([record]);
    expect(receiver.received.get('/everything-town')).toEqual([record]);
    expect(receiver.received.has('/other-town')).toBe(false); // filter does not match
    expect(receiver.received.has('/grid-level')).toBe(false); // another level
  });

  it('publishes a notificationId once, across a restart and a torn last line', async () => {
    const client = sns();
    const publish = () => client.send(new PublishCommand({
      TopicArn: TOWN_TOPIC, Message: 'm', MessageAttributes: attributes({ ...place, notificationId: 'inc-9#3' }),
    }));
    const first = await publish();
    const replay = await publish();
    expect(replay.MessageId).toBe(first.MessageId);
    await sink.flush();
    expect(await lines()).toHaveLength(1);
    expect(receiver.received.get('/pingtou')).toHaveLength(1);

    // Restart: a new sink on the same data dir, after a crash tore a half-written line.
    await sink.close();
    await writeFile(join(dataDir, NOTIFICATIONS_FILE), `${await readFile(join(dataDir, NOTIFICATIONS_FILE), 'utf8')}{"publishedAt":"20`);
    sink = createNotificationSink({ dataDir, webhooks, topicLevel: (arn) => TOPICS[arn], logger: silent });
    expect((await publish()).MessageId).toBe(first.MessageId);
    await client.send(new PublishCommand({ TopicArn: TOWN_TOPIC, Message: 'new', MessageAttributes: attributes({ ...place, notificationId: 'inc-9#4' }) }));
    client.destroy();
    await sink.flush();

    const text = await readFile(join(dataDir, NOTIFICATIONS_FILE), 'utf8');
    const rows = text.split('\n');
    expect(rows[1]).toBe('{"publishedAt":"20'); // the torn line stays, alone on its line
    expect(JSON.parse(rows[2] ?? '').attributes.notificationId).toBe('inc-9#4');
    expect(receiver.received.get('/pingtou')!.map((r) => r.attributes.notificationId)).toEqual(['inc-9#3', 'inc-9#4']);
  });

  it('writes a burst of messages published at once each once, in the order they came, duplicates among them once', async () => {
    const ids = Array.from({ length: 300 }, (_, n) => `inc-burst#${n}`);
    // Straight to the sink, as the endpoint hands every Publish to it: all of them before any write ends.
    const published = await Promise.all([...ids, ...ids.slice(0, 50)].map((notificationId) => sink.publish({
      topicArn: TOWN_TOPIC, message: notificationId, attributes: { ...place, notificationId },
    })));
    expect(new Set(published).size).toBe(ids.length); // a duplicate answers the first message's id
    await sink.flush();
    expect((await lines()).map((l) => l.attributes.notificationId)).toEqual(ids);
  });

  it('answers SNS errors for an unknown topic and a missing message', async () => {
    const client = sns();
    await expect(client.send(new PublishCommand({ TopicArn: `${TOWN_TOPIC}-nope`, Message: 'm' })))
      .rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new PublishCommand({ TopicArn: TOWN_TOPIC, Message: '' })))
      .rejects.toMatchObject({ name: 'InvalidParameterException' });
    client.destroy();
  });

  it('never throws for a failing, unreachable or slow webhook', async () => {
    const slow = createServer(() => undefined); // accepts and never answers
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const warnings: unknown[] = [];
    const troubled = createNotificationSink({
      dataDir,
      webhooks: [
        { level: 'town', url: `${receiver.url}/broken` },
        { level: 'town', url: 'http://127.0.0.1:1/unreachable' },
        { level: 'town', url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow?secret=abc` },
      ],
      topicLevel: (arn) => TOPICS[arn],
      logger: { info: () => undefined, warn: (...args) => { warnings.push(args); } },
      webhookTimeoutMs: 1_500, // the slow one times out; the broken one answers well within it even on a loaded machine
    });
    await expect(troubled.publish({ topicArn: TOWN_TOPIC, message: 'm', attributes: {} })).resolves.toEqual(expect.any(String));
    await troubled.close();
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
    expect(warnings).toHaveLength(3);
    expect(JSON.stringify(warnings)).not.toContain('secret');
    expect(receiver.received.get('/broken')).toHaveLength(1);
  });
});
