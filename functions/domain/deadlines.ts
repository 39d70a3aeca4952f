/**
 * Deadlines from the policy frozen on the incident at report time, so that editing a county file
 * later never moves the deadline of an existing incident.
 */
import { parseDuration } from '#config/duration.js';
import type { County } from '#config/county-schema.js';
import { unprocessable } from './errors.js';
import type { FrozenPolicy, Level } from './incident.js';

/** Share of a level's duration after which the level gets its single "approaching" reminder. */
export const APPROACHING_SHARE = 0.8;

export function levelDurationMs(policy: FrozenPolicy, level: Level): number {
  const iso = policy.deadlines[level];
  if (!iso) throw new Error(`the frozen policy has no deadline for level "${level}"`);
  return parseDuration(iso);
}

export function deadlineAt(policy: FrozenPolicy, level: Level, enteredAt: Date): Date {
  return new Date(enteredAt.getTime() + levelDurationMs(policy, level));
}

/** The 80 % mark of the level's duration after `enteredAt` (whole milliseconds). */
export function reminderAt(policy: FrozenPolicy, level: Level, enteredAt: Date): Date {
  // ms * 4 / 5 rather than ms * 0.8: exact for every whole-second duration (0.8 is not a binary fraction).
  return new Date(enteredAt.getTime() + Math.round((levelDurationMs(policy, level) * 4) / 5));
}

export function verificationDueAt(policy: FrozenPolicy, resolvedAt: Date): Date {
  return new Date(resolvedAt.getTime() + parseDuration(policy.verificationWindow));
}

/** A deep copy of what the incident needs from the county: nothing shared with the config object. */
export function freezePolicy(county: County, categoryId: string): FrozenPolicy {
  const category = county.categories.find((c) => c.id === categoryId);
  if (!category) {
    throw unprocessable(`Category "${categoryId}" is unknown in this county.`, [
      { path: 'category', message: `unknown category "${categoryId}"` },
    ]);
  }
  const deadlines: Partial<Record<Level, string>> = {};
  for (const level of county.ladder) {
    const iso = category.deadlines[level];
    // The county schema guarantees a deadline per ladder level; a hand-built County may not.
    if (!iso) throw new Error(`category "${categoryId}" has no deadline for level "${level}"`);
    deadlines[level] = iso;
  }
  return { deadlines, verificationWindow: county.verificationWindow, ladder: [...county.ladder] };
}
