/**
 * Stats from counters (contract §4 and §10 "Stats"). Pure: no I/O.
 *
 * Two kinds of counter cells, both small items that only ever receive additions:
 *
 * - **Cohort cells** hold the figures of the incidents *reported* in one bucket of time, counted in their state
 *   now: one cell per (bucket, town, grid, category). Buckets are the day the incident was reported in the
 *   county's time zone, its month, and all time, so a window of days reads whole months plus at most a few
 *   days at each end, and all time reads one bucket. A change of an old incident (closed three weeks after
 *   it was reported) moves the cells of the day it was reported. The cell is the finest unit anyone groups by:
 *   a county, a town, a community, a grid or a category is a sum of cells, read by one Query per bucket
 *   (towns and grids are a key prefix), never one read per unit.
 * - **Series cells** count events by the day they happened: `reported`, `resolved`, `escalated`, `closed`, one
 *   cell per (town, day, grid), so a town's or the county's days are a range of keys.
 *
 * What an incident adds is derived from its record alone (`counted`), and what a change adds is the difference
 * between what was counted before and what the record counts now (`counterWrites`): applying every change
 * exactly once keeps the cells equal to the sum over the records, whoever applies them and whenever.
 */
import { STATUSES, type Caller, type Incident, type Level, type Status, type TimelineEvent } from './incident.js';
import type { JurisdictionContext } from './jurisdiction.js';
import {
  addDays, daysBetween, daysInclusive, endOfLocalDay, firstOfMonth, lastOfMonth, localDate, monthOf, startOfLocalDay,
} from './local-days.js';
import { deadlineAtEvent } from './notifications.js';

/** Counter name -> count. */
export type Counters = Record<string, number>;

export const TOTAL = 'total';
export const RESOLVED = 'resolved';
export const RESOLVED_ON_TIME = 'resolvedOnTime';
export const RESOLVED_ON_SPOT = 'resolvedOnSpot';
export const OVERDUE_OPEN = 'overdueOpen';
export const statusCounter = (status: Status) => `status#${status}`;
export const resolvedAtCounter = (level: Level) => `resolvedAt#${level}`;

/** The events a series counts per day (contract §10: a return is not an escalation). */
export const SERIES_EVENTS = ['reported', 'resolved', 'escalated', 'closed'] as const;
export type SeriesEvent = (typeof SERIES_EVENTS)[number];
const COUNTED_EVENTS: ReadonlySet<string> = new Set(SERIES_EVENTS);

/** The longest series (contract §10). */
export const MAX_SERIES_DAYS = 366;
/** The all-time bucket. Day buckets are `YYYY-MM-DD`, month buckets `YYYY-MM`. */
export const ALL_TIME = 'ALL';

// ---------------------------------------------------------------------------------------------
// What one incident counts

function lastResolvedIndex(incident: Incident): number {
  for (let i = incident.timeline.length - 1; i >= 0; i--) if (incident.timeline[i]!.type === 'resolved') return i;
  return -1;
}

/**
 * Resolved strictly before the deadline in force when it was resolved (deadlineAtEvent: the deadline the
 * level was working to at that event, as the workflow and the messages saw it).
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

/** The figure counters this incident adds in its current state (each 0 or 1; zeros omitted). */
export function contribution(incident: Incident): Counters {
  const c: Counters = { [TOTAL]: 1, [statusCounter(incident.status)]: 1 };
  if (isResolved(incident)) {
    c[RESOLVED] = 1;
    c[resolvedAtCounter(incident.resolution!.level)] = 1;
    if (resolvedOnTime(incident)) c[RESOLVED_ON_TIME] = 1;
    if (stillResolvedOnSpot(incident)) c[RESOLVED_ON_SPOT] = 1;
  }
  if (incident.status === 'open' && incident.overdue) c[OVERDUE_OPEN] = 1;
  return c;
}

/** The cohort an incident is counted in: where it is now, its category, the local day it was reported. */
export interface CohortPlace { townId: string; gridId: string; category: string; day: string }

/** What the cells hold for one incident: its cohort place and counters, and how much of its timeline is counted. */
export interface Counted {
  place: CohortPlace;
  counters: Counters;
  /** Timeline events before this index are in the series cells. */
  through: number;
}

