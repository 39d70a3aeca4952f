/**
 * GET /health — no token. 200 when a handler runs and the county's table answers; 503 problem+json with
 * `Retry-After` when the database cannot answer within HEALTH_TIMEOUT_MS (contract §10). One consistent GetItem
 * of a key nothing is stored under: the cheapest read that proves the table is there and answering.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { GridflowError } from '#domain/errors.js';
import { documentClient, tableName } from '#storage/dynamodb.js';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY } from '#storage/table-design.js';
import { httpHandler, json, RETRY_AFTER_SECONDS } from '#commons/http.js';
import { logger } from '#commons/logger.js';

/** Well inside the function's 3 s timeout. */
export const HEALTH_TIMEOUT_MS = 2_000;
const PROBE_KEY = { [TABLE_PARTITION_KEY]: 'HEALTH', [TABLE_SORT_KEY]: 'HEALTH' };

export const handler = httpHandler({ auth: false }, async () => {
  try {
    await documentClient.send(new GetCommand({ TableName: tableName(), Key: PROBE_KEY, ConsistentRead: true }), { abortSignal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
  } catch (error) {
    logger.warn('health: the database did not answer', { error: error as Error });
    throw new GridflowError('service-unavailable', `The database did not answer within ${HEALTH_TIMEOUT_MS / 1000} s.`, { cause: error, retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
  return json(200, { status: 'ok' });
});
