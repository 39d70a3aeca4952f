/**
 * Ranks of levels and roles. Ranks are global (grid < town < county < city) so that a county
 * ladder that skips `county` still compares the same way.
 */
import { ALL_LEVELS, type Ladder, type Level, type Role } from './incident.js';

export function levelRank(level: Level): number {
  return ALL_LEVELS.indexOf(level);
}

/** The acting rank of a role; `reporter` has none (null). */
export function roleRank(role: Role): number | null {
  return role === 'reporter' ? null : levelRank(role);
}

function indexOn(ladder: Ladder, level: Level): number {
  const i = ladder.indexOf(level);
  // A level off the frozen ladder means a corrupt record, not a user error.
  if (i < 0) throw new Error(`level "${level}" is not on the ladder [${ladder.join(', ')}]`);
  return i;
}

/** The rung above `level`, or null at the top. */
export function nextLevel(ladder: Ladder, level: Level): Level | null {
  return ladder[indexOn(ladder, level) + 1] ?? null;
}

export function isTop(ladder: Ladder, level: Level): boolean {
  return nextLevel(ladder, level) === null;
}
