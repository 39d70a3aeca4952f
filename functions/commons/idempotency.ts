/**
 * `Idempotency-Key` on the POST routes (contract §4): a repeat with the same key and body within 24 h
 * answers the first response again and changes nothing; the same key with another body is a 422.
 * Keys are per caller (`sub`), so two users cannot collide.
 *
 * The handler writes the response it will give in the same transaction as its change (`commit`), so the
 * response is recorded if and only if the change is. That is what makes a retry safe after an answer that
 * never came (a timeout against a stalled table, a 504, a lost connection): the write either happened, and
 * the retry replays its response, or it did not, and the retry applies the request once.
 */
import { hashRequest, type StoredResponse } from '#storage/idempotency.js';
import type { TransactItem } from '#storage/incident-repository.js';
import { GridflowError, unprocessable, validationFailed } from '#domain/errors.js';
import type { HttpResult, ParsedEvent } from './http.js';
import { logger } from './logger.js';
import { idempotency } from './stores.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The items that record `response` as this request's outcome, to write along with its change (none without a key). */
export type Commit = (response: HttpResult) => TransactItem[];

const stored = (result: HttpResult): StoredResponse => ({
  statusCode: result.statusCode ?? 200,
  body: typeof result.body === 'string' ? result.body : '',
  headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
});

export async function idempotent(event: ParsedEvent<unknown, unknown>, run: (commit: Commit) => Promise<HttpResult>): Promise<HttpResult> {
  const key = event.headers['idempotency-key'];
  if (key === undefined) return run(() => []);
  if (!KEY.test(key)) throw validationFailed([{ path: 'Idempotency-Key', message: 'use 1 to 255 visible ASCII characters' }]);
  const sub = event.caller.sub;
  const store = idempotency();
  const started = await store.begin(sub, key, hashRequest(event.requestContext.http.method, event.rawPath, event.rawBody ?? ''));
  switch (started.kind) {
    case 'replay':
      return {
        statusCode: started.response.statusCode,
        headers: { ...started.response.headers, 'idempotent-replayed': 'true' },
        body: started.response.body,
      };
    case 'mismatch':
      throw unprocessable('This Idempotency-Key was already used with a different request body.', [
        { path: 'Idempotency-Key', message: 'reused with a different body' },
      ]);
    case 'in-progress':
      throw new GridflowError('conflict', 'A request with this Idempotency-Key is still being processed; retry shortly.', { retryAfterSeconds: started.retryAfterSeconds });
    case 'new':
      break;
  }
  let committed = false;
  let result: HttpResult;
  try {
    result = await run((response) => {
      committed = true;
      return [store.completionItem(sub, key, started.attempt, stored(response))];
    });
  } catch (e) {
    // Nothing was stored for this key unless the change was (then the record is complete and stays): a retry is
    // evaluated afresh or replayed. Releasing the key is best effort: the table may be what failed.
    await store.abandon(sub, key, started.attempt).catch((error: unknown) => {
      logger.warn('could not release an Idempotency-Key; its lease releases it', { error: error as Error });
    });
    throw e;
  }
  if (!committed) await store.complete(sub, key, stored(result));
  return result;
}

