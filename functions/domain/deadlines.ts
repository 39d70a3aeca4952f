/**
 * Deadlines (contract §7, §8, §10): every instant the product derives from a deadline — a level's deadline,
 * its 80 % reminder, the overdue reminders at the top, an extension, the verification window — is computed
 * here, each in its deadline's own clock: calendar time for a duration string, working time
 * (functions/domain/working-time.ts) for `{ working }` and `{ workingDays }`.
 *
 * The per-level deadlines come from the policy frozen on the incident at report time, so editing a county file
 * later never moves the deadline of an existing incident. The calendar is the county's as configured now: next
 * year's holidays, added when the State Council announces them, count for every deadline computed after that
 * (an escalation, an extension, a reminder), and never move a deadline already set.
 */
import { MAX_WORKING_DAYS, parseDuration, parseWorkingDuration } from '#config/duration.js';
import type { County } from '#config/county-schema.js';
import { unprocessable, type FieldError } from './errors.js';
import type { DeadlineSpec, FrozenPolicy, Incident, Level } from './incident.js';
import { WorkingCalendar } from './working-time.js';

export { WorkingCalendar };
/** The county's working calendar, or null for a county without `calendar`. */
export type Calendar = WorkingCalendar | null;

/** Share of a level's deadline after which the level gets its single "approaching" reminder. */
export const APPROACHING_SHARE = 0.8;
/** The longest extension a level may ask for (contract §10). */
export const MAX_EXTENSION_MS = 30 * 86_400_000;
export const MAX_EXTENSION_WORKING_DAYS = 30;

/**
 * What a working-time deadline counts in when its county no longer has a calendar (the file dropped it while
 * incidents with working-time deadlines were open): every hour of every day, so nothing is ever stuck.
 */
const ROUND_THE_CLOCK = new WorkingCalendar({ workingHours: [['00:00', '24:00']], weekend: [] }, 'UTC');

const calendars = new WeakMap<County, WorkingCalendar | null>();

/** The county's working calendar (built once per county object), or null without `calendar`. */
export function calendarOf(county: County): Calendar {
  let calendar = calendars.get(county);
  if (calendar === undefined) {
    calendar = county.calendar ? new WorkingCalendar(county.calendar, county.timeZone) : null;
    calendars.set(county, calendar);
  }
  return calendar;
}

/**
 * The years, of the current one (in the county's time zone) and the next, for which the county's calendar names
 * no holiday and no make-up workday: in them only the weekend applies. Empty for a county without a calendar.
 */
export function yearsWithoutCalendarData(county: County, now: Date): number[] {
  const calendar = calendarOf(county);
  if (calendar === null) return [];
  const year = calendar.yearOf(now);
  return [year, year + 1].filter((y) => !calendar.hasDataFor(y));
}

const isCalendarTime = (spec: DeadlineSpec): spec is string => typeof spec === 'string';

export function specOf(policy: FrozenPolicy, level: Level): DeadlineSpec {
  const spec = policy.deadlines[level];
  if (spec === undefined) throw new Error(`the frozen policy has no deadline for level "${level}"`);
  return spec;
}

/**
 * `from` moved on by one `spec`, in the spec's own clock: a duration adds calendar time, `{ working }` adds
 * working time (a deadline falling exactly on the end of a period is that end), `{ workingDays: N }` goes to the
 * end of the last working period of the Nth working day after `from`'s day.
 */
export function addDeadline(spec: DeadlineSpec, from: Date, calendar: Calendar): Date {
  if (isCalendarTime(spec)) return new Date(from.getTime() + parseDuration(spec));
  const clock = calendar ?? ROUND_THE_CLOCK;
  if ('working' in spec) return clock.addWorking(from, parseWorkingDuration(spec.working));
  return clock.closeOfWorkingDay(from, spec.workingDays);
}

export function deadlineAt(policy: FrozenPolicy, level: Level, enteredAt: Date, calendar: Calendar): Date {
  return addDeadline(specOf(policy, level), enteredAt, calendar);
}

/**
 * The 80 % mark between the level's start and its deadline in force (an approved extension included), in the
 * clock of the level's deadline (contract §10): 80 % of the calendar time for a duration string, of the working
 * time between the two for a working-time deadline. Whole milliseconds.
 */
export function reminderAt(policy: FrozenPolicy, level: Level, enteredAt: Date, deadline: Date, calendar: Calendar): Date {
  // span * 4 / 5 rather than span * 0.8: exact for every whole-second span (0.8 is not a binary fraction).
  const share = (span: number) => Math.round((span * 4) / 5);
  if (isCalendarTime(specOf(policy, level))) return new Date(enteredAt.getTime() + share(deadline.getTime() - enteredAt.getTime()));
  const clock = calendar ?? ROUND_THE_CLOCK;
  return clock.addWorking(enteredAt, share(clock.workingBetween(enteredAt, deadline)));
}

