/**
 * Opaque paging cursors: the LastEvaluatedKey as base64url JSON plus an HMAC-SHA256 over it and
 * the query it belongs to. A forged, truncated or foreign cursor is a 400 (contract §4), so a
 * client can neither read outside its jurisdiction through a crafted key nor reuse another list's cursor.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { validationFailed } from '../domain/errors.js';

export const CURSOR_SECRET_ENV = 'CURSOR_SECRET';
const MAX_CURSOR_LENGTH = 4096;
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

export function cursorSecret(): string {
  const secret = process.env[CURSOR_SECRET_ENV];
  if (!secret) throw new Error(`Environment variable ${CURSOR_SECRET_ENV} is not set: it signs the paging cursors`);
  return secret;
}

/** A fingerprint of everything that defines a list: a cursor only continues the list it came from. */
export function cursorBinding(query: { index: string; partition: string; ascending?: boolean; filters?: object }): string {
  const filters = Object.entries(query.filters ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([query.index, query.partition, query.ascending ?? null, filters]))
    .digest('base64url');
}

const mac = (payload: string, bindTo: string, secret: string) =>
  createHmac('sha256', secret).update(`${bindTo}\n${payload}`).digest();

export function encodeCursor(lastKey: Record<string, unknown>, bindTo: string, secret: string): string {
  const payload = Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
  return `${payload}.${mac(payload, bindTo, secret).toString('base64url')}`;
}

export function decodeCursor(cursor: string, bindTo: string, secret: string): Record<string, unknown> {
  const invalid = (message: string) => validationFailed([{ path: 'cursor', message }], 'The cursor is not valid for this list.');
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !SHAPE.test(cursor)) {
    throw invalid('must be a cursor returned as nextCursor by this list');
  }
  const [payload = '', signature = ''] = cursor.split('.');
  // Compared as text: base64url decoding ignores the last character's spare bits.
  const expected = Buffer.from(mac(payload, bindTo, secret).toString('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('was not issued for this list or has been altered');
  }
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is malformed');
  }
  // Signed by us, so well-formed unless the secret leaked; still checked, it becomes ExclusiveStartKey.
  if (typeof key !== 'object' || key === null || Array.isArray(key)
    || !Object.values(key).every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw invalid('is malformed');
  }
  return key as Record<string, unknown>;
}
