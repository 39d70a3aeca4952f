/**
 * The reconciler: every incident that a workflow must hold (open, or resolved awaiting verification) has
 * exactly one execution in charge, and that execution is running and has seen the record. Runs on a schedule
 * in the cloud and at start-up and every minute locally; safe to run at any time, twice, or in parallel.
 *
 * For each such incident, the execution named on the record (`workflow.executionName`):
 *  - missing: it was never started (a crash or a failure between recording its name and StartExecution): it is
 *    started now under that very name. StartExecution with the same name and input is idempotent while the
 *    execution runs, so a report or a continuing execution starting it at the same moment makes one execution.
 *    Only this (never a new name) happens for a missing execution, which closes the race in which a reconciler
 *    pass between recording the name and starting it started a second execution.
 *  - running, but behind the record (a timeline event it has not published): a supervisor's wake-up failed
 *    (SendTaskSuccess throttled or lost): it is woken now, instead of sleeping until its stage timer.
 *  - closed (failed, timed out, aborted): one more failed execution of the incident. Below MAX_FAILED_EXECUTIONS
 *    in a row, the next generation takes over (the hand-over is conditional, so two reconcilers never both start
 *    one); at the bound the incident is marked stuck, logged once as `incident workflow stuck` (the ops alarm's
 *    metric filter counts that line, infra/constructs/alarms.ts) and no longer restarted.
 *
 * Ops list and retry stuck incidents with this same function: input `{"stuck": "list"}`, or
 * `{"stuck": "retry"}` (every stuck incident) or `{"stuck": "retry", "incidentIds": [...]}`. Locally:
 * `npm run -s stuck -- list|retry [id...]`.
 */
import { DescribeExecutionCommand, type ExecutionStatus } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import type { Incident, StuckMark } from '#domain/incident.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { requiredEnv } from '#commons/env.js';
import { stepFunctions } from '#commons/step-functions.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { executionName, startWorkflow, successorOf, wakeWorkflow } from '#commons/workflow.js';

/** Failed executions in a row after which an incident is no longer restarted. */
export const MAX_FAILED_EXECUTIONS = 3;
/** Error and cause kept on a stuck mark (Step Functions allows 32 KB of cause). */
const DETAIL_CHARS = 1_000;

export interface ReconcileReport {
  checked: number;
  /** Executions started: missing ones under their recorded name, failed ones' successors. */
  resumed: string[];
  /** Running executions woken because they had not seen the record's last change. */
  woken: string[];
  /** Incidents whose execution had failed (and was replaced, or the incident marked stuck). */
  failed: string[];
  /** Incidents that are stuck (marked in this pass or before). */
  stuck: string[];
}

export interface StuckIncident extends StuckMark { incidentId: string; status: Incident['status']; level: Incident['level'] }

const Input = z.looseObject({
  stuck: z.enum(['list', 'retry']).optional(),
  incidentIds: z.array(z.string().min(1)).optional(),
});

