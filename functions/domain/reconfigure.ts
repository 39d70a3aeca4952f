/**
 * A county file that changed under open incidents (contract §2). Deadlines already set stay as they were;
 * an open incident follows the county's current ladder from now on:
 *  - at a level the ladder still has, it only takes the new ladder (escalations go where the county now
 *    says; a level that became the top is the top). Bookkeeping: nothing a reader sees changes.
 *  - at a level the ladder lost, it moves to the nearest remaining level above (the top if there is none)
 *    with a fresh deadline and an `escalated` event with reason `reconfigured`.
 * A resolved incident keeps its frozen ladder until it is reopened (the verification stage exists in every
 * ladder); once reopened it follows the same rule.
 *
 * Levels the incident's frozen policy lacks take the category's deadline from the county file (or, for a
 * category the file no longer has, the deadline of the old ladder's top).
 */
import type { County } from '#config/county-schema.js';
import type { Calendar } from './deadlines.js';
import type { DeadlineSpec, FrozenPolicy, Incident, Level } from './incident.js';
import { levelRank } from './ladder.js';
import { escalateIncident } from './lifecycle.js';

export interface FollowResult { incident: Incident; changed: boolean }

const sameLadder = (a: readonly Level[], b: readonly Level[]) => a.length === b.length && a.every((l, i) => l === b[i]);

/** The level an incident at `level` belongs at on `ladder`: itself, else the nearest above, else the top. */
export function levelOnLadder(ladder: readonly Level[], level: Level): Level {
  if (ladder.includes(level)) return level;
  return ladder.find((l) => levelRank(l) > levelRank(level)) ?? ladder[ladder.length - 1]!;
}

function refreeze(policy: FrozenPolicy, county: County, categoryId: string): FrozenPolicy {
  const category = county.categories.find((c) => c.id === categoryId);
  const oldTop = policy.deadlines[policy.ladder[policy.ladder.length - 1]!];
  const deadlines: Partial<Record<Level, DeadlineSpec>> = {};
  for (const level of county.ladder) {
    const spec = policy.deadlines[level] ?? category?.deadlines[level] ?? oldTop;
    if (spec === undefined) throw new Error(`no deadline for level "${level}" of category "${categoryId}"`);
    deadlines[level] = spec;
  }
  return { ...policy, deadlines, ladder: [...county.ladder] };
}

export function followLadder(incident: Incident, county: County, now: Date, calendar: Calendar): FollowResult {
  if (incident.status !== 'open' || sameLadder(incident.policy.ladder, county.ladder)) return { incident, changed: false };
  const policy = refreeze(incident.policy, county, incident.category);
  const target = levelOnLadder(county.ladder, incident.level);
  if (target === incident.level) return { incident: { ...incident, policy }, changed: true };
  return { incident: escalateIncident({ ...incident, policy }, now, 'reconfigured', null, null, calendar, target).incident, changed: true };
}
