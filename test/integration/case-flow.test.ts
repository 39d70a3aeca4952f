/**
 * Contract §8 over HTTP on the local county (test/fixtures/counties/casework.json: `paced` has 6 s deadlines,
 * `slow` an hour): extension requests and decisions moving the workflow's timer, the lapse at the deadline,
 * return and reassignment with their notifications and counters, the 4xx of each, and `allowedActions` on
 * every incident the API returns.
 */
import { Incident as IncidentSchema } from '#api/response-schemas.js';
import { until } from '../helpers/county-client.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';

interface Event { at: string; type: string; level: string; actor: string | null; note: string | null; extension?: unknown; fromGridId?: string }
interface Incident {
  id: string; createdAt: string; level: string; status: string; gridId: string; communityId: string; deadline: string | null; version: number;
  pendingExtension: unknown; timeline: Event[]; allowedActions: string[];
}

let t: TestCounty;
let reporter: string, leader1: string, leader2: string, southLeader: string, northTown: string, southTown: string, countyRole: string;

beforeAll(async () => {
  t = await startTestCounty('casework');
  [reporter, leader1, leader2, southLeader, northTown, southTown, countyRole] = await Promise.all([
    t.token('reporter', 'casework', 'resident-1'),
    t.token('grid', 'north-01', 'leader-north-01'),
    t.token('grid', 'north-02', 'leader-north-02'),
    t.token('grid', 'south-01', 'leader-south-01'),
    t.token('town', 'north', 'sup-north'),
    t.token('town', 'south', 'sup-south'),
    t.token('county', 'casework', 'county-desk'),
  ]);
}, 120_000);
afterAll(async () => { await t?.stop(); });

const report = async (category: 'paced' | 'slow', gridId = 'north-01'): Promise<Incident> => {
  const res = await t.call('POST', '/incidents', { token: reporter, body: { category, gridId, title: 'Blocked drain', description: 'Water on the lane' } });
  expect(res.status).toBe(201);
  return res.body as Incident;
};
const act = (id: string, body: object, token: string) => t.call('POST', `/incidents/${id}/actions`, { token, body });
const get = async (id: string, token: string): Promise<Incident> => (await t.call('GET', `/incidents/${id}`, { token })).body as Incident;
const notices = (id: string, event: string) => t.notifications().filter((n) => n.attributes.incidentId === id && n.attributes.event === event);
const expectProblem = (res: { status: number; body: any }, status: number) => {
  expect([res.status, res.body?.status]).toEqual([status, status]);
};

describe('allowedActions on every incident the API returns', () => {
  test('report, read, list and act answer with the caller\'s actions, valid against the Incident schema', async () => {
    const created = await report('slow');
    expect(created.allowedActions).toEqual([]); // a resident may not act on an open incident
    expect(IncidentSchema.safeParse(created).error).toBeUndefined();
    expect((await get(created.id, leader1)).allowedActions).toEqual(['acknowledge', 'comment', 'resolve', 'escalate', 'reject', 'request-extension', 'return']);
    expect((await get(created.id, northTown)).allowedActions).toEqual(['acknowledge', 'comment', 'resolve', 'escalate', 'reject']);
    const list = await t.call('GET', '/incidents?status=open&category=slow', { token: leader1 });
    expect(list.body.items.find((i: Incident) => i.id === created.id).allowedActions).toContain('return');
    const acted = await act(created.id, { action: 'acknowledge' }, leader1);
    expect(acted.body.allowedActions).not.toContain('acknowledge');
    expect(IncidentSchema.safeParse(acted.body).error).toBeUndefined();
  });
});

