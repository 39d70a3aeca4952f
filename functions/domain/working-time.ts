/**
 * Working time as governments count it (contract §7, §10): working periods `[start, end)` in local wall time,
 * seasons, the weekend, holidays and make-up workdays, in the county's time zone. Pure and self-contained: the
 * time zone comes from the platform's Intl data, nothing else is read.
 *
 * Three questions: how much working time lies between two instants, when a given amount of working time has
 * passed since an instant, and when the Nth working day after an instant's day closes.
 *
 * Rules:
 * - A working day is a day whose ISO weekday is not in `weekend` and that is not in `holidays`, or a day in
 *   `workdays`. Its periods are those of the first season whose `from`–`to` (MM-DD, inclusive, wrapping the year
 *   end when `from` > `to`) contains the date, else `workingHours`.
 * - A wall time `HH:MM` of a date is the earliest instant at which the local clock reads that time or later:
 *   in a DST gap that is the end of the gap; in the repeated hour of a fall-back, its first occurrence; `24:00`
 *   is the next day's midnight. Working time is elapsed time between those instants, so `00:00–24:00` holds
 *   23 hours on a spring-forward day and 25 on a fall-back day.
 * - Working time reached exactly at the end of a period is that end, never the start of the next period.
 *
 * Speed: each local year is laid out once per calendar (its days' periods as instants, and running sums of
 * working time and working days), then a query skips whole years by their totals and finds the day by binary
 * search: no day-by-day walk, however long the duration.
 */

export type Period = readonly [string, string];
export interface Season { from: string; to: string; workingHours: readonly Period[] }

/** The county file's `calendar` (contract §7), already validated. */
export interface CalendarConfig {
  workingHours: readonly Period[];
  seasons?: readonly Season[] | undefined;
  /** ISO weekdays, 1 = Monday ... 7 = Sunday. @default [6, 7] */
  weekend?: readonly number[] | undefined;
  /** `YYYY-MM-DD` */
  holidays?: readonly string[] | undefined;
  /** `YYYY-MM-DD`: make-up working days (调休). */
  workdays?: readonly string[] | undefined;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A county calendar must hold working time in some year this far ahead; else the calendar has none at all. */
const MAX_YEARS_AHEAD = 1000;

/** `HH:MM` -> minutes of the day (`24:00` -> 1440); null when malformed. */
export function clockMinutes(text: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const h = Number(m[1]), min = Number(m[2]);
  if (h === 24 && min === 0) return 1440;
  return h < 24 && min < 60 ? h * 60 + min : null;
}

/** `YYYY-MM-DD` -> days since 1970-01-01; null when it is not a real date. */
export function epochDay(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return t / DAY;
}

/** `MM-DD` of a real day of some year (`02-29` included); false otherwise. */
export function isMonthDay(text: string): boolean {
  return /^\d{2}-\d{2}$/.test(text) && epochDay(`2000-${text}`) !== null;
}

// ---------------------------------------------------------------------------------------------
// The time zone's UTC offsets, read from Intl once per year and kept as a list of transitions.

interface OffsetYear { transitions: number[]; offsets: number[] }
const SAMPLE = 7 * DAY;

class ZoneOffsets {
  private formatter: Intl.DateTimeFormat | undefined;
  private readonly years = new Map<number, OffsetYear>();

  constructor(readonly timeZone: string) {}

  /**
   * Made on first use: the first Intl object of a process loads ICU's data (about 30 ms of CPU), and a calendar
   * built at module scope (deadlines.ts's round-the-clock fallback) would pay it at every cold start.
   */
  private get format(): Intl.DateTimeFormat {
    this.formatter ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    return this.formatter;
  }

  /** Local wall time minus UTC at instant `t`, in ms. */
  offset(t: number): number {
    const table = this.year(new Date(t).getUTCFullYear());
    let i = 0;
    while (i < table.transitions.length && t >= table.transitions[i]!) i++;
    return table.offsets[i]!;
  }

  /** The instant in (a, b] at which the offset changes (a and b straddle exactly one change). */
  transitionBetween(a: number, b: number): number {
    const before = this.offset(a);
    let lo = a, hi = b;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.offset(mid) === before) lo = mid; else hi = mid;
    }
    return hi;
  }

  private year(y: number): OffsetYear {
    let table = this.years.get(y);
    if (table) return table;
    // Offsets change at most once between samples a week apart (true of every zone in the tz database: the
    // shortest stretch between two changes, a suspension of DST for Ramadan, lasts weeks): find each to the ms.
    const start = Date.UTC(y, 0, 1), end = Date.UTC(y + 1, 0, 1);
    const transitions: number[] = [];
    const offsets: number[] = [this.read(start)];
    for (let t = start; t < end; t += SAMPLE) {
      const next = Math.min(t + SAMPLE, end);
      if (this.read(next) === offsets[offsets.length - 1]) continue;
      let lo = t, hi = next;
      const before = this.read(lo);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.read(mid) === before) lo = mid; else hi = mid;
      }
      if (hi < end) { transitions.push(hi); offsets.push(this.read(hi)); }
    }
    table = { transitions, offsets };
    this.years.set(y, table);
    return table;
  }

  private read(t: number): number {
    const parts = this.format.formatToParts(new Date(t));
    const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
    const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return wall - Math.floor(t / 1000) * 1000;
  }
}