export function counted(incident: Incident, timeZone: string): Counted {
  return {
    place: { townId: incident.townId, gridId: incident.gridId, category: incident.category, day: localDate(incident.createdAt, timeZone) },
    counters: contribution(incident),
    through: incident.timeline.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Cells and the writes a change needs

export interface CohortCellKey { kind: 'cohort'; bucket: string; townId: string; gridId: string; category: string }
export interface SeriesCellKey { kind: 'series'; townId: string; day: string; gridId: string }
export type CellKey = CohortCellKey | SeriesCellKey;
export interface CellWrite { cell: CellKey; add: Counters }

/** The buckets a cohort day belongs to: the day, its month, all time. */
export const bucketsOfDay = (day: string): string[] => [day, monthOf(day), ALL_TIME];

const cellId = (c: CellKey): string => (c.kind === 'cohort'
  ? `c\u0000${c.bucket}\u0000${c.townId}\u0000${c.gridId}\u0000${c.category}`
  : `s\u0000${c.townId}\u0000${c.day}\u0000${c.gridId}`);

function addInto(target: Counters, add: Counters, sign: 1 | -1): void {
  for (const [key, n] of Object.entries(add)) {
    const v = (target[key] ?? 0) + sign * n;
    if (v === 0) delete target[key];
    else target[key] = v;
  }
}

/** The events of `timeline` from index `from` that a series counts, by the day they happened. */
function seriesEvents(timeline: readonly TimelineEvent[], from: number): TimelineEvent[] {
  return timeline.slice(from).filter((e) => COUNTED_EVENTS.has(e.type));
}

/**
 * The additions that take the cells from counting `prev` (null: nothing yet) to counting `next`: the cohort
 * cells of prev's place lose prev's counters and those of next's place gain next's (in practice one addition of
 * the difference per bucket, two cells when a reassignment moved the incident to another grid), and the series
 * cells gain next's events after `prev.through`. Empty when nothing counted changed (an acknowledgement, a
 * comment, a reminder). Cells whose additions cancel out are left out.
 */
export function counterWrites(prev: Counted | null, next: Incident, timeZone: string): CellWrite[] {
  const now = counted(next, timeZone);
  const writes = new Map<string, CellWrite>();
  const add = (cell: CellKey, counters: Counters, sign: 1 | -1) => {
    const id = cellId(cell);
    const w = writes.get(id) ?? { cell, add: {} };
    addInto(w.add, counters, sign);
    writes.set(id, w);
  };
  const cohort = (place: CohortPlace, counters: Counters, sign: 1 | -1) => {
    for (const bucket of bucketsOfDay(place.day)) {
      add({ kind: 'cohort', bucket, townId: place.townId, gridId: place.gridId, category: place.category }, counters, sign);
    }
  };
  if (prev) cohort(prev.place, prev.counters, -1);
  cohort(now.place, now.counters, 1);
  for (const e of seriesEvents(next.timeline, prev?.through ?? 0)) {
    add({ kind: 'series', townId: next.townId, day: localDate(e.at, timeZone), gridId: next.gridId }, { [e.type]: 1 }, 1);
  }
  return [...writes.values()].filter((w) => Object.keys(w.add).length > 0);
}

// ---------------------------------------------------------------------------------------------
// Who reads what

/** The jurisdiction a caller's figures cover. */
export type StatsScope =
  | { kind: 'county' }
  | { kind: 'town'; townId: string }
  | { kind: 'grid'; townId: string; gridId: string }
  | { kind: 'reporter'; sub: string };

/**
 * The jurisdiction of a caller: its grid, its town, the whole county (county role, or the city role of the
 * county's city) or what it reported itself. Null when the token names no jurisdiction of this county (empty
 * figures, as lists answer an empty page). `townOfGrid` places a grid in its town (undefined: unknown grid).
 */
export function statsScope(caller: Caller, ctx: JurisdictionContext, townOfGrid: (gridId: string) => string | undefined): StatsScope | null {
  switch (caller.role) {
    case 'grid': {
      const townId = townOfGrid(caller.scope);
      return townId === undefined ? null : { kind: 'grid', townId, gridId: caller.scope };
    }
    case 'town': return { kind: 'town', townId: caller.scope };
    case 'county': return caller.scope === ctx.countyId ? { kind: 'county' } : null;
    case 'city': return caller.scope === ctx.cityId ? { kind: 'county' } : null;
    case 'reporter': return caller.scope === ctx.countyId ? { kind: 'reporter', sub: caller.sub } : null;
  }
}

/** The key prefix of a jurisdiction's cohort cells within a bucket (`town#grid#category`). */
export function cohortPrefix(scope: Exclude<StatsScope, { kind: 'reporter' }>): string {
  switch (scope.kind) {
    case 'county': return '';
    case 'town': return `${scope.townId}#`;
    case 'grid': return `${scope.townId}#${scope.gridId}#`;
  }
}

// ---------------------------------------------------------------------------------------------
// Windows

export interface StatsWindow {
  /** First instant covered (ISO UTC), null for "since the beginning". */
  from: string | null;
  /** Last instant covered, inclusive (ISO UTC), null for "until now". */
  to: string | null;
}

/** A window as days of the county's time zone; null ends are open. */
export interface DayRange { fromDay: string | null; toDay: string | null }

export function dayRange(from: string | undefined, to: string | undefined, timeZone: string): DayRange {
  return {
    fromDay: from === undefined ? null : localDate(from, timeZone),
    toDay: to === undefined ? null : localDate(to, timeZone),
  };
}

/** The instants a day range covers: from the first instant of its first day to the last of its last. */
export function windowOf(range: DayRange, timeZone: string): StatsWindow {
  return {
    from: range.fromDay === null ? null : startOfLocalDay(range.fromDay, timeZone).toISOString(),
    to: range.toDay === null ? null : endOfLocalDay(range.toDay, timeZone).toISOString(),
  };
}

/** Cohort buckets whose sum is the window: `add` minus `subtract`. */
export interface BucketPlan { add: string[]; subtract: string[] }

/**
 * The fewest buckets (months, days, all time) whose sum counts the incidents reported from `fromDay` to `toDay`.
 * A part of a month is its days, or the month less the days outside, whichever reads fewer buckets. An open
 * end runs to all time, minus the days after `toDay` up to `today` (nothing is reported in the future).
 */
export function bucketPlan(range: DayRange, today: string, firstDay?: string | null): BucketPlan {
  const last = addDays(today, 1); // a day of slack for clocks a little apart
  const { toDay } = range;
  let { fromDay } = range;
  if (firstDay === null) return { add: [], subtract: [] }; // nothing counted yet
  // Before the first counted day there is nothing: a window reaching further back reads from that day.
  const fromFloor = firstDay !== undefined && (fromDay === null || fromDay <= firstDay);
  if (firstDay !== undefined && fromFloor) fromDay = firstDay;
  const hi = toDay === null || toDay > last ? last : toDay;
  if (fromDay !== null && hi < fromDay) return { add: [], subtract: [] };
  if (fromDay !== null && !fromFloor) return spanBuckets(fromDay, hi);
  // From the beginning: all time less what came after, or (when the first day is known) the span, if fewer.
  const allLess: BucketPlan = hi >= last ? { add: [ALL_TIME], subtract: [] } : (() => {
    const after = spanBuckets(addDays(hi, 1), last);
    return { add: [ALL_TIME, ...after.subtract], subtract: after.add };
  })();
  if (fromDay === null) return allLess;
  const span = spanBuckets(fromDay, hi);
  return bucketCount(span) < bucketCount(allLess) ? span : allLess;
}

/** Buckets a plan reads (one Query each). */
export const bucketCount = (plan: BucketPlan): number => plan.add.length + plan.subtract.length;

/**
 * Past this many months a window is planned from the county's first counted day: one that opens centuries back
 * (`to=0000-01-01`, `from=1900-01-01`) would otherwise read, and first build, a month bucket per month of them.
 */
export const MONTHS_BEFORE_FIRST_DAY = 36;

const monthIndex = (day: string): number => Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7));