describe('extensions', () => {
  test('approved: the deadline moves later from the current one, the workflow escalates at the new deadline, both sides are told', async () => {
    const created = await report('paced');
    const asked = await act(created.id, { action: 'request-extension', note: 'Waiting for the plumber', extension: 'PT4S' }, leader1);
    expect(asked.status).toBe(200);
    expect(asked.body.pendingExtension).toMatchObject({ extension: 'PT4S', by: 'leader-north-01', note: 'Waiting for the plumber' });
    expect(asked.body.allowedActions).not.toContain('request-extension');
    expect(asked.body.timeline.at(-1)).toMatchObject({ type: 'extension-requested', level: 'grid', extension: 'PT4S' });
    expect((await get(created.id, northTown)).allowedActions).toEqual(expect.arrayContaining(['approve-extension', 'deny-extension']));
    expectProblem(await act(created.id, { action: 'approve-extension' }, leader1), 403); // nobody decides their own

    const approved = await act(created.id, { action: 'approve-extension', note: 'Four more seconds' }, northTown);
    expect(approved.status).toBe(200);
    const newDeadline = Date.parse(created.deadline!) + 4000;
    expect(approved.body).toMatchObject({ pendingExtension: null, level: 'grid', deadline: new Date(newDeadline).toISOString() });
    expect(approved.body.timeline.at(-1)).toMatchObject({ type: 'extension-approved', actor: 'sup-north', extension: 'PT4S' });
    expectProblem(await act(created.id, { action: 'request-extension', note: 'Again', extension: 'PT4S' }, leader1), 409); // one per stay

    // The town is told of the request, the grid of the decision.
    await until('the request and decision notices', () => notices(created.id, 'extension-requested').length === 1 && notices(created.id, 'extension-approved').length === 1);
    expect(notices(created.id, 'extension-requested')[0]).toMatchObject({ level: 'town', attributes: { townId: 'north', gridId: 'north-01' } });
    expect(notices(created.id, 'extension-approved')[0]).toMatchObject({ level: 'grid' });

    const escalated = await t.waitFor<Incident>(created.id, leader1, (i) => i.level === 'town', 20_000);
    const event = escalated.timeline.find((e) => e.type === 'escalated')!;
    // The original deadline (created + 6 s) passed with the incident still at grid: the timer moved.
    expect(Date.parse(event.at)).toBeGreaterThanOrEqual(newDeadline);
    const reminder = escalated.timeline.find((e) => e.type === 'reminded' && e.level === 'grid')!;
    // The 80 % reminder, not yet due at approval, moved to 80 % of the way to the new deadline.
    const entered = Date.parse(created.createdAt);
    expect(Date.parse(reminder.at)).toBeGreaterThanOrEqual(entered + 0.8 * (newDeadline - entered));
  }, 40_000);

  test('denied: the deadline stands and the holder is told', async () => {
    const created = await report('slow');
    await act(created.id, { action: 'request-extension', note: 'Parts on order', extension: 'PT30M' }, leader1);
    expectProblem(await act(created.id, { action: 'deny-extension' }, northTown), 400); // a denial needs a note
    const denied = await act(created.id, { action: 'deny-extension', note: 'Borrow them' }, countyRole);
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ deadline: created.deadline, pendingExtension: null });
    await until('the denial notice', () => notices(created.id, 'extension-denied').length === 1);
    expect(notices(created.id, 'extension-denied')[0]!.level).toBe('grid');
    expect(notices(created.id, 'extension-denied')[0]!.message).toContain('Extension denied');
  });

  test('a request still pending when the deadline passes lapses with the escalation, in the same version', async () => {
    const created = await report('paced');
    await act(created.id, { action: 'request-extension', note: 'Need a digger', extension: 'PT1M' }, leader1);
    const escalated = await t.waitFor<Incident>(created.id, leader1, (i) => i.level === 'town', 20_000);
    const types = escalated.timeline.map((e) => e.type);
    const lapsedAt = types.indexOf('extension-lapsed');
    expect(types[lapsedAt + 1]).toBe('escalated');
    expect(escalated.timeline[lapsedAt]).toMatchObject({ level: 'grid', actor: null, extension: 'PT1M' });
    expect(escalated.timeline[lapsedAt]!.at).toBe(escalated.timeline[lapsedAt + 1]!.at);
    expect(escalated.pendingExtension).toBeNull();
    expectProblem(await act(created.id, { action: 'approve-extension' }, countyRole), 409); // nothing left to decide
  }, 30_000);

  test('403, 409, 422 and 400 as contract §8 and §10 say', async () => {
    const created = await report('slow');
    const ask = (body: object, token = leader1) => act(created.id, { action: 'request-extension', note: 'More time', ...body }, token);
    expectProblem(await ask({ extension: 'PT1H' }, northTown), 403); // a town supervisor for a grid-level incident
    expectProblem(await ask({ extension: 'P31D' }), 422);
    expectProblem(await ask({ extension: 'PT0S' }), 422);
    expectProblem(await ask({ extension: { working: 'PT4H' } }), 422); // no calendar in this county
    expectProblem(await ask({ extension: 'soon' }), 400);
    expectProblem(await ask({}), 400);
    expectProblem(await act(created.id, { action: 'escalate', extension: 'PT1H' }, leader1), 400);
    expectProblem(await act(created.id, { action: 'approve-extension' }, northTown), 409); // nothing pending
    const top = await report('slow');
    await act(top.id, { action: 'escalate' }, leader1);
    await act(top.id, { action: 'escalate' }, northTown);
    const cityToken = await t.token('city', 'testcity', 'city-desk');
    expectProblem(await act(top.id, { action: 'request-extension', note: 'n', extension: 'PT1H' }, cityToken), 409);
  });
});