// ---------------------------------------------------------------------------------------------
// The calendar

interface YearLayout {
  year: number;
  /** Epoch day of 1 January. */
  firstDay: number;
  /** Per day of the year: its working periods as instants, merged and non-empty. */
  periods: Array<ReadonlyArray<readonly [number, number]>>;
  /** workBefore[i]: working ms in days 0..i-1 of the year; workBefore[n] the year's total. */
  workBefore: Float64Array;
  /** workingDaysBefore[i]: working days (with working time) among days 0..i-1. */
  workingDaysBefore: Int32Array;
}

const NO_PERIODS: ReadonlyArray<readonly [number, number]> = [];

export class WorkingCalendar {
  readonly timeZone: string;
  private readonly zone: ZoneOffsets;
  private readonly weekend: ReadonlySet<number>;
  private readonly holidays: ReadonlySet<number>;
  private readonly workdays: ReadonlySet<number>;
  private readonly hours: Array<readonly [number, number]>;
  private readonly seasons: Array<{ from: string; to: string; hours: Array<readonly [number, number]> }>;
  private readonly dataYears: ReadonlySet<number>;
  private readonly layouts = new Map<number, YearLayout>();

  constructor(config: CalendarConfig, timeZone: string) {
    this.timeZone = timeZone;
    this.zone = new ZoneOffsets(timeZone);
    this.weekend = new Set(config.weekend ?? [6, 7]);
    const days = (list: readonly string[] | undefined) => new Set((list ?? []).map((d) => {
      const n = epochDay(d);
      if (n === null) throw new Error(`"${d}" is not a date`);
      return n;
    }));
    this.holidays = days(config.holidays);
    this.workdays = days(config.workdays);
    this.hours = minutesOf(config.workingHours);
    this.seasons = (config.seasons ?? []).map((s) => ({ from: s.from, to: s.to, hours: minutesOf(s.workingHours) }));
    this.dataYears = new Set([...config.holidays ?? [], ...config.workdays ?? []].map((d) => Number(d.slice(0, 4))));
  }

  /** Whether `holidays` or `workdays` name a day of `year` (else only the weekend applies in it). */
  hasDataFor(year: number): boolean {
    return this.dataYears.has(year);
  }

  /** The local calendar year of an instant. */
  yearOf(at: Date | number): number {
    return this.yearOfDay(this.dayOf(ms(at)));
  }

  /** Working time in [from, to), in ms (0 when `to` is not after `from`). */
  workingBetween(from: Date | number, to: Date | number): number {
    const a = ms(from), b = ms(to);
    if (b <= a) return 0;
    const ya = this.yearOfDay(this.dayOf(a)), yb = this.yearOfDay(this.dayOf(b));
    let total = this.workSinceYearStart(b) - this.workSinceYearStart(a);
    for (let y = ya; y < yb; y++) total += this.layout(y).workBefore.at(-1)!;
    return total;
  }

  /** The earliest instant at which `workMs` of working time has passed since `from` (`from` itself for 0). */
  addWorking(from: Date | number, workMs: number): Date {
    const start = ms(from);
    if (!(workMs >= 0)) throw new Error(`working time must be a non-negative number of ms, not ${workMs}`);
    if (workMs === 0) return new Date(start);
    let layout = this.layout(this.yearOfDay(this.dayOf(start)));
    let target = this.workSinceYearStart(start) + workMs;
    for (let skipped = 0; target > layout.workBefore.at(-1)!; skipped++) {
      if (skipped > MAX_YEARS_AHEAD) throw new Error('the calendar holds no working time');
      target -= layout.workBefore.at(-1)!;
      layout = this.layout(layout.year + 1);
    }
    const i = firstReaching(layout.workBefore, target) - 1;
    let left = target - layout.workBefore[i]!;
    for (const [s, e] of layout.periods[i]!) {
      if (left <= e - s) return new Date(s + left);
      left -= e - s;
    }
    throw new Error('working time table out of step'); // unreachable: the day's periods sum to its share
  }