/** `arn:<p>:states:<r>:<a>:stateMachine:<name>` -> `arn:<p>:states:<r>:<a>:execution:<name>:<execution>`. */
export const executionArnOf = (stateMachineArn: string, execution: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${execution}`;

type Seen =
  | { state: 'running' }
  | { state: 'missing' }
  | { state: 'closed'; status: ExecutionStatus | undefined; error: string; cause: string };

async function describe(stateMachineArn: string, name: string): Promise<Seen> {
  try {
    const out = await stepFunctions.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }));
    if (out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE') return { state: 'running' };
    return { state: 'closed', status: out.status, error: out.error ?? out.status ?? 'unknown', cause: (out.cause ?? '').slice(0, DETAIL_CHARS) };
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return { state: 'missing' };
    throw error;
  }
}

async function forEachActive(visit: (incident: Incident) => Promise<void>): Promise<void> {
  const { county } = currentCounty();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await incidents().listActive(county.id, startKey);
    for (const incident of page.items) await visit(incident);
    startKey = page.lastKey;
  } while (startKey);
}

async function reconcileOne(incident: Incident, stateMachineArn: string, report: ReconcileReport): Promise<void> {
  const { id, workflow } = incident;
  if (workflow.stuck) {
    report.stuck.push(id);
    return;
  }
  const name = workflow.executionName;
  if (name === null) {
    // A record from before execution names were recorded at creation: its first execution.
    const first = executionName(id, 1);
    if (await incidents().claimExecution(id, null, first) && await startWorkflow(id, first)) report.resumed.push(id);
    return;
  }
  const seen = await describe(stateMachineArn, name);
  if (seen.state === 'running') {
    if (workflow.notifiedThrough < incident.timeline.length && workflow.taskToken) {
      await wakeWorkflow(id, workflow.taskToken, 'reconciler');
      report.woken.push(id);
    }
    return;
  }
  if (seen.state === 'missing') {
    if (await startWorkflow(id, name)) report.resumed.push(id);
    return;
  }
  report.failed.push(id);
  const failed = (workflow.failedExecutions ?? 0) + 1;
  if (failed >= MAX_FAILED_EXECUTIONS) {
    const mark: StuckMark = { at: now().toISOString(), failedExecutions: failed, executionName: name, error: seen.error, cause: seen.cause };
    if (await incidents().markStuck(id, name, mark)) {
      // Logged once, when marked: the ops alarm counts this line.
      logger.error('incident workflow stuck', { incidentId: id, failedExecutions: failed, execution: name, executionStatus: seen.status, error: seen.error });
      report.stuck.push(id);
    }
    return;
  }
  const next = successorOf(id, name);
  if (await incidents().claimExecution(id, name, next, failed)) {
    logger.warn('incident workflow failed; a new execution takes over', { incidentId: id, failedExecutions: failed, execution: name, executionStatus: seen.status, error: seen.error });
    if (await startWorkflow(id, next)) report.resumed.push(id);
  }
}

async function reconcile(): Promise<ReconcileReport> {
  const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
  const report: ReconcileReport = { checked: 0, resumed: [], woken: [], failed: [], stuck: [] };
  await forEachActive(async (incident) => {
    report.checked++;
    // One incident's trouble (a throttled call) never stops the pass for the others.
    try {
      await reconcileOne(incident, stateMachineArn, report);
    } catch (error) {
      logger.warn('could not reconcile an incident; the next pass tries again', { incidentId: incident.id, error: error as Error });
    }
  });
  if (report.resumed.length + report.woken.length + report.failed.length > 0) {
    logger.info('reconciler pass', { checked: report.checked, resumed: report.resumed.length, woken: report.woken.length, failed: report.failed.length, stuck: report.stuck.length });
  }
  return report;
}

async function listStuck(): Promise<StuckIncident[]> {
  const found: StuckIncident[] = [];
  await forEachActive(async (i) => {
    if (i.workflow.stuck) found.push({ incidentId: i.id, status: i.status, level: i.level, ...i.workflow.stuck });
  });
  return found;
}

/** After a fix: clear the mark and the count, and start the next execution now. */
async function retryStuck(ids: readonly string[] | undefined): Promise<{ retried: string[]; notStuck: string[] }> {
  const wanted = ids ?? (await listStuck()).map((s) => s.incidentId);
  const retried: string[] = [];
  const notStuck: string[] = [];
  for (const id of wanted) {
    const incident = await incidents().get(id);
    const stuck = incident?.workflow.stuck;
    if (!incident || !stuck) {
      notStuck.push(id);
      continue;
    }
    const next = successorOf(id, incident.workflow.executionName ?? stuck.executionName);
    if (!(await incidents().clearStuck(id, next))) {
      notStuck.push(id);
      continue;
    }
    logger.info('stuck incident retried', { incidentId: id, execution: next });
    await startWorkflow(id, next);
    retried.push(id);
  }
  return { retried, notStuck };
}

export const handler = async (raw: unknown): Promise<ReconcileReport | { stuck: StuckIncident[] } | { retried: string[]; notStuck: string[] }> => {
  const input = Input.parse(raw ?? {});
  if (input.stuck === 'list') return { stuck: await listStuck() };
  if (input.stuck === 'retry') return retryStuck(input.incidentIds);
  return reconcile();
};
