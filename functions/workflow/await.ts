/**
 * Workflow task `<stage>: await` (`.waitForTaskToken`): stores the task token on the incident so that a
 * supervisor action can answer it. If the incident changed since sync looked at it, or another execution is in
 * charge of it, the token would miss that change: answer it at once so the workflow looks again (and a stray
 * execution ends at its next sync).
 */
import * as z from 'zod';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { asTaskError } from '#commons/transient.js';
import { wakeWorkflow } from '#commons/workflow.js';

const AwaitInput = z.object({
  incidentId: z.string().min(1),
  stage: z.string().min(1),
  taskToken: z.string().min(1),
  version: z.number().int(),
  waitSeconds: z.number().int().min(1),
  executionName: z.string().min(1).optional(),
});

export const handler = async (raw: unknown): Promise<{ stored: boolean }> => {
  const input = AwaitInput.parse(raw);
  try {
    const stored = await incidents().setTaskToken(input.incidentId, input.taskToken, input.version, input.executionName);
    if (!stored) {
      logger.info('incident changed before the stage could wait; waking it', { incidentId: input.incidentId, stage: input.stage });
      await wakeWorkflow(input.incidentId, input.taskToken, 'changed-before-wait');
    }
    return { stored };
  } catch (error) {
    throw asTaskError(error);
  }
};
