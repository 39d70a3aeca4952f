/**
 * The first whole journey and the contract's API rules, over HTTP against the local county: real
 * DynamoDB Local, the synthesized state machine, the same handlers as in Lambda.
 */
import { SignJWT } from 'jose';
import { incidents } from '#commons/stores.js';
import { documentClient, tableName } from '#storage/dynamodb.js';
import { isBackfilled } from '#storage/index-backfill.js';
import { loadSigningKey, LOCAL_AUDIENCE, LOCAL_ISSUER } from '#local/tokens.js';
import { until } from '../helpers/county-client.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';

let t: TestCounty;
let reporter: string, leader1: string, leader2: string, northTown: string, southTown: string, countyRole: string;

const HAZARD = { category: 'safety-hazard', gridId: 'north-01', title: 'Loose power line', description: 'A cable hangs low over the lane' };

beforeAll(async () => {
  t = await startTestCounty('testville');
  [reporter, leader1, leader2, northTown, southTown, countyRole] = await Promise.all([
    t.token('reporter', 'testville', 'resident-1'),
    t.token('grid', 'north-01', 'leader-north-01'),
    t.token('grid', 'north-02', 'leader-north-02'),
    t.token('town', 'north', 'sup-north'),
    t.token('town', 'south', 'sup-south'),
    t.token('county', 'testville', 'county-desk'),
  ]);
});
afterAll(async () => { await t?.stop(); });

const report = (body: object, token = reporter, headers: Record<string, string> = {}) => t.call('POST', '/incidents', { token, body, headers });
const act = (id: string, body: object, token: string, headers: Record<string, string> = {}) => t.call('POST', `/incidents/${id}/actions`, { token, body, headers });

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

describe('the first journey', () => {
  test('health answers without a token', async () => {
    const res = await t.call('GET', '/health');
    expect(res.status).toBe(200);
  });

  test('report -> 201 at grid level with the category deadline', async () => {
    const res = await report({ ...HAZARD, reporter: { name: 'Li Ming', phone: '13800001111' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'open', level: 'grid', gridId: 'north-01', townId: 'north', communityId: 'north-village', version: 1, overdue: false });
    expect(Date.parse(res.body.deadline) - Date.parse(res.body.createdAt)).toBe(3600_000); // safety-hazard grid PT1H
    expect(res.body.timeline.map((e: any) => e.type)).toEqual(['reported', 'assigned']);
  });

  test('the grid leader resolves, the reporter verifies: closed, timeline in order', async () => {
    const created = (await report(HAZARD)).body;
    const resolved = await act(created.id, { action: 'resolve', note: 'Cable tied up by the power company' }, leader1);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', deadline: null, resolution: { by: 'leader-north-01', level: 'grid' } });
    const verified = await act(created.id, { action: 'verify' }, reporter);
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('closed');
    expect(verified.body.timeline.map((e: any) => [e.type, e.reason])).toEqual([
      ['reported', null], ['assigned', null], ['resolved', null], ['closed', 'verified'],
    ]);
    const times = verified.body.timeline.map((e: any) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(verified.body.version).toBe(3);
  });

  test('resolvedOnSpot reports an incident already resolved at grid level', async () => {
    const res = await report({ ...HAZARD, resolvedOnSpot: { note: 'Moved the cable myself' } }, leader1);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'resolved', resolvedOnSpot: true, deadline: null, resolution: { level: 'grid', note: 'Moved the cable myself' } });
    expect(res.body.timeline.map((e: any) => e.type)).toEqual(['reported', 'assigned', 'resolved']);
  });

  test("a reporter's phone is shown to the reporter, its grid leader and the county, not to the town", async () => {
    const created = (await report({ ...HAZARD, reporter: { name: 'Li Ming', phone: '13800002222' } })).body;
    for (const token of [reporter, leader1, countyRole]) {
      expect((await t.call('GET', `/incidents/${created.id}`, { token })).body.reporter.phone).toBe('13800002222');
    }
    const town = await t.call('GET', `/incidents/${created.id}`, { token: northTown });
    expect(town.status).toBe(200);
    expect(town.body.reporter?.phone).toBeUndefined();
    const list = await t.call('GET', '/incidents?gridId=north-01&limit=100', { token: northTown });
    expect(list.text).not.toContain('13800002222');
  });
});

