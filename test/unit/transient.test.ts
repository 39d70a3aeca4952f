/** Which dependency failures pass (503/504 at the API, retried with backoff by the workflow) and which do not. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GridflowError } from '#domain/errors.js';
import { asTaskError, transientKind } from '#commons/transient.js';

const named = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, ...extra });

test.each([
  [named('TimeoutError'), 'timeout'],
  [named('Error', { code: 'ETIMEDOUT' }), 'timeout'],
  [named('ProvisionedThroughputExceededException', { $metadata: { httpStatusCode: 400 } }), 'unavailable'],
  [named('ThrottlingException'), 'unavailable'],
  [named('Throttled'), 'unavailable'],
  [named('InternalServerError', { $metadata: { httpStatusCode: 500 } }), 'unavailable'],
  [named('Error', { code: 'ECONNREFUSED' }), 'unavailable'],
  [named('SomethingNew', { $metadata: { httpStatusCode: 503 } }), 'unavailable'],
  [named('Wrapper', { cause: named('TimeoutError') }), 'timeout'],
  [named('ValidationException', { $metadata: { httpStatusCode: 400 } }), null],
  [named('ConditionalCheckFailedException', { $metadata: { httpStatusCode: 400 } }), null],
  [new TypeError('x is undefined'), null],
  ['a string', null],
])('%s is %s', (error, kind) => {
  expect(transientKind(error)).toBe(kind);
});

test('a dependency that cannot be reached, as the SDK reports it (also wrapped, as under a test VM)', async () => {
  const client = new DynamoDBClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  const error = await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } })).catch((e: unknown) => e);
  expect(transientKind(error)).toBe('unavailable');
  expect(asTaskError(error)).toMatchObject({ name: 'TransientError', cause: error });
  client.destroy();
});

test('a domain error is never a transient one', () => {
  const conflict = new GridflowError('conflict', 'changed');
  expect(asTaskError(conflict)).toBe(conflict);
});
