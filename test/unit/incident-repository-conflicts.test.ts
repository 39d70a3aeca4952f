/**
 * What DynamoDB Local cannot show: it runs transactions one at a time and never reports a transaction
 * conflict. The cloud does, and the SDK does not retry it; the repository must (nothing was written).
 */
import { DynamoDBClient, TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { GridflowError } from '#domain/errors.js';
import { toItem } from '#storage/incident-item.js';
import { IncidentRepository } from '#storage/incident-repository.js';
import { testIncident } from '../helpers/dynamodb.js';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
const ddb = mockClient(doc);
const repo = new IncidentRepository(doc, 'table');
beforeEach(() => ddb.reset());

const canceled = (...codes: string[]) => new TransactionCanceledException({
  message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })),
});
const conflictError = () => new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} });
async function statusOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try { await p; return 'ok'; } catch (e) { if (e instanceof GridflowError) return e.status; throw e; }
}
const progress = { from: 2, through: 3, counted: { place: { townId: 't', gridId: 'g', category: 'c', day: '2025-03-01' }, counters: { total: 1 } } };
const cell = { Update: { TableName: 'table', Key: { pk: 'STATS#ALL', sk: 't#g#c' }, UpdateExpression: 'ADD #c0 :c0', ExpressionAttributeNames: { '#c0': 'total' }, ExpressionAttributeValues: { ':c0': 1 } } };

test('a report is one PutItem: no transaction, no counter', async () => {
  ddb.on(PutCommand).resolves({});
  await repo.create(testIncident());
  expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
});

test('progress with counter additions is one transaction, retried on a conflict, false when another run moved the mark', async () => {
  ddb.on(TransactWriteCommand).rejectsOnce(canceled('None', 'TransactionConflict')).resolves({});
  expect(await repo.advanceProgress('inc-1', progress, [cell])).toBe(true);
  const calls = ddb.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(2);
  expect(calls[0]!.args[0].input.TransactItems).toHaveLength(2);
  expect(calls[0]!.args[0].input.TransactItems![0]!.Update!.ConditionExpression).toBe('#through = :from');

  ddb.reset();
  ddb.on(TransactWriteCommand).rejects(canceled('ConditionalCheckFailed', 'None'));
  expect(await repo.advanceProgress('inc-1', progress, [cell])).toBe(false);
});

test('conflicts that never clear end after a bounded number of attempts; other cancellations are not retried', async () => {
  ddb.on(TransactWriteCommand).rejects(canceled('None', 'TransactionConflict'));
  await expect(repo.advanceProgress('inc-1', progress, [cell])).rejects.toBeInstanceOf(TransactionCanceledException);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(8);
  ddb.reset();
  ddb.on(TransactWriteCommand).rejects(canceled('None', 'ValidationError'));
  await expect(repo.advanceProgress('inc-1', progress, [cell])).rejects.toBeInstanceOf(TransactionCanceledException);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
}, 10_000);

test('single-item writes retry while a transaction holds the item', async () => {
  ddb.on(UpdateCommand).rejectsOnce(conflictError()).resolves({});
  ddb.on(GetCommand).resolves({ Item: { version: 1 } });
  expect(await repo.setTaskToken('inc-1', 'token-1', 1)).toBe(true);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);

  // A save is one UpdateItem of the incident item, then a consistent read of the token.
  const prev = testIncident();
  const acked = { ...prev, acknowledgedBy: 'hs-09', version: 2 };
  ddb.reset();
  ddb.on(UpdateCommand).rejectsOnce(conflictError()).resolves({ Attributes: toItem(acked) });
  ddb.on(GetCommand).resolves({ Item: { pk: `INC#${prev.id}`, sk: 'WORKFLOW', taskToken: 'token-9', through: 2 } });
  expect(await repo.save(acked, prev)).toEqual({ ...acked, workflow: { ...acked.workflow, taskToken: 'token-9', notifiedThrough: 2 } });
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
});

test('a failed version condition is a 409 when the incident exists, a 404 when it does not', async () => {
  const prev = testIncident();
  const failed = (item?: unknown) => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', ...(item ? { Item: item } : {}) });
  ddb.on(UpdateCommand).rejects(failed(toItem(prev)));
  expect(await statusOf(repo.save({ ...prev, version: 2 }, prev))).toBe(409);
  ddb.on(UpdateCommand).rejects(failed());
  expect(await statusOf(repo.save({ ...prev, version: 2 }, prev))).toBe(404);
});
