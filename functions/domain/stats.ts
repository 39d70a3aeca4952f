/**
 * Stats from counters (contract §4 "Stats"): what one incident adds to the figures in its current
 * state, what a change adds or takes away, and how counters sum up to the response. Pure: no I/O.
 *
 * The storage layer writes the counter changes in the same transaction as the incident, conditional on
 * the incident's version. That is only exact because a contribution depends on visible fields alone
 * (never on the workflow's bookkeeping, which changes without a version bump): the stored record at
 * `prev.version` then always counts exactly what `prev` counts.
 *
 * Buckets: counters are kept per scope (county, town, grid, reporter) and per UTC hour in which the
 * incident was reported, plus one all-time bucket per scope. Hours rather than days: every local
 * midnight of a whole-hour time zone (all of China, UTC+8) is a UTC hour boundary, so a window of local
 * days is covered exactly; UTC-day buckets would widen a one-day Shanghai window to two days.
 */
import { STATUSES, type Caller, type Incident, type Level, type Status } from './incident.js';
import type { JurisdictionContext } from './jurisdiction.js';
import { deadlineAtEvent } from './notifications.js';

/** Counter name -> count. Names: `total`, `category#<id>`, `status#<s>`, `resolvedAt#<level>`, ... */
export type Counters = Record<string, number>;

export const TOTAL = 'total';
export const RESOLVED = 'resolved';
export const RESOLVED_ON_TIME = 'resolvedOnTime';
export const RESOLVED_ON_SPOT = 'resolvedOnSpot';
export const OVERDUE_OPEN = 'overdueOpen';
export const categoryCounter = (category: string) => `category#${category}`;
export const statusCounter = (status: Status) => `status#${status}`;
export const resolvedAtCounter = (level: Level) => `resolvedAt#${level}`;

/** The bucket of all time; sorts after every hour bucket (`A` > `9`), so hour ranges never include it. */
export const ALL_TIME_BUCKET = 'ALL';
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Contributions

/** Index of the last `resolved` event, or -1. */
function lastResolvedIndex(incident: Incident): number {
  for (let i = incident.timeline.length - 1; i >= 0; i--) if (incident.timeline[i]!.type === 'resolved') return i;
  return -1;
}

/**
 * Resolved strictly before the deadline of the level that held it when it was resolved, that deadline
 * running from when the incident reached the level (deadlineAtEvent: the same rule the workflow used).
 * Derived from the timeline and the frozen policy, so the record needs no extra field.
 */
export function resolvedOnTime(incident: Incident): boolean {
  const index = lastResolvedIndex(incident);
  if (index < 0) return false;
  const deadline = deadlineAtEvent(incident, index);
  if (deadline === null) return true; // no deadline at that level: nothing to miss
  return Date.parse(incident.timeline[index]!.at) < Date.parse(deadline);
}

/** Its resolution is the one given on the spot at report time (a reopen voids it). */
function stillResolvedOnSpot(incident: Incident): boolean {
  return incident.resolvedOnSpot && !incident.timeline.some((e) => e.type === 'reopened');
}

const isResolved = (incident: Incident): boolean =>
  incident.resolution !== null && (incident.status === 'resolved' || incident.status === 'closed');

/** The counters this incident adds in its current state (each 0 or 1; zeros omitted). */
export function contribution(incident: Incident): Counters {
  const c: Counters = {
    [TOTAL]: 1,
    [categoryCounter(incident.category)]: 1,
    [statusCounter(incident.status)]: 1,
  };
  if (isResolved(incident)) {
    c[RESOLVED] = 1;
    c[resolvedAtCounter(incident.resolution!.level)] = 1;
    if (resolvedOnTime(incident)) c[RESOLVED_ON_TIME] = 1;
    if (stillResolvedOnSpot(incident)) c[RESOLVED_ON_SPOT] = 1;
  }
  if (incident.status === 'open' && incident.overdue) c[OVERDUE_OPEN] = 1;
  return c;
}

/** next - prev, non-zero entries only (prev null: a new incident). */
export function delta(prev: Incident | null, next: Incident): Counters {
  return subtract(contribution(next), prev ? contribution(prev) : {});
}

/** a + sign * b, non-zero entries only. */
function combine(a: Counters, b: Counters, sign: 1 | -1): Counters {
  const out: Counters = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const v = (a[key] ?? 0) + sign * (b[key] ?? 0);
    if (v !== 0) out[key] = v;
  }
  return out;
}
const subtract = (a: Counters, b: Counters) => combine(a, b, -1);
const sum = (a: Counters, b: Counters) => combine(a, b, 1);

// ---------------------------------------------------------------------------------------------
// Where counters live

/** The scopes an incident is counted in; the stats handler reads exactly one of them. */
export const countyScope = (countyId: string) => `county#${countyId}`;
export const townScope = (townId: string) => `town#${townId}`;
export const gridScope = (gridId: string) => `grid#${gridId}`;
export const reporterScope = (sub: string) => `reporter#${sub}`;

export function scopesOf(incident: Incident): string[] {
  return [countyScope(incident.countyId), townScope(incident.townId), gridScope(incident.gridId), reporterScope(incident.reportedBy)];
}

/**
 * The one scope a caller reads: its grid, its town, the whole county (county role, or the city role of
 * the county's city) or what it reported itself. Null when the token names no jurisdiction of this
 * county: empty figures, as lists answer an empty page.
 */
