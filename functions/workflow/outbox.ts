/**
 * The timeline is the outbox. Once the workflow has changed an incident (or found it changed), the events past
 * its mark are published (publish.ts), then counted in the stats, and the mark moves past them: the stats
 * cells' additions and the new mark commit in one transaction, conditional on the old mark, so every event is
 * counted exactly once whichever run gets there first, and a crash before the commit publishes again (at least
 * once, with deterministic ids) and counts once. The stats thus follow each change within moments, off the
 * request path: the API's own write is a single item.
 */
import type { Incident } from '#domain/incident.js';
import { counted, counterWrites } from '#domain/stats.js';
import { countedOf, type Bookkeeping } from '#storage/incident-item.js';
import { currentCounty } from '#commons/county.js';
import { logger } from '#commons/logger.js';
import { incidents, stats } from '#commons/stores.js';
import { publishPending } from './publish.js';

/** Another run moving the mark between our read and our write: read again and go on from there, a few times. */
const ATTEMPTS = 5;

/** Publishes and counts what `incident`'s timeline holds past the mark of `bookkeeping`, then moves the mark. */
export async function settle(incident: Incident, bookkeeping: Bookkeeping): Promise<void> {
  if (bookkeeping.through >= incident.timeline.length) return;
  await publishPending({ ...incident, workflow: { ...incident.workflow, notifiedThrough: bookkeeping.through } });
  const timeZone = currentCounty().county.timeZone;
  const now = counted(incident, timeZone);
  let seen = bookkeeping;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const writes = counterWrites(countedOf(seen), incident, timeZone);
    const moved = await incidents().advanceProgress(
      incident.id,
      { from: seen.through, through: now.through, counted: { place: now.place, counters: now.counters } },
      stats().updates(writes),
    );
    if (moved) return;
    seen = await incidents().readBookkeeping(incident.id);
    // A run that saw a later version got there first: what it counted includes this.
    if (seen.through >= incident.timeline.length) return;
  }
  logger.warn('the outbox mark kept moving; the next workflow step settles it', { incidentId: incident.id });
}