/** The months `bucketPlan` would span without the first day: a cheap bound, computed before building the plan. */
export function monthsSpanned(range: DayRange, today: string): number {
  const last = addDays(today, 1);
  const { fromDay, toDay } = range;
  const end = toDay === null || toDay > last ? last : toDay;
  // An open start spans what comes after `end` (all time less that); a given one, the window itself.
  const [lo, hi] = fromDay === null ? [end, last] : [fromDay, end];
  return hi < lo ? 0 : monthIndex(hi) - monthIndex(lo) + 1;
}

function spanBuckets(from: string, to: string): BucketPlan {
  const add: string[] = [];
  const subtract: string[] = [];
  for (let start = from; start <= to;) {
    const monthStart = firstOfMonth(start);
    const monthEnd = lastOfMonth(start);
    const end = to < monthEnd ? to : monthEnd;
    const inside = daysBetween(start, end);
    if (start === monthStart && end === monthEnd) {
      add.push(monthOf(start));
    } else {
      const outside = [...(start > monthStart ? daysBetween(monthStart, addDays(start, -1)) : []), ...(end < monthEnd ? daysBetween(addDays(end, 1), monthEnd) : [])];
      if (1 + outside.length < inside.length) {
        add.push(monthOf(start));
        subtract.push(...outside);
      } else {
        add.push(...inside);
      }
    }
    start = addDays(end, 1);
  }
  return { add, subtract };
}

/** Days a series covers, or the reason it cannot (contract §10: both ends given, at most 366 days). */
export function seriesDays(range: DayRange): string[] | { problem: string } {
  if (range.fromDay === null || range.toDay === null) return { problem: 'series=day needs both from and to' };
  const n = daysInclusive(range.fromDay, range.toDay);
  if (n > MAX_SERIES_DAYS) return { problem: `a series covers at most ${MAX_SERIES_DAYS} days; this one would cover ${n}` };
  return daysBetween(range.fromDay, range.toDay);
}

// ---------------------------------------------------------------------------------------------
// Summing cells into figures