describe('errors are problem+json with the contract statuses', () => {
  let openId: string;
  beforeAll(async () => { openId = (await report(HAZARD)).body.id; });

  test('401: no token, bad signature, expired, wrong audience', async () => {
    expectProblem(await t.call('GET', '/incidents'), 401);
    expectProblem(await t.call('GET', '/incidents', { token: `${leader1.slice(0, -4)}AAAA` }), 401);
    const { privateKey, kid } = await loadSigningKey(t.dataDir);
    const sign = (aud: string, exp: number) => new SignJWT({ role: 'grid', scope: 'north-01', name: 'x' })
      .setProtectedHeader({ alg: 'RS256', kid }).setSubject('x').setIssuer(LOCAL_ISSUER).setAudience(aud)
      .setIssuedAt(exp - 60).setExpirationTime(exp).sign(privateKey);
    const now = Math.floor(Date.now() / 1000);
    expectProblem(await t.call('GET', '/incidents', { token: await sign(LOCAL_AUDIENCE, now - 10) }), 401);
    expectProblem(await t.call('GET', '/incidents', { token: await sign('someone-else', now + 600) }), 401);
  });

  test('413: a body over 64 KiB', async () => {
    expectProblem(await report({ ...HAZARD, description: 'x'.repeat(70_000) }), 413);
  });

  test('415: not JSON', async () => {
    expectProblem(await t.call('POST', '/incidents', { token: reporter, raw: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
  });

  test('400: malformed JSON, schema violation, unknown field value, with errors by path', async () => {
    expectProblem(await t.call('POST', '/incidents', { token: reporter, raw: '{"title":', headers: { 'content-type': 'application/json' } }), 400);
    const schema = await report({ ...HAZARD, title: '' });
    expectProblem(schema, 400);
    expect(schema.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'title' })]));
    const unknown = await act(openId, { action: 'teleport' }, leader1);
    expectProblem(unknown, 400);
    expect(unknown.body.errors[0].path).toBe('action');
    expectProblem(await t.call('GET', '/incidents?status=lost', { token: leader1 }), 400);
    expectProblem(await t.call('GET', '/incidents?limit=101', { token: leader1 }), 400);
    expectProblem(await act(openId, { action: 'resolve' }, leader1), 400); // a note is required
  });

  test('422: unknown grid or category', async () => {
    const grid = await report({ ...HAZARD, gridId: 'atlantis-01' });
    expectProblem(grid, 422);
    expect(grid.body.errors[0].path).toBe('gridId');
    const category = await report({ ...HAZARD, category: 'alien-landing' });
    expectProblem(category, 422);
    expect(category.body.errors[0].path).toBe('category');
  });

  test('404: unknown incident, or outside the jurisdiction (reads and actions alike)', async () => {
    expectProblem(await t.call('GET', '/incidents/00000000-0000-0000-0000-000000000000', { token: countyRole }), 404);
    expectProblem(await t.call('GET', `/incidents/${openId}`, { token: leader2 }), 404);
    expectProblem(await act(openId, { action: 'acknowledge' }, leader2), 404);
    expectProblem(await t.call('GET', `/incidents/${openId}`, { token: southTown }), 404);
    expectProblem(await act(openId, { action: 'resolve', note: 'not mine' }, southTown), 404);
  });

  test('403: a reporter resolving; a grid leader acting once the incident is at town', async () => {
    const id = (await report(HAZARD)).body.id;
    expectProblem(await act(id, { action: 'resolve', note: 'fixed' }, reporter), 403);
    const escalated = await act(id, { action: 'escalate' }, leader1);
    expect(escalated.status).toBe(200);
    expect(escalated.body.level).toBe('town');
    expect(escalated.body.timeline.at(-1)).toMatchObject({ type: 'escalated', reason: 'manual', level: 'town' });
    expectProblem(await act(id, { action: 'resolve', note: 'fixed' }, leader1), 403);
    const byTown = await act(id, { action: 'resolve', note: 'Town crew fixed it' }, northTown);
    expect(byTown.status).toBe(200);
  });

  test('409: an action not valid in the status, a stale expectedVersion', async () => {
    expectProblem(await act(openId, { action: 'verify' }, reporter), 409);
    expectProblem(await act(openId, { action: 'comment', note: 'on it', expectedVersion: 99 }, leader1), 409);
    const ok = await act(openId, { action: 'comment', note: 'on it', expectedVersion: 1 }, leader1);
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
  });

  test('precedence: 401 before 413, 413 before 415, 415 before 400', async () => {
    expectProblem(await t.call('POST', '/incidents', { raw: 'x'.repeat(70_000), headers: { 'content-type': 'text/plain' } }), 401);
    expectProblem(await t.call('POST', '/incidents', { token: reporter, raw: 'x'.repeat(70_000), headers: { 'content-type': 'text/plain' } }), 413);
    expectProblem(await t.call('POST', '/incidents', { token: reporter, raw: '{oops', headers: { 'content-type': 'text/plain' } }), 415);
  });
});

