/**
 * The reconciler: every incident that a workflow must hold (open, or resolved awaiting verification) has
 * a running execution. One that failed, was stopped or was lost (the local runtime after a crash) is
 * resumed from the record with a new execution; its first sync fires whatever fell due meanwhile.
 * Runs on a schedule in the cloud and at start-up locally; safe to run at any time, twice, or in parallel.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { currentCounty } from '#commons/county.js';
import { requiredEnv, stepFunctions } from '#commons/clients.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { executionName, startWorkflow } from '#commons/workflow.js';

export interface ReconcileReport { checked: number; resumed: string[] }

/** `arn:<p>:states:<r>:<a>:stateMachine:<name>` -> `arn:<p>:states:<r>:<a>:execution:<name>:<execution>`. */
export const executionArnOf = (stateMachineArn: string, execution: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${execution}`;

const generationOf = (name: string | null): number => Number(/-(\d+)$/.exec(name ?? '')?.[1] ?? 0);

async function isRunning(stateMachineArn: string, name: string | null): Promise<boolean> {
  if (!name) return false;
  try {
    const out = await stepFunctions.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }));
    return out.status === 'RUNNING';
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

export const handler = async (): Promise<ReconcileReport> => {
  const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
  const { county } = currentCounty();
  const report: ReconcileReport = { checked: 0, resumed: [] };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await incidents().list({ index: 'active', partition: county.id, ascending: true, limit: 100, ...(startKey ? { startKey } : {}) });
    for (const incident of page.items) {
      report.checked++;
      if (await isRunning(stateMachineArn, incident.workflow.executionName)) continue;
      const name = executionName(incident.id, generationOf(incident.workflow.executionName) + 1);
      await incidents().setExecutionName(incident.id, name);
      if (await startWorkflow(incident.id, name)) report.resumed.push(incident.id);
    }
    startKey = page.lastKey;
  } while (startKey);
  if (report.resumed.length > 0) logger.info('reconciler resumed workflows', { checked: report.checked, resumed: report.resumed.length });
  return report;
};
