/**
 * Workflow task `<stage>: sync`: decides the next step from the incident record and the clock
 * (functions/domain/advance.ts), writes the change conditionally, publishes and counts what the timeline
 * owes (outbox.ts), and tells the state machine where to go and how long to wait.
 *
 * It also keeps executions honest:
 *  - one execution in charge: the incident records the name of the execution in charge, and any other
 *    (a duplicate started in a race, a run the reconciler replaced) ends at its next sync;
 *  - the county's ladder: an open incident follows the current one (functions/domain/reconfigure.ts), and an
 *    execution of a definition built for another ladder continues as new in the current definition;
 *  - Step Functions' one-year limit: an execution that would wait past CONTINUE_AFTER_DAYS from its start
 *    continues as new instead (the next execution's name is recorded first, so it starts exactly once);
 *  - failures: a passing one (a dependency timed out or was throttled) is a `TransientError` the state
 *    machine retries with backoff; a healthy run ends the incident's streak of failed executions.
 */
import * as z from 'zod';
import { advance, stageOf, waitSecondsAt } from '#domain/advance.js';
import { calendarOf } from '#domain/deadlines.js';
import { ALL_LEVELS, type Incident } from '#domain/incident.js';
import { isGridflowError } from '#domain/errors.js';
import { followLadder } from '#domain/reconfigure.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { asTaskError } from '#commons/transient.js';
import { successorOf } from '#commons/workflow.js';
import { CONTINUE, END, STAGE_GOES_ON, type SyncStep } from '#workflows/stages.js';
import { settle } from './outbox.js';

const SyncInput = z.object({
  incidentId: z.string().min(1),
  stage: z.enum([...ALL_LEVELS, 'verification']),
  execution: z.object({ name: z.string().min(1), startedAt: z.iso.datetime({ offset: true }) }).optional(),
  ladder: z.string().optional(),
  closing: z.boolean().optional(),
});
/** A lost race with a supervisor action is retried at once, a few times, before the stage waits a second. */
const ATTEMPTS = 5;
/** Standard executions end after 365 days; one never waits past this many days from its start. */
export const CONTINUE_AFTER_DAYS = 360;
const CONTINUE_AFTER_MS = CONTINUE_AFTER_DAYS * 86_400_000;

const ended = (version: number): SyncStep => ({ next: END, waitSeconds: 1, version });

export const handler = async (raw: unknown): Promise<SyncStep> => {
  const input = SyncInput.parse(raw);
  try {
    return await sync(input);
  } catch (error) {
    throw asTaskError(error);
  }
};

async function sync(input: z.output<typeof SyncInput>): Promise<SyncStep> {
  const { county } = currentCounty();
  const calendar = calendarOf(county);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const loaded = await incidents().load(input.incidentId);
    if (!loaded) {
      logger.warn('workflow for an unknown incident ends', { incidentId: input.incidentId });
      return ended(0);
    }
    const current = loaded.incident;
    if (input.execution && current.workflow.executionName !== input.execution.name) {
      logger.warn('an execution not in charge of the incident ends', { incidentId: current.id, execution: input.execution.name, inCharge: current.workflow.executionName });
      return ended(current.version);
    }
    // Decide for the stage the record is at (the input names the stage that woke): the route then goes
    // straight to that stage's await.
    const followed = followLadder(current, county, now(), calendar);
    const home = stageOf(followed.incident);
    const decided = advance(followed.incident, home === END ? input.stage : home, now(), calendar);
    let incident = current;
    if (followed.changed || decided.changed) {
      try {
        incident = await incidents().save(decided.incident, current, { readToken: false });
      } catch (error) {
        if (isGridflowError(error) && error.status === 409) continue;
        throw error;
      }
      const last = incident.timeline[incident.timeline.length - 1];
      logger.info('workflow changed incident', { incidentId: incident.id, event: last?.type, reason: last?.reason, atLevel: incident.level, version: incident.version });
    }
    await settle(incident, loaded.bookkeeping);
    if ((incident.workflow.failedExecutions ?? 0) > 0) await incidents().resetFailedExecutions(incident.id);
    // The stage's timer starts after this return: measured from before the writes, the wait would add
    // their time to every deadline (and under load let a deadline pass before its 80 % reminder fired).
    const waitsHere = decided.step.next !== END && decided.step.next === stageOf(incident);
    const waitSeconds = waitsHere ? waitSecondsAt(incident, now(), calendar) : decided.step.waitSeconds;
    const step: SyncStep = { ...decided.step, waitSeconds, version: incident.version };
    // A closing task ends the run only when the incident is over; otherwise the stage's sync takes it on.
    if (input.closing && step.next !== END) throw new StageGoesOn(step);
    if (step.next !== END && input.execution && mustContinue(input, county.ladder, waitSeconds)) return continueAsNew(incident, input.execution.name);
    return step;
  }
  // The await task stores its token only for the current version; -1 never matches, so it wakes at once.
  const retry: SyncStep = { next: input.stage, waitSeconds: 1, version: -1 };
  if (input.closing) throw new StageGoesOn(retry);
  return retry;
}

/** The workflow goes on after a closing task (see workflows/stages.ts): caught by the state machine. */
class StageGoesOn extends Error {
  constructor(step: SyncStep) {
    super(`the workflow goes on: ${step.next}`);
    this.name = STAGE_GOES_ON;
  }
}

/** This execution runs a definition for another ladder, or would wait past its time. */
function mustContinue(input: z.output<typeof SyncInput>, ladder: readonly string[], waitSeconds: number): boolean {
  if (input.ladder !== undefined && input.ladder !== ladder.join(',')) return true;
  const started = Date.parse(input.execution!.startedAt);
  return now().getTime() + waitSeconds * 1000 - started > CONTINUE_AFTER_MS;
}

/**
 * Records the successor as the execution in charge, then hands over: the state machine starts it (same name
 * and input as a reconciler would use, so whichever starts it first, it runs once). If another execution
 * already took over, this one simply ends.
 */
async function continueAsNew(incident: Incident, name: string): Promise<SyncStep> {
  const successor = successorOf(incident.id, name);
  if (!(await incidents().claimExecution(incident.id, name, successor))) return ended(incident.version);
  logger.info('workflow continues in a fresh execution', { incidentId: incident.id, from: name, to: successor });
  return { next: CONTINUE, waitSeconds: 1, version: incident.version, executionName: successor };
}
