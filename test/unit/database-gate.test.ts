/**
 * The local runtime's database gate (local/database-gate.ts), with the real SDK client against a small HTTP
 * server standing in for DynamoDB Local that holds each request until the test lets it go.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { gateDatabase } from '#local/database-gate.js';

interface Held { key: string; answer: () => void }

/** Answers every GetItem with an empty item, when the test says so (or after `autoAnswerMs`). */
async function heldServer(autoAnswerMs?: number) {
  const held: Held[] = [];
  const arrived: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const waiters: (() => void)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const key = (JSON.parse(body) as { Key: { pk: { S: string } } }).Key.pk.S;
      arrived.push(key);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const answer = () => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      };
      if (autoAnswerMs !== undefined) setTimeout(answer, autoAnswerMs);
      else held.push({ key, answer });
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint, held, arrived,
    maxInFlight: () => maxInFlight,
    /** Resolves once `n` requests have arrived in all. */
    arrivals: async (n: number) => { while (arrived.length < n) await new Promise<void>((r) => waiters.push(r)); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The SDK's middleware before the gate is asynchronous: let it run until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 10_000) throw new Error('the condition never held');
    await new Promise((r) => setImmediate(r));
  }
}

const clientOf = (endpoint: string, requestHandler: object = {}) => new DynamoDBClient({
  endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1, requestHandler,
});
const get = (client: DynamoDBClient, key: string, abortSignal?: AbortSignal) =>
  client.send(new GetItemCommand({ TableName: 'gate', Key: { pk: { S: key } } }), abortSignal ? { abortSignal } : {});

test('at most the limit in flight, the rest sent in the order they were asked for', async () => {
  const server = await heldServer();
  const client = clientOf(server.endpoint);
  const gate = gateDatabase(client, 3);
  const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
  const all = Promise.all(keys.map((k) => get(client, k)));
  await server.arrivals(3);
  await until(() => gate.waiting() === 7);
  expect(gate.inFlight()).toBe(3);
  // Answer one at a time, oldest first: exactly one more arrives for each answer.
  for (let answered = 1; answered <= 7; answered++) {
    server.held.shift()!.answer();
    await server.arrivals(3 + answered);
  }
  server.held.splice(0).forEach((h) => h.answer());
  await all;
  expect(server.maxInFlight()).toBe(3);
  expect(server.arrived).toEqual(keys);
  expect(gate.inFlight()).toBe(0);
  client.destroy();
  await server.close();
});

test("waiting at the gate does not count against the SDK's connection timeout, as waiting for a socket does", async () => {
  const server = await heldServer(150);
  const timeouts = { connectionTimeout: 100, requestTimeout: 5_000, throwOnRequestTimeout: true };
  // One socket and no gate: the fourth request waits for the socket about 450 ms and times out at 100.
  const pooled = clientOf(server.endpoint, { ...timeouts, httpAgent: { maxSockets: 1 } });
  const pooledResults = await Promise.allSettled(['a', 'b', 'c', 'd'].map((k) => get(pooled, k)));
  expect(pooledResults.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.name)).toContain('TimeoutError');
  // The same wait at the gate (one at a time, as the server saw): every request succeeds.
  const quiet = await heldServer(150);
  const gated = clientOf(quiet.endpoint, { ...timeouts, httpAgent: { maxSockets: 1_000 } });
  gateDatabase(gated, 1);
  const gatedResults = await Promise.allSettled(['e', 'f', 'g', 'h'].map((k) => get(gated, k)));
  expect(gatedResults.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  expect(quiet.maxInFlight()).toBe(1);
  pooled.destroy();
  gated.destroy();
  await server.close();
  await quiet.close();
});

test("a caller's abort signal holds while its request waits at the gate, and frees its place", async () => {
  const server = await heldServer();
  const client = clientOf(server.endpoint);
  const gate = gateDatabase(client, 1);
  const first = get(client, 'first');
  await server.arrivals(1);
  const controller = new AbortController();
  const bounded = get(client, 'bounded', controller.signal).catch((e: unknown) => e);
  const after = get(client, 'after');
  await until(() => gate.waiting() === 2);
  controller.abort();
  expect(await bounded).toMatchObject({ name: 'AbortError' });
  expect(gate.waiting()).toBe(1);
  server.held.shift()!.answer();
  await server.arrivals(2);
  server.held.shift()!.answer();
  await Promise.all([first, after]);
  expect(server.arrived).toEqual(['first', 'after']);
  client.destroy();
  await server.close();
});
