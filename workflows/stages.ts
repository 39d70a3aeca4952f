/**
 * The workflow protocol shared by the state machine (workflows/), its Lambda tasks (functions/workflow/)
 * and the local runtime (local/). Names only: no CDK, no SDK, so Lambda bundles stay small.
 */
import type { Stage } from '#domain/advance.js';
import type { Ladder } from '#domain/incident.js';

/** A stage of the workflow: each ladder level, then verification of a resolved incident. */
export type { Stage };
export const END = 'end';
/** Go on in a fresh execution of the current definition (continue-as-new): see functions/workflow/sync.ts. */
export const CONTINUE = 'continue';

/** What the sync task returns: where to go next and how long to wait there. */
export interface SyncStep {
  next: Stage | typeof END | typeof CONTINUE;
  /** Whole seconds, at least 1: the task timeout of the next await. */
  waitSeconds: number;
  /** Incident version the decision was based on; the await task stores its token only if it still holds. */
  version: number;
  /** With `continue`: the name of the execution that takes over (already recorded on the incident). */
  executionName?: string;
}

/** The execution a task runs in, from the context object (`$$.Execution`). */
export interface ExecutionRef { name: string; startedAt: string }

/**
 * Input of the sync task. `ladder` is the ladder the running definition was built for, comma-separated. `closing`:
 * the task ends the execution when the record says it is over (a closed incident); otherwise it fails with
 * STAGE_GOES_ON, which the state machine catches to run the stage's sync and route.
 */
export interface SyncInput { incidentId: string; stage: Stage; execution?: ExecutionRef; ladder?: string; closing?: boolean }

/**
 * Error name of a closing task (verification: close) that finds the workflow must go on: the incident was
 * reopened, is not yet due to close, or continues as new. Caught by the state machine, never retried.
 */
export const STAGE_GOES_ON = 'StageGoesOn';

/** Input of the await task (a `.waitForTaskToken` task). */
export interface AwaitInput { incidentId: string; stage: Stage; taskToken: string; version: number; waitSeconds: number; executionName?: string }

/** Error name of a task's passing failure (functions/commons/transient.ts), retried with backoff. */
export { TRANSIENT_ERROR } from '#commons/transient.js';

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
  close: `${stage}: close`,
});
export const DONE_STATE = 'Done';
export const UNKNOWN_STAGE_STATE = 'Unknown stage';
export const CONTINUE_STATE = 'Continue as new';
export const FAILED_STATE = 'Failed';