/** A cohort cell as read: where it counts and what (already signed: a subtracted bucket's cells negated). */
export interface CohortCell { townId: string; gridId: string; category: string; counters: Counters }
export interface SeriesCell { day: string; gridId: string; counters: Counters }

export interface StatsFigures {
  total: number;
  byCategory: Record<string, number>;
  byStatus: Record<Status, number>;
  resolvedAtLevel: Partial<Record<Level, number>>;
  resolvedOnSpot: number;
  /** Resolved before the deadline in force / resolved; null when nothing was resolved. */
  onTimeRate: number | null;
  overdueOpen: number;
}

export interface FigureOptions {
  ladder: readonly Level[];
  /** Categories always listed (0 when none); counted categories outside it are listed too. */
  categories: readonly string[];
}

/** The contract's figures of a set of cells. */
export function figures(cells: readonly CohortCell[], opts: FigureOptions): StatsFigures {
  const totals: Counters = {};
  const byCategory: Record<string, number> = Object.fromEntries(opts.categories.map((c) => [c, 0]));
  for (const cell of cells) {
    addInto(totals, cell.counters, 1);
    byCategory[cell.category] = (byCategory[cell.category] ?? 0) + (cell.counters[TOTAL] ?? 0);
  }
  const get = (key: string) => totals[key] ?? 0;
  const resolvedAtLevel: Partial<Record<Level, number>> = {};
  for (const level of opts.ladder) resolvedAtLevel[level] = get(resolvedAtCounter(level));
  const resolved = get(RESOLVED);
  return {
    total: get(TOTAL),
    byCategory,
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, get(statusCounter(s))])) as Record<Status, number>,
    resolvedAtLevel,
    resolvedOnSpot: get(RESOLVED_ON_SPOT),
    onTimeRate: resolved > 0 ? get(RESOLVED_ON_TIME) / resolved : null,
    overdueOpen: get(OVERDUE_OPEN),
  };
}

export const GROUP_KINDS = ['town', 'community', 'grid', 'category'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export interface Group extends StatsFigures { id: string; name: string }

export interface GroupOptions extends FigureOptions {
  /** The units of the caller's jurisdiction, in the county file's order (listed even with no incidents). */
  units: readonly string[];
  /** The unit a cell belongs to (a grid's community from the county file); undefined: none. */
  unitOf: (cell: CohortCell) => string | undefined;
  name: (id: string) => string;
}

/**
 * One group per unit of the jurisdiction, figures zero where nothing was reported; a unit the cells name but
 * the county file no longer has (a grid removed since) follows, named by its id.
 */
export function groups(cells: readonly CohortCell[], opts: GroupOptions): Group[] {
  const byUnit = new Map<string, CohortCell[]>(opts.units.map((u) => [u, []]));
  for (const cell of cells) {
    const unit = opts.unitOf(cell);
    if (unit === undefined) continue;
    let list = byUnit.get(unit);
    if (!list) byUnit.set(unit, (list = []));
    list.push(cell);
  }
  return [...byUnit].map(([id, unitCells]) => ({ id, name: opts.name(id), ...figures(unitCells, opts) }));
}

export interface SeriesDay { date: string; reported: number; resolved: number; escalated: number; closed: number }

/** One entry per day, zeros where nothing happened. */
export function series(cells: readonly SeriesCell[], days: readonly string[]): SeriesDay[] {
  const byDay = new Map<string, SeriesDay>(days.map((date) => [date, { date, reported: 0, resolved: 0, escalated: 0, closed: 0 }]));
  for (const cell of cells) {
    const day = byDay.get(cell.day);
    if (!day) continue;
    for (const event of SERIES_EVENTS) day[event] += cell.counters[event] ?? 0;
  }
  return [...byDay.values()];
}

// ---------------------------------------------------------------------------------------------
// A reporter's figures come from its own incidents: the same cells, computed instead of read.

/** The cells `incidents` would add, as read for a window: cohort cells in the range, series cells of every day. */
export function cellsOfIncidents(incidents: readonly Incident[], range: DayRange, timeZone: string): { cohort: CohortCell[]; series: SeriesCell[] } {
  const cohort: CohortCell[] = [];
  const seriesCells: SeriesCell[] = [];
  for (const incident of incidents) {
    const c = counted(incident, timeZone);
    const inRange = (range.fromDay === null || c.place.day >= range.fromDay) && (range.toDay === null || c.place.day <= range.toDay);
    if (inRange) cohort.push({ townId: c.place.townId, gridId: c.place.gridId, category: c.place.category, counters: c.counters });
    for (const e of seriesEvents(incident.timeline, 0)) {
      seriesCells.push({ day: localDate(e.at, timeZone), gridId: incident.gridId, counters: { [e.type]: 1 } });
    }
  }
  return { cohort, series: seriesCells };
}
