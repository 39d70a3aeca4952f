/**
 * DynamoDB refuses an item over 400 KB (names and values, UTF-8). An incident grows with its timeline, so a
 * change that would take it past the limit must be refused with a clear 409 (contract §10,
 * `.../incident-too-large`) before the write fails. Room is kept for what the workflow adds by itself
 * (escalations, reminders, overdue, closing, its task token): the workflow must never be the one that cannot
 * write.
 */
import { GridflowError } from '../domain/errors.js';
import type { Incident } from '../domain/incident.js';
import { toItem } from './incident-item.js';

export const MAX_ITEM_BYTES = 400 * 1024;
/**
 * What the workflow may add after the last change a person makes: a few dozen events (each ~250 bytes), a task token
 * (up to 1 KB) and its bookkeeping, with a wide margin.
 */
export const WORKFLOW_RESERVE_BYTES = 16 * 1024;
/** The largest item a supervisor's or reporter's change may leave. */
export const MAX_ITEM_BYTES_AFTER_ACTION = MAX_ITEM_BYTES - WORKFLOW_RESERVE_BYTES;
/**
 * Comments stop earlier: the room between the two limits lets an incident full of comments still be resolved,
 * escalated, verified or rejected (a note is at most 2,000 characters, 6 KB of UTF-8).
 */
export const MAX_ITEM_BYTES_AFTER_COMMENT = MAX_ITEM_BYTES_AFTER_ACTION - 16 * 1024;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** The size DynamoDB counts for a value (numbers at their maximum of 21 bytes: an upper bound). */
function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return 21;
  if (Array.isArray(value)) return 3 + value.reduce<number>((n, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value).reduce((n, [k, v]) => (v === undefined ? n : n + 1 + utf8(k) + valueSize(v)), 0);
  }
  return utf8(String(value));
}

export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((n, [name, v]) => (v === undefined ? n : n + utf8(name) + valueSize(v)), 0);
}

/** 409 `incident-too-large` when the incident after a change would leave too little room (less for a comment). */
export function assertRoomAfterChange(next: Incident, action: string): void {
  const size = itemSize(toItem(next));
  const limit = action === 'comment' ? MAX_ITEM_BYTES_AFTER_COMMENT : MAX_ITEM_BYTES_AFTER_ACTION;
  if (size > limit) {
    throw new GridflowError('incident-too-large',
      `The incident has reached its size limit (${Math.round(size / 1024)} KB of ${limit / 1024} KB, mostly its timeline): `
      + (action === 'comment'
        ? 'it takes no more comments. Resolve it, or report a new incident that refers to this one.'
        : 'use a shorter note, or report a new incident that refers to this one.'));
  }
}
