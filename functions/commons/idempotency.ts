/**
 * `Idempotency-Key` on the POST routes (contract §4): a repeat with the same key and body within 24 h
 * answers the first response again and changes nothing; the same key with another body is a 422.
 * Keys are per caller (`sub`), so two users cannot collide.
 */
import { hashRequest } from '#storage/idempotency.js';
import { conflict, unprocessable, validationFailed } from '#domain/errors.js';
import type { HttpResult, ParsedEvent } from './http.js';
import { idempotency } from './stores.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

export async function idempotent(event: ParsedEvent<unknown, unknown>, run: () => Promise<HttpResult>): Promise<HttpResult> {
  const key = event.headers['idempotency-key'];
  if (key === undefined) return run();
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
      throw conflict('A request with this Idempotency-Key is still being processed; retry shortly.');
    case 'new':
      break;
  }
  let result: HttpResult;
  try {
    result = await run();
  } catch (e) {
    // Nothing was stored for this key: a retry is evaluated afresh (and changes nothing if it fails again).
    await store.abandon(sub, key);
    throw e;
  }
  await store.complete(sub, key, {
    statusCode: result.statusCode ?? 200,
    body: typeof result.body === 'string' ? result.body : '',
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
  });
  return result;
}
