/** GET /incidents — incidents in the caller's jurisdiction, filtered, paged with an opaque signed cursor. */
import { toIncidentView } from '#domain/view.js';
import { cursorBinding, decodeCursor, encodeCursor } from '#storage/cursor.js';
import { cursorKey } from '#commons/cursor-key.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, json } from '#commons/http.js';
import { incidents } from '#commons/stores.js';
import { planList } from './list-plan.js';
import { ListQuery } from './schemas.js';

export const handler = httpHandler({ query: ListQuery }, async (event) => {
  const query = event.parsed.query;
  const { index, jurisdiction } = currentCounty();
  const plan = planList(event.caller, query, index, jurisdiction);
  // The cursor is bound to the caller and the query, so it cannot be replayed against another one.
  const binding = `${event.caller.sub}|${cursorBinding(plan ?? { index: 'none', partition: '' })}`;
  const key = await cursorKey();
  const startKey = query.cursor ? decodeCursor(query.cursor, binding, key) : undefined;
  if (!plan) return json(200, { items: [], nextCursor: null });
  const page = await incidents().list({ ...plan, limit: query.limit, ...(startKey ? { startKey } : {}) });
  const at = now();
  return json(200, {
    items: page.items.map((i) => toIncidentView(i, event.caller, at, jurisdiction)),
    nextCursor: page.lastKey ? encodeCursor(page.lastKey, binding, key) : null,
  });
});
