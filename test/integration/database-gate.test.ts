/**
 * The local runtime queues its handlers' DynamoDB requests at the gate (local/database-gate.ts): however many
 * reports and workflow steps run at once, the engine never has more than `databaseInFlight` of them.
 */
import { dynamoDb } from '#storage/dynamodb.js';
import { until } from '../helpers/county-client.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';

const LIMIT = 2;
let t: TestCounty;
let inFlight = 0;
let most = 0;

beforeAll(async () => {
  t = await startTestCounty('testville', { databaseInFlight: LIMIT });
  // Counted where a request leaves for the engine: after the gate (finalizeRequest), before the HTTP handler.
  dynamoDb.middlewareStack.add((next) => async (args) => {
    most = Math.max(most, ++inFlight);
    try {
      return await next(args);
    } finally {
      inFlight--;
    }
  }, { step: 'deserialize', priority: 'low', name: 'testInFlight', override: true });
}, 90_000);
afterAll(async () => { await t?.stop(); });

test(`twelve reports at once and their workflows: never more than ${LIMIT} requests at the engine, every one answered`, async () => {
  const leader = await t.token('grid', 'north-01', 'leader-north-01');
  const body = { category: 'safety-hazard', gridId: 'north-01', title: 'Loose power line', description: 'A cable hangs low' };
  const answers = await Promise.all(Array.from({ length: 12 }, () => t.call('POST', '/incidents', { token: leader, body })));
  expect(answers.map((a) => a.status)).toEqual(Array(12).fill(201));
  await t.settled();
  // A stage waits once its token exists, while its await task's writes may still queue at the gate: let them
  // finish before the county stops (else they fail afterwards, against a dropped table).
  await until('the engine idle', () => inFlight === 0);
  // Concurrency reached the gate (a test that never queued would prove nothing) and the gate held it.
  expect(most).toBe(LIMIT);
});