describe('retries and races', () => {
  test('a repeat with the same Idempotency-Key answers the first response and creates nothing new', async () => {
    const key = { 'idempotency-key': `report-${Date.now()}` };
    const body = { ...HAZARD, gridId: 'north-02', title: 'Idempotent report' };
    const first = await report(body, leader2, key);
    const again = await report(body, leader2, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    const list = await t.call('GET', '/incidents?limit=100', { token: leader2 });
    expect(list.body.items.filter((i: any) => i.title === 'Idempotent report')).toHaveLength(1);
    const other = await report({ ...body, title: 'Something else' }, leader2, key);
    expectProblem(other, 422);
  });

  test('two concurrent resolves that both read the same version: one 200, one 409, no lost update', async () => {
    const id = (await report(HAZARD)).body.id;
    await t.settled();
    // A barrier in the handlers' own repository: each resolve reads the incident, then waits until the other has
    // read it too, so both decide on the same version. Only the conditional write can tell them apart now: without
    // it both would answer 200 and the second write would silently replace the first.
    const repo = incidents();
    const read = repo.get.bind(repo);
    let arrived = 0;
    let open!: () => void;
    const bothRead = new Promise<void>((r) => { open = r; });
    repo.get = async (incidentId: string) => {
      const got = await read(incidentId);
      if (incidentId === id && arrived < 2) {
        if (++arrived === 2) open();
        await bothRead;
      }
      return got;
    };
    let results;
    try {
      results = await Promise.all([
        act(id, { action: 'resolve', note: 'first' }, leader1),
        act(id, { action: 'resolve', note: 'second' }, northTown),
      ]);
    } finally {
      repo.get = read;
    }
    expect(arrived).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!.body;
    const final = await t.call('GET', `/incidents/${id}`, { token: countyRole });
    expect(final.body.resolution.note).toBe(winner.resolution.note);
    expect(final.body.timeline.filter((e: any) => e.type === 'resolved')).toHaveLength(1);
  });

  test('paging returns every incident exactly once, in order, with and without a category; a forged cursor is a 400', async () => {
    const grid = 'south-02';
    const leader = await t.token('grid', grid, 'leader-south-02');
    const created = new Set<string>();
    for (let i = 0; i < 23; i++) created.add((await report({ ...HAZARD, gridId: grid, title: `pile ${i}` }, leader)).body.id);
    // Another category in the grid, resolved on the spot: in the grid's list, not in its open list nor its hazards.
    const other = (await report({ ...HAZARD, gridId: grid, category: 'conflict', resolvedOnSpot: { note: 'Talked it over' } }, leader)).body.id;
    // The category list is read from the gridCategory index (the local runtime backfilled at start): the same pages.
    expect(await isBackfilled(documentClient, tableName(), 'gridCategory')).toBe(true);
    for (const [filter, expected] of [['', [...created, other]], ['&status=open', [...created]], ['&category=safety-hazard', [...created]], ['&category=conflict', [other]]] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let lastDeadline = '';
      let lastCreated = '~';
      do {
        const q: string = `/incidents?limit=7${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await t.call('GET', q, { token: leader });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(7);
        for (const item of page.body.items) {
          seen.push(item.id);
          if (filter === '&status=open') { expect(item.deadline >= lastDeadline).toBe(true); lastDeadline = item.deadline; }
          else { expect(item.createdAt <= lastCreated).toBe(true); lastCreated = item.createdAt; }
        }
        cursor = page.body.nextCursor;
      } while (cursor);
      expect({ filter, seen: seen.sort() }).toEqual({ filter, seen: [...expected].sort() });
    }
    const page = await t.call('GET', '/incidents?limit=7', { token: leader });
    const forged = `${page.body.nextCursor.slice(0, -3)}abc`;
    expectProblem(await t.call('GET', `/incidents?limit=7&cursor=${encodeURIComponent(forged)}`, { token: leader }), 400);
    // A cursor from another caller's query is refused too.
    expectProblem(await t.call('GET', `/incidents?limit=7&cursor=${encodeURIComponent(page.body.nextCursor)}`, { token: countyRole }), 400);
  });
});

describe('the workflow runs the synthesized state machine', () => {
  test('an incident resolved on the spot runs four states: no grid stage, the verification window closes it', async () => {
    const created = (await report({ ...HAZARD, resolvedOnSpot: { note: 'Tied it up myself' } }, leader1)).body;
    const closed = await t.waitFor(created.id, countyRole, (i: any) => i.status === 'closed');
    expect(closed.timeline.at(-1)).toMatchObject({ type: 'closed', reason: 'verification-window' });
    const sfn = t.county.stepFunctions;
    const run = sfn.listExecutions().find((e) => e.name.startsWith(`${created.id}-`))!;
    expect(await until('the run ends', () => sfn.describeExecution(run.executionArn).status !== 'RUNNING' && sfn.describeExecution(run.executionArn).status)).toBe('SUCCEEDED');
    expect(await until('four states', () => sfn.statesEntered(run.executionArn).length >= 4 && sfn.statesEntered(run.executionArn)))
      .toEqual(['grid: sync', 'grid: route', 'verification: await', 'verification: close']);
  });

  test('an incident whose grid deadline passes leaves the grid stage by timeout and reaches the town', async () => {
    const created = (await report({ ...HAZARD, category: 'conflict', title: 'Wall dispute' })).body; // grid PT2S
    const atTown = await t.waitFor(created.id, countyRole, (i: any) => i.level !== 'grid');
    expect(atTown.level).toBe('town');
    const escalation = atTown.timeline.find((e: any) => e.type === 'escalated');
    expect(escalation).toMatchObject({ reason: 'deadline', level: 'town', actor: null });
    // The town's deadline runs from when the escalation fired.
    expect(Date.parse(atTown.deadline) - Date.parse(escalation.at)).toBe(2000);
    const stats = t.county.stepFunctions.stats();
    expect(stats.stateTransitions).toBeGreaterThan(0);
    // Messages are published right after the write that a reader already sees: give them a moment.
    const escalatedTo = () => t.notifications()
      .filter((n) => n.attributes.incidentId === created.id && n.attributes.event === 'escalated').map((n) => n.level).sort();
    expect(await until('both escalation messages', () => escalatedTo().length >= 2 && escalatedTo())).toEqual(['grid', 'town']);
  });
});
