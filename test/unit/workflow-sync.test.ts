/**
 * The sync task's wait is measured from when its writes are done, which is when the stage's timer starts:
 * slow writes must not make the next step late (a deadline passing before its 80 % reminder fired). And the
 * task keeps executions honest (issue 9, items 4 to 6): a stray execution ends, one near the one-year limit or
 * built for another ladder continues as new (its successor recorded first), an open incident follows the
 * county's ladder, and a dependency's passing failure is a TransientError the state machine retries.
 */
import { jest } from '@jest/globals';
import { CountySchema } from '#config/county-schema.js';
import type { Incident } from '#domain/incident.js';
import { reportIncident } from '#domain/lifecycle.js';

let writeMs = 0;
let failGet: Error | null = null;
const store = {
  current: null as Incident | null,
  load: async () => {
    if (failGet) throw failGet;
    return store.current ? { incident: store.current, bookkeeping: { taskToken: null, through: 0, counted: null } } : null;
  },
  save: async (next: Incident) => {
    jest.setSystemTime(Date.now() + writeMs); // the write takes this long
    store.current = next;
    return next;
  },
  claimExecution: async (_id: string, from: string | null, to: string) => {
    if (store.current!.workflow.executionName !== from) return false;
    store.current = { ...store.current!, workflow: { ...store.current!.workflow, executionName: to } };
    return true;
  },
  resetFailedExecutions: async () => {
    store.current = { ...store.current!, workflow: { ...store.current!.workflow, failedExecutions: 0 } };
  },
};
jest.unstable_mockModule('#commons/stores.js', () => ({ incidents: () => store }));
jest.unstable_mockModule('../../functions/workflow/outbox.js', () => ({ settle: async () => undefined }));
const { handler, CONTINUE_AFTER_DAYS } = await import('#workflow/sync.js');
const { useCounty } = await import('#commons/county.js');

const county = CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT10S', town: 'PT10S', city: 'PT10S' } }],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});
const t0 = new Date('2025-03-01T00:00:00.000Z');
beforeEach(() => { useCounty(county); });

afterEach(() => {
  jest.useRealTimers();
  failGet = null;
  writeMs = 0;
  useCounty(county);
});

const reported = (name: string | null = 'inc-1-1', c = county) => {
  const incident = reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' },
    { sub: 'r', name: 'R', role: 'reporter', scope: 'shouyang' }, c, t0, 'inc-1');
  return { ...incident, workflow: { ...incident.workflow, executionName: name } };
};
const execution = (name: string, startedAt: Date) => ({ name, startedAt: startedAt.toISOString() });

test.each([
  [0, 2], // reminder at 8 s, deadline at 10 s: wait 2 s
  [1_500, 1], // the reminder's write took 1.5 s: 0.5 s are left, so wait 1 s, not 2 (which would be 1.5 s late)
])('the wait after the 80 %% reminder, when writing it took %i ms, is %i s', async (ms, seconds) => {
  writeMs = ms;
  store.current = reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' },
    { sub: 'r', name: 'R', role: 'reporter', scope: 'shouyang' }, county, t0, 'inc-1');
  jest.useFakeTimers({ now: t0.getTime() + 8_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  const step = await handler({ incidentId: 'inc-1', stage: 'grid' });
  expect(store.current!.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'approaching' });
  expect(step).toEqual({ next: 'grid', waitSeconds: seconds, version: 2 });
});

