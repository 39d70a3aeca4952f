/**
 * Issue 9, items 4 and 6, on the local county (the synthesized state machine run by the local Step Functions,
 * the real handlers, DynamoDB Local): failures surface instead of looping, long-lived incidents continue in a
 * fresh execution, and the reconciler can no longer lose a race with a report or a failed wake-up. Counted at
 * the source: executions at the local Step Functions, messages at the local SNS endpoint (before the sink's
 * de-duplication).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Incident } from '#domain/incident.js';
import { resetClock, startClockAt } from '#commons/clock.js';
import { until } from '../helpers/county-client.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';
import { REPO_ROOT } from '../helpers/spawned-county.js';

let t: TestCounty;
let countyRole: string, leader: string;
const HAZARD = { category: 'safety-hazard', gridId: 'north-01', title: 'Loose power line', description: 'A cable hangs low' };

beforeAll(async () => {
  t = await startTestCounty('testville', { inMemory: true });
  [countyRole, leader] = await Promise.all([t.token('county', 'testville', 'county-desk'), t.token('grid', 'north-01', 'leader-north-01')]);
}, 90_000);
afterAll(async () => {
  resetClock();
  await t?.stop();
});

const stores = () => import('#commons/stores.js');
/** Oldest first. */
const executionsOf = (id: string) => t.county.stepFunctions.listExecutions().filter((e) => e.name.startsWith(`${id}-`)).reverse();
const running = (id: string) => executionsOf(id).filter((e) => e.status === 'RUNNING');
const published = (id: string, event?: string) => t.county.publishes().filter((p) => p.attributes.incidentId === id && (!event || p.attributes.event === event));
const stored = async (id: string) => (await (await stores()).incidents().get(id))!;
const waiting = (id: string) => until(`${id} waiting`, () => t.county.stepFunctions.waitingTokens().some((w) => w.executionArn.includes(`:${id}-`)));

/** An incident written as a report writes it, whose execution is not started yet. */
async function recorded(patch: (i: Incident) => Incident = (i) => i): Promise<Incident> {
  const { reportIncident } = await import('#domain/lifecycle.js');
  const id = randomUUID();
  const incident = reportIncident(HAZARD, { sub: 'resident-r', name: 'R', role: 'reporter', scope: 'testville' }, t.county.county, new Date(), id);
  const withName = patch({ ...incident, workflow: { ...incident.workflow, executionName: `${id}-1` } });
  await (await stores()).incidents().create(withName);
  return withName;
}

const stuckCli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'local/stuck-cli.ts', ...args, '--data-dir', t.dataDir], {
  cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' },
});

describe('item 6: races the reconciler used to lose', () => {
  test('a reconciler pass between recording the execution name and StartExecution starts that very execution: one runs, one assigned message', async () => {
    const incident = await recorded();
    const { startWorkflow } = await import('#commons/workflow.js');
    // The report's StartExecution and a reconciler pass, at the same moment, many times over.
    await Promise.all([startWorkflow(incident.id, `${incident.id}-1`), t.county.reconcile(), t.county.reconcile(), startWorkflow(incident.id, `${incident.id}-1`)]);
    await waiting(incident.id);
    expect(executionsOf(incident.id).map((e) => [e.name, e.status])).toEqual([[`${incident.id}-1`, 'RUNNING']]);
    expect((await stored(incident.id)).workflow.executionName).toBe(`${incident.id}-1`);
    await until('the assigned message', () => published(incident.id, 'assigned').length === 1);
    await t.county.reconcile();
    expect(executionsOf(incident.id)).toHaveLength(1);
    expect(published(incident.id, 'assigned')).toHaveLength(1);
  });

  test('an action whose wake-up failed is seen at the next reconciler pass, not when the stage timer (an hour) runs out', async () => {
    const id = (await t.call('POST', '/incidents', { token: leader, body: HAZARD })).body.id as string;
    await waiting(id);
    await until('the assigned message', () => published(id, 'assigned').length === 1);
    // What the action route does, with the SendTaskSuccess lost: the change is stored, the workflow not told.
    const { applyAction } = await import('#domain/lifecycle.js');
    const current = await stored(id);
    const { incident: escalated } = applyAction(current, { sub: 'leader-north-01', name: 'L', role: 'grid', scope: 'north-01' }, { action: 'escalate' }, new Date(), { countyId: 'testville', cityId: 'testcity', county: t.county.county });
    await (await stores()).incidents().save(escalated, current);
    const report = await t.county.reconcile();
    expect(report.woken).toContain(id);
    await until('both escalation messages', () => published(id, 'escalated').length === 2);
    expect(published(id, 'escalated').map((p) => p.attributes.level).sort()).toEqual(['grid', 'town']);
    await until('waiting at the town', async () => (await stored(id)).workflow.notifiedThrough === (await stored(id)).timeline.length && t.county.stepFunctions.waitingTokens().some((w) => w.executionArn.includes(id) && w.stateName === 'town: await'));
    expect(running(id)).toHaveLength(1);
  });
});

