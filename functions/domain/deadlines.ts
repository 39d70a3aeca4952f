/**
 * Deadlines (contract §7, §8, §10): every instant the product derives from a deadline — a level's deadline,
 * its 80 % reminder, the overdue reminders at the top, an extension, the verification window — is computed
 * here, each in its deadline's own clock. The per-level deadlines come from the policy frozen on the incident
 * at report time, so editing a county file later never moves the deadline of an existing incident.
 */
import { parseDuration } from '#config/duration.js';
import type { County } from '#config/county-schema.js';
import { unprocessable, type FieldError } from './errors.js';
import type { DeadlineSpec, FrozenPolicy, Incident, Level } from './incident.js';

/** Share of a level's deadline after which the level gets its single "approaching" reminder. */
export const APPROACHING_SHARE = 0.8;
/** The longest extension a level may ask for (contract §10). */
export const MAX_EXTENSION_MS = 30 * 86_400_000;
export const MAX_EXTENSION_WORKING_DAYS = 30;

export function specOf(policy: FrozenPolicy, level: Level): DeadlineSpec {
  const spec = policy.deadlines[level];
  if (spec === undefined) throw new Error(`the frozen policy has no deadline for level "${level}"`);
  return spec;
}

/** `from` moved on by one `spec`, in the spec's own clock. */
export function addDeadline(spec: DeadlineSpec, from: Date): Date {
  if (typeof spec === 'string') return new Date(from.getTime() + parseDuration(spec));
  throw new Error('working-time deadlines need the county calendar');
}

export function deadlineAt(policy: FrozenPolicy, level: Level, enteredAt: Date): Date {
  return addDeadline(specOf(policy, level), enteredAt);
}

/**
 * The 80 % mark between the level's start and its deadline in force (an approved extension included), in the
 * clock of the level's deadline. Whole milliseconds.
 */
export function reminderAt(policy: FrozenPolicy, level: Level, enteredAt: Date, deadline: Date): Date {
  specOf(policy, level);
  // span * 4 / 5 rather than span * 0.8: exact for every whole-second span (0.8 is not a binary fraction).
  return new Date(enteredAt.getTime() + Math.round(((deadline.getTime() - enteredAt.getTime()) * 4) / 5));
}

/**
 * When the overdue reminder after the one due at `due` (the deadline for the first) is due: one deadline period
 * later, counted from `due`. If that instant has already passed when the reminder at `due` goes out (`sentAt`,
 * the county was down), the missed ones are not sent in a burst: the next is one period after `sentAt`.
 */
export function nextOverdueReminderAt(policy: FrozenPolicy, level: Level, due: Date, sentAt: Date): Date {
  const spec = specOf(policy, level);
  const regular = addDeadline(spec, due);
  return regular.getTime() > sentAt.getTime() ? regular : addDeadline(spec, sentAt);
}

export function verificationDueAt(policy: FrozenPolicy, resolvedAt: Date): Date {
  return addDeadline(policy.verificationWindow, resolvedAt);
}

/** Why `extension` may not be granted (422), or null: positive, at most P30D, working time only with a calendar. */
export function extensionProblem(extension: DeadlineSpec): FieldError | null {
  const path = 'extension';
  if (typeof extension === 'string') {
    let ms: number;
    try { ms = parseDuration(extension); } catch (e) { return { path, message: (e as Error).message }; }
    return ms > MAX_EXTENSION_MS ? { path, message: `"${extension}" is longer than P30D, the longest extension` } : null;
  }
  return { path, message: 'a working-time extension needs a county calendar, and this county has none' };
}

export function assertGrantable(extension: DeadlineSpec): void {
  const problem = extensionProblem(extension);
  if (problem) throw unprocessable('The extension cannot be granted.', [problem]);
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
