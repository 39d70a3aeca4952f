/**
 * The workflow protocol shared by the state machine (workflows/), its Lambda tasks (functions/workflow/)
 * and the local runtime (local/). Names only: no CDK, no SDK, so Lambda bundles stay small.
 */
import type { Stage } from '#domain/advance.js';
import type { Ladder } from '#domain/incident.js';

/** A stage of the workflow: each ladder level, then verification of a resolved incident. */
export type { Stage };
export const END = 'end';

/** What the sync task returns: where to go next and how long to wait there. */
export interface SyncStep {
  next: Stage | typeof END;
  /** Whole seconds, at least 1: the task timeout of the next await. */
  waitSeconds: number;
  /** Incident version the decision was based on; the await task stores its token only if it still holds. */
  version: number;
}

/** Input of the sync task. */
export interface SyncInput { incidentId: string; stage: Stage }

/** Input of the await task (a `.waitForTaskToken` task). */
export interface AwaitInput { incidentId: string; stage: Stage; taskToken: string; version: number; waitSeconds: number }

/** Input of an execution. */
export interface ExecutionInput { incidentId: string }

/** Output a supervisor action sends with SendTaskSuccess: only a wake-up; the record says what happened. */
export interface WakeSignal { woken: string }

export const stagesOf = (ladder: Ladder): Stage[] => [...ladder, 'verification'];

/** State names, readable in the console and stable for the local adapter and tests. */
export const stateNames = (stage: Stage) => ({
  sync: `${stage}: sync`,
  route: `${stage}: route`,
  await: `${stage}: await`,
});
export const DONE_STATE = 'Done';
export const UNKNOWN_STAGE_STATE = 'Unknown stage';
