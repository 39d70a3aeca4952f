/**
 * The county file's working-time parts (contract §7, §10): the `calendar` and the deadline of a category level
 * or of the verification window, which is a duration string (calendar time), `{ "working": "PT4H" }` or
 * `{ "workingDays": N }`. Wired into county-schema.ts; every problem is reported with its JSON path.
 */
import * as z from 'zod';
import type { DeadlineSpec } from '#domain/incident.js';
import { clockMinutes, epochDay, isMonthDay } from '#domain/working-time.js';
import { parseDuration, parseWorkingDuration, MAX_WORKING_DAYS } from './duration.js';

const custom = (ctx: z.RefinementCtx, message: string, path: PropertyKey[] = []) => ctx.addIssue({ code: 'custom', message, path });

const SPEC_SHAPE = 'a deadline is a duration such as "PT24H", { "working": "PT4H" } or { "workingDays": 2 }';

/** What is wrong with a deadline as the county file gives it (contract §7), or null. */
function deadlineSpecProblem(value: unknown): string | null {
  const check = (parse: () => unknown): string | null => {
    try { parse(); return null; } catch (e) { return (e as Error).message; }
  };
  if (typeof value === 'string') return check(() => parseDuration(value));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return SPEC_SHAPE;
  const keys = Object.keys(value);
  const v = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === 'working') {
    return typeof v.working === 'string' ? check(() => parseWorkingDuration(v.working as string)) : SPEC_SHAPE;
  }
  if (keys.length === 1 && keys[0] === 'workingDays') {
    const n = v.workingDays;
    return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_WORKING_DAYS
      ? null : `a number of working days is a whole number from 1 to ${MAX_WORKING_DAYS}`;
  }
  return SPEC_SHAPE;
}

/** A duration string (calendar time), `{ "working": "PT4H" }` or `{ "workingDays": N }`, each with its own message. */
export const DeadlineSpecSchema = z.unknown().superRefine((value, ctx) => {
  const problem = value === undefined ? 'is required' : deadlineSpecProblem(value);
  if (problem !== null) custom(ctx, problem);
}).transform((value) => value as DeadlineSpec);

/** `["08:30", "12:00"]`: `[start, end)` in local wall time, start before end, `24:00` allowed as an end. */
const PeriodSchema = z.tuple([z.string(), z.string()]).superRefine(([start, end], ctx) => {
  const s = clockMinutes(start), e = clockMinutes(end);
  if (s === null || s === 1440) custom(ctx, `"${start}" is not a start time HH:MM (00:00 to 23:59)`, [0]);
  if (e === null) custom(ctx, `"${end}" is not an end time HH:MM (00:01 to 24:00)`, [1]);
  if (s !== null && e !== null && s < 1440 && s >= e) custom(ctx, `the period must start before it ends (${start} to ${end})`);
});

/** At least one period; touching periods are fine, overlapping ones are not (file order does not matter). */
const PeriodsSchema = z.array(PeriodSchema).min(1, 'at least one working period').superRefine((periods, ctx) => {
  const valid = (periods as unknown[]).flatMap((p, i) => {
    if (!Array.isArray(p)) return [];
    const s = typeof p[0] === 'string' ? clockMinutes(p[0]) : null, e = typeof p[1] === 'string' ? clockMinutes(p[1]) : null;
    return s !== null && e !== null && s < e ? [{ i, s, e, text: `${String(p[0])}–${String(p[1])}` }] : [];
  }).sort((a, b) => a.s - b.s || a.i - b.i);
  for (let k = 1; k < valid.length; k++) {
    const before = valid[k - 1]!, p = valid[k]!;
    if (p.s < before.e) custom(ctx, `${p.text} overlaps ${before.text} (item ${before.i})`, [p.i]);
  }
}, { when: () => true });

const WEEKDAY = 'an ISO weekday: 1 = Monday ... 7 = Sunday';
const MonthDay = z.string().refine(isMonthDay, 'a day of the year MM-DD such as 05-01 (02-29 allowed)');
const Day = z.string().refine((d) => epochDay(d) !== null, 'a date YYYY-MM-DD such as 2026-10-01');

export const SeasonSchema = z.strictObject({ from: MonthDay, to: MonthDay, workingHours: PeriodsSchema });

export const CalendarSchema = z.strictObject({
  workingHours: PeriodsSchema,
  /** The first season whose from–to (inclusive; from after to wraps the year end) contains a date gives its periods. */
  seasons: z.array(SeasonSchema).default([]),
  /** ISO weekdays off, 1 = Monday ... 7 = Sunday. */
  weekend: z.array(z.number().int(WEEKDAY).min(1, WEEKDAY).max(7, WEEKDAY)).max(6, 'at least one weekday must be a working day')
    .refine((days) => new Set(days).size === days.length, 'a weekday is listed twice').default([6, 7]),
  holidays: z.array(Day).default([]),
  /** Make-up working days (调休): worked although a weekend day or a holiday. */
  workdays: z.array(Day).default([]),
});
export type CalendarConfigSchema = z.infer<typeof CalendarSchema>;

type Path = (string | number)[];
interface Problem { path: Path; message: string }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWorkingSpec = (v: unknown): boolean => isRecord(v) && ('working' in v || 'workingDays' in v);

/**
 * What spans fields: a working-time deadline needs a calendar; a date is not both a holiday and a workday, nor
 * listed twice. Written against `unknown` (it also runs on a file with malformed fields).
 */
export function calendarProblems(county: unknown): Problem[] {
  if (!isRecord(county)) return [];
  const problems: Problem[] = [];
  const calendar = county.calendar;
  if (calendar === undefined) {
    const needs = 'a working-time deadline needs a "calendar" in the county file';
    if (isWorkingSpec(county.verificationWindow)) problems.push({ path: ['verificationWindow'], message: needs });
    (Array.isArray(county.categories) ? county.categories : []).forEach((c, i) => {
      if (!isRecord(c) || !isRecord(c.deadlines)) return;
      for (const [level, spec] of Object.entries(c.deadlines)) {
        if (isWorkingSpec(spec)) problems.push({ path: ['categories', i, 'deadlines', level], message: needs });
      }
    });
    return problems;
  }
  if (!isRecord(calendar)) return problems;
  const seen = new Map<string, Path>();
  for (const list of ['holidays', 'workdays'] as const) {
    (Array.isArray(calendar[list]) ? calendar[list] : []).forEach((d, i) => {
      if (typeof d !== 'string') return;
      const path: Path = ['calendar', list, i];
      const first = seen.get(d);
      if (first === undefined) { seen.set(d, path); return; }
      const where = `$.calendar.${String(first[1])}[${String(first[2])}]`;
      problems.push({ path, message: first[1] === list ? `${d} is listed twice (first at ${where})` : `${d} is listed both as a holiday and as a workday (${where})` });
    });
  }
  return problems;
}
