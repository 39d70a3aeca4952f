/**
 * The documented response schemas (functions/api/response-schemas.ts, from which docs/openapi.json is
 * generated) against real responses of the local county: every success body and every error body the
 * contract names must satisfy its schema, so the docs cannot drift from what the API sends.
 */
import type { z } from 'zod';
import { Health, Incident, IncidentPage, Problem, Stats } from '#api/response-schemas.js';
import { startTestCounty, type ApiResponse, type TestCounty } from '../helpers/local-county.js';

let t: TestCounty;
let reporter: string, leader: string, otherLeader: string, town: string, countyRole: string, city: string;

const HAZARD = { category: 'safety-hazard', gridId: 'north-01', title: 'Loose power line', description: 'A cable hangs low over the lane' };

beforeAll(async () => {
  t = await startTestCounty('testville');
  [reporter, leader, otherLeader, town, countyRole, city] = await Promise.all([
    t.token('reporter', 'testville', 'resident-9'),
    t.token('grid', 'north-01', 'leader-north-01'),
    t.token('grid', 'north-02', 'leader-north-02'),
    t.token('town', 'north', 'sup-north'),
    t.token('county', 'testville', 'county-desk'),
    t.token('city', 'testcity', 'city-desk'),
  ]);
});
afterAll(async () => { await t?.stop(); });

const report = (body: object, token = reporter, headers: Record<string, string> = {}) => t.call('POST', '/incidents', { token, body, headers });
const act = (id: string, body: object, token: string) => t.call('POST', `/incidents/${id}/actions`, { token, body });

/** The value satisfies the schema; the issues are shown when it does not. */
function expectValid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  expect(result.success ? [] : result.error.issues).toEqual([]);
  return result.data as z.output<S>;
}
/** The response has this status, is sent as `mediaType` and its body satisfies the schema. */
function expectBody<S extends z.ZodType>(schema: S, res: ApiResponse, status: number, mediaType = 'application/json'): z.output<S> {
  expect({ status: res.status, body: res.status === status ? '' : res.text.slice(0, 500) }).toEqual({ status, body: '' });
  expect(res.headers.get('content-type')?.split(';')[0]).toBe(mediaType);
  return expectValid(schema, res.body);
}
const expectIncident = (res: ApiResponse, status = 200) => expectBody(Incident, res, status);
const expectProblem = (res: ApiResponse, status: number) => {
  const problem = expectBody(Problem, res, status, 'application/problem+json');
  expect(problem.status).toBe(status);
  return problem;
};

