/**
 * The API's side of the workflow: start an incident's execution, and wake the waiting stage after a
 * supervisor action. Failures here never fail the request: the record is already written, and the
 * reconciler resumes an execution that is missing or asleep (functions/workflow/reconcile.ts).
 */
import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionInput, WakeSignal } from '#workflows/stages.js';
import { requiredEnv } from './env.js';
import { stepFunctions } from './step-functions.js';
import { logger } from './logger.js';

export const executionName = (incidentId: string, generation: number): string => `${incidentId}-${generation}`;

/** The generation of an execution name (0 for none). */
export const generationOf = (name: string | null): number => Number(/-(\d+)$/.exec(name ?? '')?.[1] ?? 0);

/** The name of the execution that takes over from `name`. */
export const successorOf = (incidentId: string, name: string | null): string => executionName(incidentId, generationOf(name) + 1);

/** Starts the execution; true if it runs (or already ran under that name). */
export async function startWorkflow(incidentId: string, name: string): Promise<boolean> {
  const input: ExecutionInput = { incidentId };
  try {
    await stepFunctions.send(new StartExecutionCommand({
      stateMachineArn: requiredEnv('STATE_MACHINE_ARN'),
      name,
      input: JSON.stringify(input),
    }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ExecutionAlreadyExists') return true;
    logger.error('could not start the incident workflow; the reconciler will resume it', { incidentId, error: error as Error });
    return false;
  }
}

const SPENT_TOKEN = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Answers the waiting stage so it looks at the record again. A spent token means it already moved on. */
export async function wakeWorkflow(incidentId: string, taskToken: string | null, reason: string): Promise<void> {
  if (!taskToken) return;
  const output: WakeSignal = { woken: reason };
  try {
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  } catch (error) {
    if (SPENT_TOKEN.has((error as Error).name)) return;
    logger.warn('could not wake the incident workflow; its stage timer or the reconciler will', { incidentId, error: error as Error });
  }
}
