/**
 * GET /incidents — incidents in the caller's jurisdiction, filtered, paged with an opaque signed cursor. Items
 * carry everything but the timeline (GET /incidents/{id} has it).
 */
import { validationFailed } from '#domain/errors.js';
import { toIncidentView } from '#domain/view.js';
import { cursorBinding, decodeCursor, encodeCursor } from '#storage/cursor.js';
import { cursorKey } from '#commons/cursor-key.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, json } from '#commons/http.js';
import { incidents } from '#commons/stores.js';
import { planList } from './list-plan.js';
import { ListQuery } from './list-query.js';

export const handler = httpHandler({ query: ListQuery }, async (event) => {
  const query = event.parsed.query;
  const { index, jurisdiction } = currentCounty();
  const plan = planList(event.caller, query, index, jurisdiction);
  // The cursor is bound to the caller and the query, so it cannot be replayed against another one.
  const binding = `${event.caller.sub}|${cursorBinding(plan ?? { index: 'none', partition: '' })}`;
  const key = await cursorKey();
  const after = query.cursor ? decodeCursor(query.cursor, binding, key).after : undefined;
  if (query.cursor && typeof after !== 'string') throw validationFailed([{ path: 'cursor', message: 'is malformed' }], 'The cursor is not valid for this list.');
  if (!plan) return json(200, { items: [], nextCursor: null });
  const page = await incidents().list({ ...plan, limit: query.limit, ...(after !== undefined ? { after: String(after) } : {}) });
  const at = now();
  return json(200, {
    // Without their timelines (contract §10): a page of 100 stays far below Lambda's 6 MB response limit.
    items: page.items.map((i) => { const { timeline: _t, ...listed } = toIncidentView(i, event.caller, at, jurisdiction); return listed; }),
    nextCursor: page.after !== undefined ? encodeCursor({ after: page.after }, binding, key) : null,
  });
});