/**
 * When the overdue reminder after the one due at `due` (the deadline for the first) is due: one deadline period
 * later, counted from `due`. If that instant has already passed when the reminder at `due` goes out (`sentAt`,
 * the county was down), the missed ones are not sent in a burst: the next is one period after `sentAt`.
 */
export function nextOverdueReminderAt(policy: FrozenPolicy, level: Level, due: Date, sentAt: Date, calendar: Calendar): Date {
  const spec = specOf(policy, level);
  const regular = addDeadline(spec, due, calendar);
  return regular.getTime() > sentAt.getTime() ? regular : addDeadline(spec, sentAt, calendar);
}

export function verificationDueAt(policy: FrozenPolicy, resolvedAt: Date, calendar: Calendar): Date {
  return addDeadline(policy.verificationWindow, resolvedAt, calendar);
}

/**
 * Why `extension` may not be granted (422), or null: positive and at most P30D in its own clock (a duration up
 * to P30D, working time up to PT720H, up to 30 working days), working time only in a county with a calendar.
 */
export function extensionProblem(extension: DeadlineSpec, calendar: Calendar): FieldError | null {
  const path = 'extension';
  const measure = (): number => {
    if (isCalendarTime(extension)) return parseDuration(extension);
    if ('working' in extension) return parseWorkingDuration(extension.working);
    if (!Number.isInteger(extension.workingDays) || extension.workingDays < 1 || extension.workingDays > MAX_WORKING_DAYS) {
      throw new Error(`${extension.workingDays} is not a number of working days from 1`);
    }
    return extension.workingDays * 86_400_000;
  };
  let ms: number;
  try { ms = measure(); } catch (e) { return { path, message: (e as Error).message }; }
  if (ms > MAX_EXTENSION_MS) return { path, message: 'an extension is at most P30D (PT720H of working time, 30 working days)' };
  if (!isCalendarTime(extension) && calendar === null) {
    return { path, message: 'a working-time extension needs a county calendar, and this county has none' };
  }
  return null;
}

export function assertGrantable(extension: DeadlineSpec, calendar: Calendar): void {
  const problem = extensionProblem(extension, calendar);
  if (problem) throw unprocessable('The extension cannot be granted.', [problem]);
}

/**
 * About how long a deadline runs in calendar time (working time spread as 8 hours a day, 5 days a week): for
 * rough figures only — benchmarks that compress a county's time — never for a deadline.
 */
export function nominalMs(spec: DeadlineSpec): number {
  if (isCalendarTime(spec)) return parseDuration(spec);
  const week = 7 / 5;
  if ('working' in spec) return parseWorkingDuration(spec.working) * 3 * week;
  return spec.workingDays * 86_400_000 * week;
}

/** Events written before deadlines were recorded on them: the level's deadline ran from these. */
const ENTERS_LEVEL: ReadonlySet<string> = new Set(['assigned', 'escalated', 'reopened', 'returned', 'reassigned']);

/**
 * The deadline in force at timeline event `index`: the one set by the last event up to it that set one (arrival
 * at a level, an approved extension). Records older than the `deadline` field fall back to the frozen policy.
 */
export function deadlineAtEvent(incident: Incident, index: number): string | null {
  for (let j = index; j >= 0; j--) {
    const e = incident.timeline[j]!;
    if (e.deadline !== undefined) return e.deadline;
    if (ENTERS_LEVEL.has(e.type)) {
      const spec = incident.policy.deadlines[e.level];
      return typeof spec === 'string' ? new Date(Date.parse(e.at) + parseDuration(spec)).toISOString() : null;
    }
  }
  return null;
}

/** A deep copy of what the incident needs from the county: nothing shared with the config object. */
export function freezePolicy(county: County, categoryId: string): FrozenPolicy {
  const category = county.categories.find((c) => c.id === categoryId);
  if (!category) {
    throw unprocessable(`Category "${categoryId}" is unknown in this county.`, [
      { path: 'category', message: `unknown category "${categoryId}"` },
    ]);
  }
  const deadlines: Partial<Record<Level, DeadlineSpec>> = {};
  for (const level of county.ladder) {
    const spec = category.deadlines[level];
    // The county schema guarantees a deadline per ladder level; a hand-built County may not.
    if (spec === undefined) throw new Error(`category "${categoryId}" has no deadline for level "${level}"`);
    deadlines[level] = copySpec(spec);
  }
  return { deadlines, verificationWindow: copySpec(county.verificationWindow), ladder: [...county.ladder] };
}

const copySpec = (spec: DeadlineSpec): DeadlineSpec => (typeof spec === 'string' ? spec : { ...spec });