describe('success bodies match the documented schemas', () => {
  test('GET /health', async () => {
    expectBody(Health, await t.call('GET', '/health'), 200);
  });

  test('POST /incidents: 201 Incident, with and without optional parts, and its idempotent replay', async () => {
    const full = expectIncident(await report({
      ...HAZARD, location: { lat: 37.75, lng: 113.18, address: 'Lane 3' }, reporter: { name: 'Li Ming', phone: '13800003333' },
      occurredAt: '2026-11-29T08:00:00+08:00',
    }), 201);
    expect(full.reporter).toEqual({ name: 'Li Ming', phone: '13800003333' });
    expect(full.occurredAt).toBe('2026-11-29T00:00:00.000Z');
    const bare = expectIncident(await report(HAZARD), 201);
    expect([bare.location, bare.reporter, bare.occurredAt]).toEqual([null, null, null]);
    const onSpot = expectIncident(await report({ ...HAZARD, resolvedOnSpot: { note: 'Tied the cable up' } }, leader), 201);
    expect(onSpot).toMatchObject({ status: 'resolved', resolvedOnSpot: true, resolution: { level: 'grid' } });

    const key = { 'idempotency-key': `responses-${Date.now()}` };
    const first = await report({ ...HAZARD, title: 'Replayed' }, reporter, key);
    const again = await report({ ...HAZARD, title: 'Replayed' }, reporter, key);
    expectIncident(again, 201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('location')).toBe(`/incidents/${(first.body as { id: string }).id}`);
  });

  test('GET /incidents/{id}: the view of every role that may read it', async () => {
    const { id } = expectIncident(await report({ ...HAZARD, reporter: { name: 'Li Ming', phone: '13800004444' } }), 201);
    for (const token of [reporter, leader, town, countyRole, city]) {
      expectIncident(await t.call('GET', `/incidents/${id}`, { token }));
    }
    // The town sees the name, not the phone: the schema allows either.
    const seenByTown = expectIncident(await t.call('GET', `/incidents/${id}`, { token: town }));
    expect(seenByTown.reporter).toEqual({ name: 'Li Ming' });
  });

  test('POST /incidents/{id}/actions: every action answers an Incident', async () => {
    const first = expectIncident(await report(HAZARD), 201);
    expectIncident(await act(first.id, { action: 'acknowledge' }, leader));
    expectIncident(await act(first.id, { action: 'comment', note: 'On my way' }, leader));
    const escalated = expectIncident(await act(first.id, { action: 'escalate', note: 'Needs the power company' }, leader));
    expect(escalated.timeline.at(-1)).toMatchObject({ type: 'escalated', reason: 'manual', level: 'town' });
    const resolved = expectIncident(await act(first.id, { action: 'resolve', note: 'Fixed', expectedVersion: escalated.version }, town));
    expect(resolved.resolution).toMatchObject({ level: 'town', by: 'sup-north' });
    const reopened = expectIncident(await act(first.id, { action: 'reopen', note: 'Hanging again' }, reporter));
    expect(reopened).toMatchObject({ status: 'open', level: 'town', resolution: null, overdue: false });
    expectIncident(await act(first.id, { action: 'resolve', note: 'Fixed for good' }, countyRole));
    const closed = expectIncident(await act(first.id, { action: 'verify' }, reporter));
    expect(closed.timeline.at(-1)).toMatchObject({ type: 'closed', reason: 'verified' });

    const second = expectIncident(await report(HAZARD), 201);
    const rejected = expectIncident(await act(second.id, { action: 'reject', note: 'Duplicate of another report' }, city));
    expect(rejected).toMatchObject({ status: 'rejected', deadline: null });
  });

  test('GET /incidents: pages of Incidents, nextCursor a string then null', async () => {
    for (let i = 0; i < 3; i++) expectIncident(await report({ ...HAZARD, gridId: 'north-02', title: `page ${i}` }, otherLeader), 201);
    const first = expectBody(IncidentPage, await t.call('GET', '/incidents?limit=2', { token: otherLeader }), 200);
    expect(first.items).toHaveLength(2);
    expect(typeof first.nextCursor).toBe('string');
    const rest = expectBody(IncidentPage, await t.call('GET', `/incidents?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`, { token: otherLeader }), 200);
    expect(rest.nextCursor).toBeNull();
    for (const query of ['status=open', 'status=resolved&level=grid', 'overdue=false&category=safety-hazard', 'townId=south']) {
      expectBody(IncidentPage, await t.call('GET', `/incidents?${query}`, { token: countyRole }), 200);
    }
  });

  test('the workflow\'s own events (deadline escalations, reminders, overdue, closing by the window) fit the schema', async () => {
    // conflict: PT2S at every level, so the incident climbs to the city and goes overdue within seconds.
    const climbing = expectIncident(await report({ ...HAZARD, category: 'conflict', title: 'Climbs the ladder' }), 201);
    const resolved = expectIncident(await report({ ...HAZARD, resolvedOnSpot: { note: 'Done' } }, leader), 201);
    // The overdue reminder at the top: an 80 % reminder (`approaching`) may come first on a machine quick enough.
    type Seen = { timeline: { type: string; reason: string | null }[] };
    const reminded = expectValid(Incident, await t.waitFor(climbing.id, countyRole,
      (i: Seen) => i.timeline.some((e) => e.type === 'reminded' && e.reason === 'overdue'), 30_000));
    expect(reminded).toMatchObject({ level: 'city', overdue: true });
    expect(reminded.timeline.map((e) => [e.type, e.reason])).toEqual(expect.arrayContaining([
      ['escalated', 'deadline'], ['overdue', null], ['reminded', 'overdue'],
    ]));
    expectIncident(await t.call('GET', `/incidents/${climbing.id}`, { token: city }));
    // The test county's verification window is PT3S.
    const closed = expectValid(Incident, await t.waitFor(resolved.id, leader, (i: { status: string }) => i.status === 'closed', 30_000));
    expect(closed.timeline.at(-1)).toMatchObject({ type: 'closed', reason: 'verification-window', actor: null });
    expectBody(IncidentPage, await t.call('GET', '/incidents?overdue=true', { token: city }), 200);
  });

  test('GET /stats: Stats for every role, all time and for a window', async () => {
    expectIncident(await report(HAZARD), 201);
    for (const token of [reporter, leader, town, countyRole, city]) {
      const all = expectBody(Stats, await t.call('GET', '/stats', { token }), 200);
      expect(all.window).toEqual({ from: null, to: null });
    }
    const figures = expectBody(Stats, await t.call('GET', '/stats', { token: countyRole }), 200);
    expect(figures.total).toBeGreaterThan(0);
    expect(Object.keys(figures.byStatus).sort()).toEqual(['closed', 'open', 'rejected', 'resolved']);
    const windowed = expectBody(Stats, await t.call('GET', '/stats?from=2026-01-01T08:30:00%2B08:00&to=2099-01-01T00:00:00Z', { token: countyRole }), 200);
    // Whole days of the county's time zone (Asia/Shanghai).
    expect(windowed.window).toEqual({ from: '2025-12-31T16:00:00.000Z', to: '2099-01-01T15:59:59.999Z' });
    for (const token of [town, countyRole, reporter]) {
      const month = `from=${new Date(Date.now() - 30 * 86_400_000).toISOString()}&to=${new Date().toISOString()}`;
      const grouped = expectBody(Stats, await t.call('GET', `/stats?groupBy=grid&series=day&${month}`, { token }), 200);
      expect(grouped.groups!.length).toBeGreaterThan(0);
      expect(grouped.series!.length).toBeGreaterThan(0);
    }
    expectProblem(await t.call('GET', '/stats?series=day', { token: countyRole }), 400);
    expectProblem(await t.call('GET', '/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', { token: countyRole }), 400);
    expectProblem(await t.call('GET', '/stats?since=yesterday', { token: countyRole }), 400);
  });
});