describe('item 4: failures surface instead of looping', () => {
  test('a poisoned incident fails a bounded number of executions, is marked stuck, listed, and runs again once fixed and retried', async () => {
    // A record the workflow cannot process: no deadline for its level (a bug or bad data, not a passing failure).
    const incident = await recorded((i) => ({ ...i, policy: { ...i.policy, deadlines: { town: 'PT2H', city: 'PT4H' } } }));
    const id = incident.id;
    const failedExecutions = async (n: number) => until(`${n} failed executions`, () => executionsOf(id).filter((e) => e.status === 'FAILED').length === n, 30_000);
    await t.county.reconcile(); // the missing first execution starts under its recorded name
    for (let n = 1; n <= 3; n++) {
      await failedExecutions(n);
      const report = await t.county.reconcile();
      expect(report.failed).toContain(id);
      expect(report.resumed.includes(id)).toBe(n < 3);
    }
    const described = t.county.stepFunctions.describeExecution(executionsOf(id).at(-1)!.executionArn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect(described.cause).toMatch(/no deadline|deadline for level "grid"/);
    const mark = (await stored(id)).workflow.stuck;
    expect(mark).toMatchObject({ failedExecutions: 3, executionName: `${id}-3`, error: 'Error' });

    // No longer restarted: further passes start nothing.
    const started = t.county.stepFunctions.stats().executionsStarted;
    for (let n = 0; n < 3; n++) expect((await t.county.reconcile()).stuck).toContain(id);
    expect(t.county.stepFunctions.stats().executionsStarted).toBe(started);

    // Ops list it with one command, fix the data, retry it with one command.
    const listed = await stuckCli('list', '--json');
    expect(JSON.parse(listed.stdout).stuck).toEqual([expect.objectContaining({ incidentId: id, failedExecutions: 3, level: 'grid', status: 'open' })]);
    expect((await stuckCli('list')).stdout).toContain(`${id}  open at grid  3 failed executions`);
    const current = await stored(id);
    await (await stores()).incidents().save({ ...current, policy: { ...current.policy, deadlines: { grid: 'PT1H', ...current.policy.deadlines } } }, current);
    expect((await stuckCli('retry', id)).stdout).toBe(`retried ${id}\n`);
    await waiting(id);
    expect((await stored(id)).workflow).toMatchObject({ stuck: null, failedExecutions: 0, executionName: `${id}-4` });
    await until('the assigned message', () => published(id, 'assigned').length === 1);
    expect(JSON.parse((await stuckCli('list', '--json')).stdout).stuck).toEqual([]);
  }, 120_000);
});

describe('item 4: long-lived incidents continue in a fresh execution', () => {
  test('an execution about to outlive a year hands over to its successor: one execution runs on, nothing is done twice', async () => {
    const id = (await t.call('POST', '/incidents', { token: leader, body: { ...HAZARD, gridId: 'north-01' } })).body.id as string;
    await waiting(id);
    await until('the assigned message', () => published(id, 'assigned').length === 1);
    // 361 days later (the product clock), a comment wakes the workflow: its wait would pass the limit.
    startClockAt(new Date(Date.now() + 361 * 86_400_000));
    try {
      expect((await t.call('POST', `/incidents/${id}/actions`, { token: countyRole, body: { action: 'comment', note: 'Still on it' } })).status).toBe(200);
      await until('the successor waiting', () => t.county.stepFunctions.waitingTokens().some((w) => w.executionArn.endsWith(`:${id}-2`)), 20_000);
      expect(executionsOf(id).map((e) => [e.name, e.status])).toEqual([[`${id}-1`, 'SUCCEEDED'], [`${id}-2`, 'RUNNING']]);
      const after = await stored(id);
      expect(after.workflow.executionName).toBe(`${id}-2`);
      // The deadlines that passed in that year were acted on once, by one execution.
      const ids = t.county.publishes().filter((p) => p.attributes.incidentId === id).map((p) => p.attributes.notificationId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(after.timeline.filter((e) => e.type === 'escalated').map((e) => e.level)).toEqual(['town', 'city'].slice(0, after.timeline.filter((e) => e.type === 'escalated').length));
      await t.county.reconcile();
      expect(running(id)).toHaveLength(1);
    } finally {
      resetClock();
    }
  }, 60_000);
});
