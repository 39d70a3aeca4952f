/**
 * A slow, obviously-right working-time calendar to check functions/domain/working-time.ts against: it walks
 * the clock one minute at a time and asks, for each minute, whether it lies in a working period. Written from
 * contract §7/§10 without sharing code with the product: its own date arithmetic, its own reading of the time
 * zone (Intl, cached per UTC hour: the zones the tests use change offset on whole hours), its own rules.
 *
 * Only for calendars whose times are whole minutes, asked about whole-minute instants and durations.
 */
import type { CalendarConfig } from '#domain/working-time.js';

const MIN = 60_000;
const DAY = 86_400_000;

interface Wall { dayMs: number; date: string; weekday: number; monthDay: string }

export class ReferenceCalendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private readonly reach = new Map<string, number>();
  private readonly intervals = new Map<number, Array<[number, number]>>();

  constructor(private readonly config: CalendarConfig, timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-GB', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
  }

  /** Local wall clock of instant `t` as if it were UTC, in ms. */
  wallMs(t: number): number {
    const hour = Math.floor(t / 3_600_000);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const text = this.format.format(new Date(hour * 3_600_000)); // "dd/mm/yyyy, hh:mm"
      const m = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2})$/.exec(text);
      if (!m) throw new Error(`unexpected date text ${text}`);
      offset = Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4]), Number(m[5])) - hour * 3_600_000;
      this.offsets.set(hour, offset);
    }
    return t + offset;
  }

  private describe(dayMs: number): Wall {
    const d = new Date(dayMs);
    const pad = (n: number) => String(n).padStart(2, '0');
    const monthDay = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    return { dayMs, date: `${d.getUTCFullYear()}-${monthDay}`, weekday: d.getUTCDay() === 0 ? 7 : d.getUTCDay(), monthDay };
  }

  /** The first whole minute at which the local clock reads at least `minutes` into the day starting at wall `dayMs`. */
  private firstReach(dayMs: number, minutes: number): number {
    const key = `${dayMs}:${minutes}`;
    const known = this.reach.get(key);
    if (known !== undefined) return known;
    const target = dayMs + minutes * MIN;
    let t = target - 16 * 3_600_000;
    // Coarse steps are safe while the clock is more than 3 h behind: it never jumps ahead by more than 1 h.
    while (this.wallMs(t) < target - 3 * 3_600_000) t += 3_600_000;
    while (this.wallMs(t) < target) t += MIN;
    this.reach.set(key, t);
    return t;
  }

  private isWorkingDay(w: Wall): boolean {
    if (this.config.workdays?.includes(w.date)) return true;
    if (this.config.holidays?.includes(w.date)) return false;
    return !(this.config.weekend ?? [6, 7]).includes(w.weekday);
  }

  private hoursOf(w: Wall) {
    for (const s of this.config.seasons ?? []) {
      const inside = s.from <= s.to ? w.monthDay >= s.from && w.monthDay <= s.to : w.monthDay >= s.from || w.monthDay <= s.to;
      if (inside) return s.workingHours;
    }
    return this.config.workingHours;
  }

  /** The day's working intervals as instants (possibly empty ones, in a DST gap). */
  private dayIntervals(dayMs: number): Array<[number, number]> {
    let out = this.intervals.get(dayMs);
    if (out) return out;
    out = [];
    const w = this.describe(dayMs);
    if (this.isWorkingDay(w)) {
      for (const [s, e] of this.hoursOf(w)) {
        const [sh, sm] = s.split(':').map(Number) as [number, number];
        const [eh, em] = e.split(':').map(Number) as [number, number];
        out.push([this.firstReach(dayMs, sh * 60 + sm), this.firstReach(dayMs, eh * 60 + em)]);
      }
    }
    this.intervals.set(dayMs, out);
    return out;
  }

  isWorkingMinute(t: number): boolean {
    const day = Math.floor(this.wallMs(t) / DAY) * DAY;
    for (const d of [day - DAY, day, day + DAY]) {
      if (this.dayIntervals(d).some(([s, e]) => s <= t && t < e)) return true;
    }
    return false;
  }

  workingBetween(a: number, b: number): number {
    let total = 0;
    for (let t = a; t < b; t += MIN) if (this.isWorkingMinute(t)) total += MIN;
    return total;
  }

  addWorking(from: number, work: number): number {
    let left = work;
    let t = from;
    while (left > 0) {
      if (this.isWorkingMinute(t)) left -= MIN;
      t += MIN;
    }
    return t;
  }

  closeOfWorkingDay(from: number, n: number): number {
    let day = Math.floor(this.wallMs(from) / DAY) * DAY;
    // The day of `from` is the local date whose midnight is the last one reached at or before it.
    while (this.firstReach(day, 0) > from) day -= DAY;
    while (this.firstReach(day + DAY, 0) <= from) day += DAY;
    let found = 0;
    for (;;) {
      day += DAY;
      const nonEmpty = this.dayIntervals(day).filter(([s, e]) => e > s);
      if (nonEmpty.length > 0 && ++found === n) return Math.max(...nonEmpty.map(([, e]) => e));
    }
  }
}