describe('return and reassign', () => {
  test('the grid returns it to the town, the town reassigns it to another grid: notices, reads and counters follow', async () => {
    const created = await report('slow');
    const returned = await act(created.id, { action: 'return', note: 'The drain is on the next lane' }, leader1);
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ level: 'town', gridId: 'north-01' });
    expect(Date.parse(returned.body.deadline) - Date.parse(returned.body.updatedAt)).toBe(2 * 3600_000); // the town's deadline
    expect(returned.body.timeline.at(-1)).toMatchObject({ type: 'returned', level: 'town', fromGridId: 'north-01' });
    expect((await get(created.id, northTown)).allowedActions).toContain('reassign');

    expectProblem(await act(created.id, { action: 'reassign', gridId: 'south-01' }, northTown), 422); // another town's grid
    expectProblem(await act(created.id, { action: 'reassign', gridId: 'north-02' }, leader1), 403);
    const stats = async (token: string) => (await t.call('GET', '/stats', { token })).body;
    // The workflow counts each change right after it (docs/api.md): read the counters once it has.
    await t.settled();
    const oldGridBefore = await stats(leader1);
    const moved = await act(created.id, { action: 'reassign', gridId: 'north-02', note: 'Yours' }, northTown);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: created.id, level: 'grid', gridId: 'north-02', communityId: 'north-village' });
    expect(Date.parse(moved.body.deadline) - Date.parse(moved.body.updatedAt)).toBe(3600_000);
    expect(moved.body.timeline.map((e: Event) => e.type)).toEqual(['reported', 'assigned', 'returned', 'reassigned']);
    expect(moved.body.timeline.at(-1)).toMatchObject({ fromGridId: 'north-01', actor: 'sup-north' });

    await until('the return and reassignment notices', () => notices(created.id, 'returned').length === 1 && notices(created.id, 'reassigned').length === 1);
    expect(notices(created.id, 'returned')[0]).toMatchObject({ level: 'town', attributes: { townId: 'north' } });
    expect(notices(created.id, 'reassigned')[0]).toMatchObject({ level: 'grid', attributes: { gridId: 'north-02' } });

    // The old grid leader no longer reads it; the new one does, and may return it in turn.
    expect((await t.call('GET', `/incidents/${created.id}`, { token: leader1 })).status).toBe(404);
    expect((await get(created.id, leader2)).allowedActions).toContain('return');
    expectProblem(await act(created.id, { action: 'reassign', gridId: 'north-01' }, northTown), 409); // not after a return now

    // Counted once, under its current grid; resolution credited to the level that resolved it.
    await act(created.id, { action: 'resolve', note: 'Cleared' }, leader2);
    await t.settled();
    const [oldGrid, newGrid] = await Promise.all([stats(leader1), stats(leader2)]);
    expect(newGrid).toMatchObject({ total: 1, byStatus: { resolved: 1 }, resolvedAtLevel: { grid: 1, town: 0 } });
    expect(oldGrid.total).toBe(oldGridBefore.total - 1);
    expect(oldGrid.byStatus.open).toBe(oldGridBefore.byStatus.open - 1);
  });

  test('only the grid leader holding it at grid level returns it, with a note', async () => {
    const created = await report('slow', 'south-01');
    expectProblem(await act(created.id, { action: 'return', note: 'n' }, southTown), 403);
    expectProblem(await act(created.id, { action: 'return' }, southLeader), 400);
    expectProblem(await act(created.id, { action: 'return', note: 'n' }, leader1), 404);
    expectProblem(await act(created.id, { action: 'reassign', gridId: 'south-02' }, southTown), 409); // never returned
  });
});
