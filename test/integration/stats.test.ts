/**
 * GET /stats over HTTP against the local county: a known mix of incidents, driven through the API and
 * the workflow (deadlines, overdue, closing by the verification window), then the figures of the county,
 * a town, a grid and a reporter must be exactly what was created.
 */
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';

let t: TestCounty;
let residentA: string, residentB: string, leaderN1: string, leaderN2: string, leaderS1: string;
let northTown: string, countyRole: string, cityRole: string;
let testStart: Date;

const HAZARD = { category: 'safety-hazard', title: 'Loose cable', description: 'A cable hangs low over the lane' }; // hours
const CONFLICT = { category: 'conflict', title: 'Wall dispute', description: 'Neighbours argue' }; // 2 s at every level

const report = async (body: object, token: string) => {
  const res = await t.call('POST', '/incidents', { token, body });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const act = async (id: string, body: object, token: string) => {
  const res = await t.call('POST', `/incidents/${id}/actions`, { token, body });
  expect(res.status).toBe(200);
  return res.body;
};
/** Acting while the workflow sends reminders can lose a race (409), as for any client: try again. */
const actRetrying = async (id: string, body: object, token: string) => {
  for (let attempt = 1; ; attempt++) {
    const res = await t.call('POST', `/incidents/${id}/actions`, { token, body });
    if (res.status !== 409 || attempt === 5) {
      expect(res.status).toBe(200);
      return res.body;
    }
  }
};
const stats = (token: string, query = '') => t.call('GET', `/stats${query}`, { token });

beforeAll(async () => {
  t = await startTestCounty('testville');
  [residentA, residentB, leaderN1, leaderN2, leaderS1, northTown, countyRole, cityRole] = await Promise.all([
    t.token('reporter', 'testville', 'stats-resident-a'),
    t.token('reporter', 'testville', 'stats-resident-b'),
    t.token('grid', 'north-01', 'leader-north-01'),
    t.token('grid', 'north-02', 'leader-north-02'),
    t.token('grid', 'south-01', 'leader-south-01'),
    t.token('town', 'north', 'sup-north'),
    t.token('county', 'testville', 'county-desk'),
    t.token('city', 'testcity', 'city-desk'),
  ]);
  testStart = new Date();

  // Reported concurrently: the counters of the county, towns and grids are shared by all of them.
  const [a1, a2, a3, a4, a5, a6, a7, a8] = await Promise.all([
    report({ ...HAZARD, gridId: 'north-01' }, residentA), // stays open
    report({ ...HAZARD, gridId: 'north-01' }, residentA), // resolved on time at grid, closes by itself
    report({ ...HAZARD, gridId: 'north-01', resolvedOnSpot: { note: 'Tied it up myself' } }, leaderN1), // on the spot
    report({ ...HAZARD, gridId: 'north-02' }, residentB), // escalated by hand, resolved on time at town
    report({ ...HAZARD, gridId: 'north-02' }, residentA), // rejected
    report({ ...CONFLICT, gridId: 'south-01' }, residentB), // left to go overdue at the city
    report({ ...CONFLICT, gridId: 'south-01' }, residentA), // overdue, then resolved late at the city
    report({ ...HAZARD, gridId: 'south-02' }, residentB), // acknowledged only: open
  ]);
  await act(a2!, { action: 'resolve', note: 'Cable fixed' }, leaderN1);
  await act(a4!, { action: 'escalate', note: 'Needs the power company' }, leaderN2);
  await act(a4!, { action: 'resolve', note: 'Power company came' }, northTown);
  await act(a5!, { action: 'reject', note: 'Not a public matter' }, leaderN2);
  await act(a8!, { action: 'acknowledge' }, await t.token('grid', 'south-02', 'leader-south-02'));

  const overdue = (i: any) => i.overdue === true && i.level === 'city';
  await Promise.all([t.waitFor(a6!, countyRole, overdue, 30_000), t.waitFor(a7!, countyRole, overdue, 30_000)]);
  await actRetrying(a7!, { action: 'resolve', note: 'Mediated by the city' }, countyRole);

  // The verification window (PT3S) closes every resolved incident by itself.
  const closed = (i: any) => i.status === 'closed';
  await Promise.all([a2!, a3!, a4!, a7!].map((id) => t.waitFor(id, countyRole, closed, 30_000)));
  expect(a1).toBeDefined();
}, 90_000);
afterAll(async () => { await t?.stop(); });

const zeros = {
  total: 0,
  byCategory: { conflict: 0, 'safety-hazard': 0 },
  byStatus: { open: 0, resolved: 0, closed: 0, rejected: 0 },
  resolvedAtLevel: { grid: 0, town: 0, city: 0 },
  resolvedOnSpot: 0,
  onTimeRate: null,
  overdueOpen: 0,
};
const allTime = { window: { from: null, to: null } };

describe('figures match the incidents created', () => {
  const county = {
    ...allTime,
    total: 8,
    byCategory: { conflict: 2, 'safety-hazard': 6 },
    byStatus: { open: 3, resolved: 0, closed: 4, rejected: 1 },
    resolvedAtLevel: { grid: 2, town: 1, city: 1 },
    resolvedOnSpot: 1,
    onTimeRate: 0.75,
    overdueOpen: 1,
  };

  test('the county, for the county role and the city above it', async () => {
    for (const token of [countyRole, cityRole]) {
      const res = await stats(token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual(county);
    }
  });

  test('a town', async () => {
    expect((await stats(northTown)).body).toEqual({
      ...allTime,
      total: 5,
      byCategory: { conflict: 0, 'safety-hazard': 5 },
      byStatus: { open: 1, resolved: 0, closed: 3, rejected: 1 },
      resolvedAtLevel: { grid: 2, town: 1, city: 0 },
      resolvedOnSpot: 1,
      onTimeRate: 1,
      overdueOpen: 0,
    });
  });

  test('grids', async () => {
    expect((await stats(leaderN1)).body).toEqual({
      ...allTime,
      total: 3,
      byCategory: { conflict: 0, 'safety-hazard': 3 },
      byStatus: { open: 1, resolved: 0, closed: 2, rejected: 0 },
      resolvedAtLevel: { grid: 2, town: 0, city: 0 },
      resolvedOnSpot: 1,
      onTimeRate: 1,
      overdueOpen: 0,
    });
    expect((await stats(leaderS1)).body).toEqual({
      ...allTime,
      total: 2,
      byCategory: { conflict: 2, 'safety-hazard': 0 },
      byStatus: { open: 1, resolved: 0, closed: 1, rejected: 0 },
      resolvedAtLevel: { grid: 0, town: 0, city: 1 },
      resolvedOnSpot: 0,
      onTimeRate: 0,
      overdueOpen: 1,
    });
  });

  test('a reporter: only what it reported', async () => {
    expect((await stats(residentA)).body).toEqual({
      ...allTime,
      total: 4,
      byCategory: { conflict: 1, 'safety-hazard': 3 },
      byStatus: { open: 1, resolved: 0, closed: 2, rejected: 1 },
      resolvedAtLevel: { grid: 1, town: 0, city: 1 },
      resolvedOnSpot: 0,
      onTimeRate: 0.5,
      overdueOpen: 0,
    });
  });

  test('a token for another county or city, or a reporter with nothing reported, gets zeros', async () => {
    for (const token of await Promise.all([
      t.token('county', 'elsewhere', 'x'), t.token('city', 'elsewhere', 'y'), t.token('reporter', 'testville', 'nobody'),
    ])) {
      expect((await stats(token)).body).toEqual({ ...allTime, ...zeros });
    }
  });
});

describe('from/to select incidents by when they were reported', () => {
  const hour = 3_600_000;
  const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / hour) * hour);

  test('a window around the test covers every incident, widened to whole UTC hours', async () => {
    const from = new Date(testStart.getTime() - 1000);
    const to = new Date();
    const res = await stats(countyRole, `?from=${from.toISOString()}&to=${encodeURIComponent(to.toISOString())}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(8);
    expect(res.body.window).toEqual({
      from: floorHour(from).toISOString(),
      to: new Date(floorHour(to).getTime() + hour - 1).toISOString(),
    });
    const { window: _w, ...figures } = res.body;
    const { window: _a, ...allFigures } = (await stats(countyRole)).body;
    expect(figures).toEqual(allFigures);
  });

  test('a window that ends before the incidents were reported, or starts after, gives zeros', async () => {
    const before = new Date(floorHour(testStart).getTime() - 1);
    const past = await stats(countyRole, `?from=2020-01-01T00:00:00Z&to=${before.toISOString()}`);
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ window: { from: '2020-01-01T00:00:00.000Z', to: before.toISOString() }, ...zeros });
    const later = new Date(floorHour(new Date()).getTime() + hour);
    expect((await stats(countyRole, `?from=${later.toISOString()}`)).body).toEqual({ window: { from: later.toISOString(), to: null }, ...zeros });
  });

  test('an open start (to only) covers everything reported until then', async () => {
    const res = await stats(leaderN1, `?to=${new Date().toISOString()}`);
    expect(res.body.window.from).toBeNull();
    expect(res.body.total).toBe(3);
  });

  test('400 for a from/to that is not a date-time, a to before from, or an unknown parameter', async () => {
    for (const query of ['?from=yesterday', '?to=2025-13-01T00:00:00Z', '?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z', '?since=2025-03-01T00:00:00Z']) {
      const res = await stats(countyRole, query);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
  });

  test('401 without a token', async () => {
    expect((await t.call('GET', '/stats')).status).toBe(401);
  });
});
