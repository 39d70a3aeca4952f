/**
 * Calendar days of a time zone, as `YYYY-MM-DD` strings (which sort in time order): the stats count per day of
 * the county's time zone (contract §10), so the figures of "1 March" in Shanghai are those of Shanghai's 1 March.
 * Pure: the zone is a parameter, the arithmetic on dates is plain UTC calendar arithmetic.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, era: 'short', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Date.UTC without its quirk of reading years 0–99 as 1900–1999 (windows of year 0050 exist: contract §10). */
function utc(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** The wall-clock time at `ms` in `timeZone`, read as if it were UTC (whole seconds). */
function wallMs(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  let bc = false; // year 0 is "1 BC" to Intl
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type === 'era') bc = p.value === 'BC';
    else if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return utc(bc ? 1 - parts.year! : parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The calendar day of an instant in `timeZone`. */
export function localDate(at: Date | number | string, timeZone: string): string {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime();
  return new Date(wallMs(ms, timeZone)).toISOString().slice(0, 10);
}

/** `YYYY-MM` of a day. */
export const monthOf = (day: string): string => day.slice(0, 7);

const utcDay = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const dayOfUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The day `n` days after `day` (negative: before). */
export const addDays = (day: string, n: number): string => dayOfUtc(utcDay(day) + n * DAY_MS);

/** Days from `from` to `to`, both included (0 when `to` is before `from`). */
export const daysInclusive = (from: string, to: string): number => Math.max(0, Math.round((utcDay(to) - utcDay(from)) / DAY_MS) + 1);

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** The first day of the month of `day`, and the last. */
export const firstOfMonth = (day: string): string => `${monthOf(day)}-01`;
export function lastOfMonth(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  return dayOfUtc(utc(y, m, 0));
}

/**
 * The first instant of `day` in `timeZone` (local midnight, or the first instant of the day where a
 * daylight-saving change skips midnight).
 */
export function startOfLocalDay(day: string, timeZone: string): Date {
  const midnight = utcDay(day);
  // The offset at a guess, applied twice: exact except across a change within hours of midnight.
  let t = midnight;
  for (let i = 0; i < 3; i++) t = midnight - (wallMs(t, timeZone) - t);
  // Where midnight does not exist, or the guess landed a little late or early, step to the day's first second.
  while (localDate(t - 1000, timeZone) === day) t -= 1000 * 60 * 15;
  while (localDate(t, timeZone) < day) t += 1000 * 60 * 15;
  while (localDate(t - 1000, timeZone) === day) t -= 1000;
  return new Date(Math.floor(t / 1000) * 1000);
}

/** The last millisecond of `day` in `timeZone`. */
export const endOfLocalDay = (day: string, timeZone: string): Date => new Date(startOfLocalDay(addDays(day, 1), timeZone).getTime() - 1);