test('in a county with a calendar the wait runs to the instant computed in working time', async () => {
  // Office hours 08:30-12:00 and 14:30-17:30 in Beijing; a 4-working-hour grid deadline reported on Friday
  // 2025-02-28 at 17:00: 0.5 h that day, the weekend off, 3.5 h on Monday. The 80 % reminder (3.2 h) is due on
  // Monday at 11:12 Beijing time (03:12 UTC).
  const office = CountySchema.parse({
    ...county, calendar: { workingHours: [['08:30', '12:00'], ['14:30', '17:30']] },
    categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: { working: 'PT4H' }, town: 'PT10S', city: 'PT10S' } }],
  });
  useCounty(office);
  writeMs = 0;
  const reportedAt = new Date('2025-02-28T09:00:00.000Z');
  store.current = reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' },
    { sub: 'r', name: 'R', role: 'reporter', scope: 'shouyang' }, office, reportedAt, 'inc-2');
  expect(store.current.deadline).toBe('2025-03-03T04:00:00.000Z');
  jest.useFakeTimers({ now: reportedAt.getTime(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  const step = await handler({ incidentId: 'inc-2', stage: 'grid' });
  expect(step).toEqual({ next: 'grid', waitSeconds: (Date.parse('2025-03-03T03:12:00.000Z') - reportedAt.getTime()) / 1000, version: 1 });
});

describe('executions', () => {
  test('an execution that is not the one in charge ends at its sync and changes nothing', async () => {
    store.current = reported('inc-1-2');
    jest.useFakeTimers({ now: t0.getTime() + 11_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const step = await handler({ incidentId: 'inc-1', stage: 'grid', execution: execution('inc-1-1', t0), ladder: 'grid,town,city' });
    expect(step).toEqual({ next: 'end', waitSeconds: 1, version: 1 });
    expect(store.current!.level).toBe('grid'); // the deadline passed, but only the execution in charge escalates
  });

  test('near the one-year limit it continues as new: the successor is recorded before the state machine starts it', async () => {
    store.current = reported('inc-1-1');
    const startedAt = new Date(t0.getTime() - (CONTINUE_AFTER_DAYS - 1) * 86_400_000);
    jest.useFakeTimers({ now: t0.getTime() + 1_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    // Waiting 8 s would still end within the limit...
    expect(await handler({ incidentId: 'inc-1', stage: 'grid', execution: execution('inc-1-1', t0), ladder: 'grid,town,city' }))
      .toEqual({ next: 'grid', waitSeconds: 7, version: 1 });
    // ...but not a day, from an execution that started 359 days ago.
    store.current = { ...store.current!, deadline: new Date(t0.getTime() + 2 * 86_400_000).toISOString() };
    const step = await handler({ incidentId: 'inc-1', stage: 'grid', execution: execution('inc-1-1', startedAt), ladder: 'grid,town,city' });
    expect(step).toEqual({ next: 'continue', waitSeconds: 1, version: 1, executionName: 'inc-1-2' });
    expect(store.current!.workflow.executionName).toBe('inc-1-2');
    // The old execution, if it ran its sync again, would now end: only one runs on.
    expect((await handler({ incidentId: 'inc-1', stage: 'grid', execution: execution('inc-1-1', startedAt), ladder: 'grid,town,city' })).next).toBe('end');
  });

  test('an execution of a definition built for another ladder continues as new; the incident follows the new ladder', async () => {
    const four = CountySchema.parse({ ...county, ladder: ['grid', 'town', 'county', 'city'],
      categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT10S', town: 'PT10S', county: 'PT10S', city: 'PT10S' } }] });
    store.current = { ...reported('inc-1-3', four), level: 'county' };
    jest.useFakeTimers({ now: t0.getTime() + 1_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const step = await handler({ incidentId: 'inc-1', stage: 'county', execution: execution('inc-1-3', t0), ladder: 'grid,town,county,city' });
    expect(step).toMatchObject({ next: 'continue', executionName: 'inc-1-4' });
    // The county's current ladder has no county level: the incident moved to the nearest level above.
    expect(store.current).toMatchObject({ level: 'city', version: 2, policy: { ladder: ['grid', 'town', 'city'] } });
    expect(store.current!.timeline.at(-1)).toMatchObject({ type: 'escalated', level: 'city', reason: 'reconfigured', actor: null });
    expect(Date.parse(store.current!.deadline!)).toBe(t0.getTime() + 1_000 + 10_000);
  });

  test("a dependency's passing failure is a TransientError; a bug is not", async () => {
    store.current = reported();
    failGet = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    await expect(handler({ incidentId: 'inc-1', stage: 'grid' })).rejects.toMatchObject({ name: 'TransientError' });
    failGet = Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
    await expect(handler({ incidentId: 'inc-1', stage: 'grid' })).rejects.toMatchObject({ name: 'TransientError' });
    failGet = new TypeError('cannot read properties of undefined');
    await expect(handler({ incidentId: 'inc-1', stage: 'grid' })).rejects.toMatchObject({ name: 'TypeError' });
  });

  test('a healthy run ends the streak of failed executions', async () => {
    store.current = { ...reported(), workflow: { ...reported().workflow, failedExecutions: 2 } };
    jest.useFakeTimers({ now: t0.getTime() + 1_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await handler({ incidentId: 'inc-1', stage: 'grid', execution: execution('inc-1-1', t0), ladder: 'grid,town,city' });
    expect(store.current!.workflow.failedExecutions).toBe(0);
  });
});

describe('closing: the task after the last wait', () => {
  const resolvedAt = new Date(t0.getTime() + 1_000);
  const resolved = (): Incident => {
    const open = reported();
    return {
      ...open, status: 'resolved', deadline: null, version: 2,
      resolution: { note: 'Fixed', by: 'hs-09', level: 'grid', at: resolvedAt.toISOString() },
      timeline: [...open.timeline, { at: resolvedAt.toISOString(), type: 'resolved', level: 'grid', actor: 'hs-09', note: 'Fixed', reason: null }],
      workflow: { ...open.workflow, verificationDue: new Date(resolvedAt.getTime() + 3 * 86_400_000).toISOString() },
    };
  };
  const closing = { incidentId: 'inc-1', stage: 'verification', execution: execution('inc-1-1', t0), ladder: 'grid,town,city', closing: true };

  test('closes the incident when the verification window has passed and ends the run (no route, no Done)', async () => {
    store.current = resolved();
    jest.useFakeTimers({ now: resolvedAt.getTime() + 3 * 86_400_000 + 1, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    expect(await handler(closing)).toEqual({ next: 'end', waitSeconds: 1, version: 3 });
    expect(store.current!.status).toBe('closed');
  });

  test('fails with StageGoesOn when the workflow goes on: not yet due, or reopened (the stage\'s sync takes it then)', async () => {
    store.current = resolved();
    jest.useFakeTimers({ now: resolvedAt.getTime() + 1_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await expect(handler(closing)).rejects.toMatchObject({ name: 'StageGoesOn' });
    store.current = { ...reported(), version: 3 }; // reopened: open at grid again
    await expect(handler(closing)).rejects.toMatchObject({ name: 'StageGoesOn' });
    expect(store.current!.status).toBe('open');
  });
});