describe('error bodies are RFC 9457 problems as documented', () => {
  let openId: string;
  beforeAll(async () => { openId = expectIncident(await report(HAZARD), 201).id; });

  test('400 with errors by path', async () => {
    const schema = expectProblem(await report({ ...HAZARD, title: '', colour: 'red' }), 400);
    expect(schema.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(['title', '(root)']));
    expect(schema.instance).toBe('/incidents');
    expect(expectProblem(await t.call('POST', '/incidents', { token: reporter, raw: '{"title":', headers: { 'content-type': 'application/json' } }), 400).errors).toHaveLength(1);
    expectProblem(await act(openId, { action: 'resolve' }, leader), 400);
    expectProblem(await t.call('GET', '/incidents?limit=0', { token: leader }), 400);
    expectProblem(await t.call('GET', '/incidents?cursor=forged', { token: leader }), 400);
  });

  test('401, 403, 404, 409, 413, 415, 422', async () => {
    expectProblem(await t.call('GET', '/incidents'), 401);
    expectProblem(await t.call('GET', '/incidents', { token: 'not-a-jwt' }), 401);
    expectProblem(await act(openId, { action: 'resolve', note: 'fixed' }, reporter), 403);
    expectProblem(await report(HAZARD, town), 403);
    expectProblem(await t.call('GET', `/incidents/${openId}`, { token: otherLeader }), 404);
    expectProblem(await act(openId, { action: 'verify' }, reporter), 409);
    expectProblem(await act(openId, { action: 'comment', note: 'late', expectedVersion: 99 }, leader), 409);
    expectProblem(await report({ ...HAZARD, description: 'x'.repeat(70_000) }), 413);
    expectProblem(await t.call('POST', '/incidents', { token: reporter, raw: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    const unknown = expectProblem(await report({ ...HAZARD, gridId: 'atlantis-01' }), 422);
    expect(unknown.errors?.[0]?.path).toBe('gridId');
    const key = { 'idempotency-key': `mismatch-${Date.now()}` };
    expectIncident(await report(HAZARD, reporter, key), 201);
    expect(expectProblem(await report({ ...HAZARD, title: 'Another' }, reporter, key), 422).errors?.[0]?.path).toBe('Idempotency-Key');
  });
});
