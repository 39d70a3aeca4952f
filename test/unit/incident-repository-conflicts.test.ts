/**
 * What DynamoDB Local cannot show: it runs transactions one at a time and never reports a transaction
 * conflict. The cloud does, and the SDK does not retry it; the repository must (nothing was written).
 */
import { DynamoDBClient, TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { GridflowError } from '#domain/errors.js';
import type { Incident } from '#domain/incident.js';
import { toItem } from '#storage/incident-item.js';
import { IncidentRepository } from '#storage/incident-repository.js';
import { testIncident } from '../helpers/dynamodb.js';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
const ddb = mockClient(doc);
const repo = new IncidentRepository(doc, 'table', 'Asia/Shanghai');
beforeEach(() => ddb.reset());

const canceled = (...codes: string[]) => new TransactionCanceledException({
  message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })),
});
const resolvedFrom = (incident: Incident): Incident => ({
  ...incident, status: 'resolved', deadline: null, version: incident.version + 1,
  resolution: { note: 'Settled', by: 'hs-09', level: 'grid', at: incident.createdAt },
});
async function statusOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try { await p; return 'ok'; } catch (e) { if (e instanceof GridflowError) return e.status; throw e; }
}

test('create retries a transaction conflict on a counter, then commits', async () => {
  ddb.on(TransactWriteCommand).rejectsOnce(canceled('None', 'TransactionConflict')).resolves({});
  await repo.create(testIncident());
  const calls = ddb.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(2);
  // The incident put, then one ADD per cell: its day, month and all time, and the day's series.
  expect(calls[0]!.args[0].input.TransactItems).toHaveLength(1 + 4);
});

test('a counted save retries a conflict, then reads the stored incident back', async () => {
  const prev = testIncident();
  const next = resolvedFrom(prev);
  const stored = { ...next, workflow: { ...next.workflow, taskToken: 'token-9' } };
  ddb.on(TransactWriteCommand).rejectsOnce(canceled('TransactionConflict', 'None')).resolves({});
  ddb.on(GetCommand).resolves({ Item: toItem(stored) });
  expect(await repo.save(next, prev)).toEqual(stored);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
});

test('a failed condition on the incident is a 409 when it exists, a 404 when it does not', async () => {
  const prev = testIncident();
  ddb.on(TransactWriteCommand).rejects(canceled('ConditionalCheckFailed', 'None'));
  ddb.on(GetCommand).resolves({ Item: toItem(prev) });
  expect(await statusOf(repo.save(resolvedFrom(prev), prev))).toBe(409);
  ddb.on(GetCommand).resolves({});
  expect(await statusOf(repo.save(resolvedFrom(prev), prev))).toBe(404);
});

test('conflicts that never clear end as a 409 (a concurrent change), after a bounded number of attempts', async () => {
  const prev = testIncident();
  ddb.on(TransactWriteCommand).rejects(canceled('None', 'TransactionConflict'));
  expect(await statusOf(repo.save(resolvedFrom(prev), prev))).toBe(409);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(8);
}, 10_000);

test('any other cancellation is not retried', async () => {
  const prev = testIncident();
  ddb.on(TransactWriteCommand).rejects(canceled('None', 'ValidationError'));
  await expect(repo.save(resolvedFrom(prev), prev)).rejects.toBeInstanceOf(TransactionCanceledException);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
});

test('single-item writes retry while a transaction holds the incident', async () => {
  const conflictError = new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} });
  ddb.on(UpdateCommand).rejectsOnce(conflictError).resolves({});
  expect(await repo.setTaskToken('inc-1', 'token-1', 1)).toBe(true);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);

  // An uncounted save (an acknowledgement) is one UpdateItem, no transaction.
  const prev = testIncident();
  const acked = { ...prev, acknowledgedBy: 'hs-09', version: 2 };
  ddb.reset();
  ddb.on(UpdateCommand).rejectsOnce(conflictError).resolves({ Attributes: toItem(acked) });
  expect(await repo.save(acked, prev)).toEqual(acked);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
});
