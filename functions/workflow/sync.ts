/**
 * Workflow task `<stage>: sync`: decides the next step from the incident record and the clock
 * (functions/domain/advance.ts), writes the change conditionally, publishes what the timeline owes,
 * and tells the state machine where to go and how long to wait.
 */
import { z } from 'zod';
import { advance, stageOf, waitSecondsAt } from '#domain/advance.js';
import { calendarOf } from '#domain/deadlines.js';
import { ALL_LEVELS } from '#domain/incident.js';
import { isGridflowError } from '#domain/errors.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { END, type SyncStep } from '#workflows/stages.js';
import { publishPending } from './publish.js';

const SyncInput = z.object({ incidentId: z.string().min(1), stage: z.enum([...ALL_LEVELS, 'verification']) });
/** A lost race with a supervisor action is retried at once, a few times, before the stage waits a second. */
const ATTEMPTS = 5;

export const handler = async (raw: unknown): Promise<SyncStep> => {
  const input = SyncInput.parse(raw);
  const calendar = calendarOf(currentCounty().county);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const current = await incidents().get(input.incidentId);
    if (!current) {
      logger.warn('workflow for an unknown incident ends', { incidentId: input.incidentId });
      return { next: END, waitSeconds: 1, version: 0 };
    }
    // Decide for the stage the record is at (the input names the stage that woke): the route then goes
    // straight to that stage's await.
    const home = stageOf(current);
    const decided = advance(current, home === END ? input.stage : home, now(), calendar);
    let incident = current;
    if (decided.changed) {
      try {
        incident = await incidents().save(decided.incident, current);
      } catch (error) {
        if (isGridflowError(error) && error.status === 409) continue;
        throw error;
      }
      const last = incident.timeline[incident.timeline.length - 1];
      logger.info('workflow changed incident', { incidentId: incident.id, event: last?.type, reason: last?.reason, atLevel: incident.level, version: incident.version });
    }
    await publishPending(incident);
    // The stage's timer starts after this return: measured from before the writes, the wait would add
    // their time to every deadline (and under load let a deadline pass before its 80 % reminder fired).
    const waitsHere = decided.step.next !== END && decided.step.next === stageOf(incident);
    const waitSeconds = waitsHere ? waitSecondsAt(incident, now(), calendar) : decided.step.waitSeconds;
    return { ...decided.step, waitSeconds, version: incident.version };
  }
  // The await task stores its token only for the current version; -1 never matches, so it wakes at once.
  return { next: input.stage, waitSeconds: 1, version: -1 };
};