  /** The end of the last working period of the `n`th working day after the local day of `from` (n ≥ 1). */
  closeOfWorkingDay(from: Date | number, n: number): Date {
    if (!Number.isInteger(n) || n < 1) throw new Error(`a number of working days is a whole number from 1, not ${n}`);
    const day = this.dayOf(ms(from));
    let layout = this.layout(this.yearOfDay(day));
    let target = layout.workingDaysBefore[day - layout.firstDay + 1]! + n;
    for (let skipped = 0; target > layout.workingDaysBefore.at(-1)!; skipped++) {
      if (skipped > MAX_YEARS_AHEAD) throw new Error('the calendar holds no working day');
      target -= layout.workingDaysBefore.at(-1)!;
      layout = this.layout(layout.year + 1);
    }
    const i = firstReaching(layout.workingDaysBefore, target) - 1;
    return new Date(layout.periods[i]!.at(-1)![1]);
  }

  // -------------------------------------------------------------------------------------------

  /** Working ms from the start of the local year of `t` up to `t`. */
  private workSinceYearStart(t: number): number {
    const day = this.dayOf(t);
    const layout = this.layout(this.yearOfDay(day));
    const i = day - layout.firstDay;
    let total = layout.workBefore[i]!;
    for (const [s, e] of layout.periods[i]!) {
      if (t <= s) break;
      total += Math.min(t, e) - s;
    }
    return total;
  }

  /** The earliest instant at which the local clock reads `minutes` into epoch day `day`, or later. */
  private instantOf(day: number, minutes: number): number {
    const wall = day * DAY + minutes * MINUTE;
    const early = this.zone.offset(wall - DAY), late = this.zone.offset(wall + DAY);
    if (early === late) return wall - early;
    const valid = [wall - early, wall - late].filter((t) => this.zone.offset(t) === wall - t);
    if (valid.length > 0) return Math.min(...valid);
    // In the gap of a spring-forward: the clock first reads this time or later when the gap ends.
    return this.zone.transitionBetween(Math.min(wall - early, wall - late), Math.max(wall - early, wall - late));
  }

  /** The epoch day whose local midnight is the last one at or before `t`. */
  private dayOf(t: number): number {
    let day = Math.floor((t + this.zone.offset(t)) / DAY);
    while (t < this.instantOf(day, 0)) day--;
    while (t >= this.instantOf(day + 1, 0)) day++;
    return day;
  }

  private yearOfDay(day: number): number {
    return new Date(day * DAY).getUTCFullYear();
  }

  private periodsOf(day: number): ReadonlyArray<readonly [number, number]> {
    const date = new Date(day * DAY);
    const weekday = ((day % 7) + 7 + 3) % 7 + 1; // 1970-01-01 was a Thursday (4)
    const working = this.workdays.has(day) || (!this.holidays.has(day) && !this.weekend.has(weekday));
    if (!working) return NO_PERIODS;
    const md = `${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`;
    const season = this.seasons.find((s) => (s.from <= s.to ? s.from <= md && md <= s.to : md >= s.from || md <= s.to));
    const merged: Array<[number, number]> = [];
    for (const [startMin, endMin] of season?.hours ?? this.hours) {
      const s = this.instantOf(day, startMin), e = this.instantOf(day, endMin);
      if (e <= s) continue;
      const last = merged[merged.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    return merged;
  }

  private layout(year: number): YearLayout {
    let layout = this.layouts.get(year);
    if (layout) return layout;
    const firstDay = Date.UTC(year, 0, 1) / DAY;
    const n = Date.UTC(year + 1, 0, 1) / DAY - firstDay;
    const periods: YearLayout['periods'] = [];
    const workBefore = new Float64Array(n + 1);
    const workingDaysBefore = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const p = this.periodsOf(firstDay + i);
      periods.push(p);
      let work = 0;
      for (const [s, e] of p) work += e - s;
      workBefore[i + 1] = workBefore[i]! + work;
      workingDaysBefore[i + 1] = workingDaysBefore[i]! + (p.length > 0 ? 1 : 0);
    }
    layout = { year, firstDay, periods, workBefore, workingDaysBefore };
    this.layouts.set(year, layout);
    return layout;
  }
}

const ms = (at: Date | number): number => (typeof at === 'number' ? at : at.getTime());

/** Periods as sorted minute pairs (the schema checked them). */
function minutesOf(periods: readonly Period[]): Array<readonly [number, number]> {
  return periods
    .map(([s, e]) => [clockMinutes(s), clockMinutes(e)] as const)
    .map(([s, e]) => {
      if (s === null || e === null || s >= e) throw new Error('a working period is "HH:MM" to a later "HH:MM"');
      return [s, e] as const;
    })
    .sort((a, b) => a[0] - b[0]);
}

/** The smallest k ≥ 1 with sums[k] ≥ target (sums non-decreasing, sums[last] ≥ target > sums[0]). */
function firstReaching(sums: Float64Array | Int32Array, target: number): number {
  let lo = 1, hi = sums.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sums[mid]! >= target) hi = mid; else lo = mid + 1;
  }
  return lo;
}