export function statsScope(caller: Caller, ctx: JurisdictionContext): string | null {
  switch (caller.role) {
    case 'grid': return gridScope(caller.scope);
    case 'town': return townScope(caller.scope);
    case 'county': return caller.scope === ctx.countyId ? countyScope(ctx.countyId) : null;
    case 'city': return caller.scope === ctx.cityId ? countyScope(ctx.countyId) : null;
    case 'reporter': return caller.scope === ctx.countyId ? reporterScope(caller.sub) : null;
  }
}

/** The hour bucket of an instant: `yyyy-mm-ddThh` (UTC), which sorts in time order. */
export function hourBucket(at: Date): string {
  return at.toISOString().slice(0, 13);
}

export interface CounterWrite { scope: string; bucket: string; add: Counters }

function bucketsOf(incident: Incident): Array<{ scope: string; bucket: string }> {
  const hour = hourBucket(new Date(incident.createdAt));
  return scopesOf(incident).flatMap((scope) => [{ scope, bucket: hour }, { scope, bucket: ALL_TIME_BUCKET }]);
}

/**
 * The counter updates one write of `next` over the stored `prev` needs: prev's contribution leaves its
 * buckets and next's enters its own. Scopes and bucket never change (ids and createdAt are fixed), so
 * in practice this is one ADD of delta(prev, next) per (scope, bucket), and none when nothing counted
 * changed (an acknowledgement, a comment, a reminder, an escalation).
 */
export function counterWrites(prev: Incident | null, next: Incident): CounterWrite[] {
  const writes = new Map<string, CounterWrite>();
  const add = (buckets: Array<{ scope: string; bucket: string }>, counters: Counters) => {
    for (const { scope, bucket } of buckets) {
      const key = `${scope}\u0000${bucket}`;
      writes.set(key, { scope, bucket, add: sum(writes.get(key)?.add ?? {}, counters) });
    }
  };
  if (prev) add(bucketsOf(prev), subtract({}, contribution(prev)));
  add(bucketsOf(next), contribution(next));
  return [...writes.values()].filter((w) => Object.keys(w.add).length > 0);
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface StatsWindow {
  /** First instant covered (ISO UTC), null for "since the beginning". */
  from: string | null;
  /** Last instant covered, inclusive (ISO UTC), null for "until now and later". */
  to: string | null;
}

export interface BucketRange {
  /** Inclusive hour buckets; null for all time (the all-time bucket). */
  range: { first: string; last: string } | null;
  window: StatsWindow;
}

/** Earliest and latest hour buckets a range can name (four-digit years). */
const FIRST_HOUR = '0000-01-01T00';
const LAST_HOUR = '9999-12-31T23';

/**
 * The hour buckets for incidents reported between `from` and `to` (inclusive), widened to whole UTC
 * hours, and the window they actually cover. Neither given: all time.
 */
export function bucketRange(from?: string, to?: string): BucketRange {
  if (from === undefined && to === undefined) return { range: null, window: { from: null, to: null } };
  const start = from === undefined ? null : Math.floor(Date.parse(from) / HOUR_MS) * HOUR_MS;
  const end = to === undefined ? null : (Math.floor(Date.parse(to) / HOUR_MS) + 1) * HOUR_MS - 1;
  return {
    range: {
      first: start === null ? FIRST_HOUR : hourBucket(new Date(start)),
      last: end === null ? LAST_HOUR : hourBucket(new Date(end)),
    },
    window: {
      from: start === null ? null : new Date(start).toISOString(),
      to: end === null ? null : new Date(end).toISOString(),
    },
  };
}

export interface StatsFigures {
  total: number;
  byCategory: Record<string, number>;
  byStatus: Record<Status, number>;
  resolvedAtLevel: Partial<Record<Level, number>>;
  resolvedOnSpot: number;
  /** Resolved before their level's deadline / resolved; null when nothing was resolved. */
  onTimeRate: number | null;
  overdueOpen: number;
}

export interface SummarizeOptions {
  ladder: readonly Level[];
  /** Categories always listed (0 when none); counted categories outside it are listed too. */
  categories?: readonly string[];
}

/** Sums counter items (of one scope, any buckets) into the contract's figures. */
export function summarize(items: readonly Counters[], opts: SummarizeOptions): StatsFigures {
  const totals: Counters = {};
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) {
      if (typeof value === 'number' && Number.isFinite(value)) totals[key] = (totals[key] ?? 0) + value;
    }
  }
  const get = (key: string) => totals[key] ?? 0;

  const byCategory: Record<string, number> = {};
  for (const id of opts.categories ?? []) byCategory[id] = 0;
  for (const key of Object.keys(totals).sort()) {
    if (key.startsWith('category#')) byCategory[key.slice('category#'.length)] = get(key);
  }
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, get(statusCounter(s))])) as Record<Status, number>;
  const resolvedAtLevel: Partial<Record<Level, number>> = {};
  for (const level of opts.ladder) resolvedAtLevel[level] = get(resolvedAtCounter(level));

  const resolved = get(RESOLVED);
  return {
    total: get(TOTAL),
    byCategory,
    byStatus,
    resolvedAtLevel,
    resolvedOnSpot: get(RESOLVED_ON_SPOT),
    onTimeRate: resolved > 0 ? get(RESOLVED_ON_TIME) / resolved : null,
    overdueOpen: get(OVERDUE_OPEN),
  };
}
