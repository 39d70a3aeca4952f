import { CountySchema, type County } from '#config/county-schema.js';
import { advance } from '#domain/advance.js';
import type { Caller, Incident, Role } from '#domain/incident.js';
import { applyAction, reportIncident, type ActionCommand } from '#domain/lifecycle.js';
import {
  bucketRange, contribution, counterWrites, delta, resolvedOnTime, statsScope, summarize, type Counters,
} from '#domain/stats.js';

const county: County = CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [
    { id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' } },
    { id: 'hazard', name: 'Safety hazard', deadlines: { grid: 'PT1H', town: 'PT2H', city: 'PT4H' } },
  ],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});
const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };
const who = (role: Role, scope: string, sub = `${role}-${scope}`): Caller => ({ sub, name: 'N', role, scope });
const resident = who('reporter', 'shouyang', 'resident-1');
const leader = who('grid', 'heishui-09', 'hs-09');
const town = who('town', 'pingtou', 'pt-1');
const city = who('city', 'jinzhong', 'js-1');

const H = 3_600_000;
const t0 = new Date('2025-03-01T08:30:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

const report = (): Incident => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' }, resident, county, t0, 'inc-1');
const onSpot = (): Incident => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute', resolvedOnSpot: { note: 'Settled there.' } },
  leader, county, t0, 'inc-2');
const act = (inc: Incident, caller: Caller, cmd: ActionCommand, hours: number): Incident => applyAction(inc, caller, cmd, at(hours), ctx).incident;
const resolve = (inc: Incident, caller: Caller, hours: number) => act(inc, caller, { action: 'resolve', note: 'Fixed.' }, hours);
/** One workflow step at `hours`, which must change the record. */
const workflowStep = (inc: Incident, hours: number): Incident => {
  const result = advance(inc, inc.status === 'resolved' ? 'verification' : inc.level, at(hours), null);
  expect(result.changed).toBe(true);
  return result.incident;
};

const OPEN = { total: 1, 'category#conflict': 1, 'status#open': 1 };
const RESOLVED_AT_GRID = { 'status#open': -1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1 };

describe('contribution and delta, transition by transition', () => {
  test('report: the incident counts once, open, in its category', () => {
    const open = report();
    expect(contribution(open)).toEqual(OPEN);
    expect(delta(null, open)).toEqual(OPEN);
  });

  test('resolve before the grid deadline: resolved on time at grid', () => {
    const open = report();
    const resolved = resolve(open, leader, 23);
    expect(delta(open, resolved)).toEqual({ ...RESOLVED_AT_GRID, resolvedOnTime: 1 });
    expect(contribution(resolved)).toEqual({ total: 1, 'category#conflict': 1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1, resolvedOnTime: 1 });
  });

  test('resolve after the grid deadline (before the workflow escalated): resolved late', () => {
    const open = report();
    const resolved = resolve(open, leader, 24.5);
    expect(resolvedOnTime(resolved)).toBe(false);
    expect(delta(open, resolved)).toEqual(RESOLVED_AT_GRID);
  });

  test('resolved on the spot: counted resolved, on time and on the spot from the start', () => {
    expect(contribution(onSpot())).toEqual({
      total: 1, 'category#conflict': 1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1, resolvedOnTime: 1, resolvedOnSpot: 1,
    });
  });

  test('reopen takes the resolution back; the new deadline runs from the reopen', () => {
    const resolved = resolve(report(), leader, 1);
    const reopened = act(resolved, resident, { action: 'reopen', note: 'Still broken.' }, 30);
    expect(delta(resolved, reopened)).toEqual({ 'status#open': 1, 'status#resolved': -1, resolved: -1, 'resolvedAt#grid': -1, resolvedOnTime: -1 });
    expect(contribution(reopened)).toEqual(OPEN);
    // 31 h after the report is past the first grid deadline (24 h) but 1 h into the fresh one.
    expect(delta(reopened, resolve(reopened, leader, 31))).toEqual({ ...RESOLVED_AT_GRID, resolvedOnTime: 1 });
    expect(delta(reopened, resolve(reopened, leader, 30 + 24.5))).toEqual(RESOLVED_AT_GRID);
  });

  test('a reopened on-the-spot resolution no longer counts as on the spot, even once resolved again', () => {
    const spot = onSpot();
    const reopened = act(spot, leader, { action: 'reopen', note: 'Not settled.' }, 2);
    expect(delta(spot, reopened)).toMatchObject({ resolvedOnSpot: -1, resolved: -1 });
    expect(contribution(resolve(reopened, leader, 3))).not.toHaveProperty('resolvedOnSpot');
  });

  test('escalate (manual or by deadline) changes no counter: no counter write at all', () => {
    const open = report();
    const manual = act(open, leader, { action: 'escalate' }, 2);
    const byDeadline = workflowStep(open, 30);
    expect(byDeadline.level).toBe('town');
    for (const next of [manual, byDeadline]) {
      expect(delta(open, next)).toEqual({});
      expect(counterWrites(open, next)).toEqual([]);
    }
    // Nor do acknowledgements, comments and reminders.
    const acked = act(manual, town, { action: 'acknowledge' }, 3);
    expect(counterWrites(manual, acked)).toEqual([]);
    expect(counterWrites(acked, act(acked, town, { action: 'comment', note: 'On it.' }, 4))).toEqual([]);
  });

  test('resolved at town: on time against the town deadline from when it reached town (a late escalation from when it fired)', () => {
    const open = report();
    const manual = act(open, leader, { action: 'escalate' }, 2); // town deadline: 2 + 48 = 50 h
    expect(delta(manual, resolve(manual, town, 49))).toMatchObject({ 'resolvedAt#town': 1, resolvedOnTime: 1 });
    expect(delta(manual, resolve(manual, town, 51))).not.toHaveProperty('resolvedOnTime');
    const late = workflowStep(open, 30); // fired 6 h late: town deadline 30 + 48 = 78 h, not 24 + 48
    expect(delta(late, resolve(late, town, 75))).toEqual({ 'status#open': -1, 'status#resolved': 1, resolved: 1, 'resolvedAt#town': 1, resolvedOnTime: 1 });
  });

  test('overdue at the top counts as overdue open until it is resolved, late', () => {
    const atCity = act(act(report(), leader, { action: 'escalate' }, 1), town, { action: 'escalate' }, 2); // city deadline 74 h
    const overdue = workflowStep(atCity, 75);
    expect(overdue.overdue).toBe(true);
    expect(delta(atCity, overdue)).toEqual({ overdueOpen: 1 });
    const reminded = workflowStep(overdue, 75 + 72);
    expect(counterWrites(overdue, reminded)).toEqual([]);
    expect(delta(reminded, resolve(reminded, city, 150))).toEqual({
      overdueOpen: -1, 'status#open': -1, 'status#resolved': 1, resolved: 1, 'resolvedAt#city': 1,
    });
  });

  test('close (verified, or by the verification window) moves resolved to closed and keeps the resolution counted', () => {
    const resolved = resolve(report(), leader, 1);
    const verified = act(resolved, resident, { action: 'verify' }, 2);
    const windowClosed = workflowStep(resolved, 1 + 72);
    for (const closed of [verified, windowClosed]) {
      expect(closed.status).toBe('closed');
      expect(delta(resolved, closed)).toEqual({ 'status#resolved': -1, 'status#closed': 1 });
      expect(contribution(closed)).toMatchObject({ resolved: 1, 'resolvedAt#grid': 1, resolvedOnTime: 1 });
    }
  });

  test('reject: open becomes rejected, never resolved', () => {
    const open = report();
    const rejected = act(open, leader, { action: 'reject', note: 'Not ours.' }, 1);
    expect(delta(open, rejected)).toEqual({ 'status#open': -1, 'status#rejected': 1 });
  });
});

describe('counterWrites: where the counters go', () => {
  test('a new incident adds to its county, town, grid and reporter, all time and in the UTC hour it was reported', () => {
    const writes = counterWrites(null, report());
    expect(writes.map((w) => `${w.scope} ${w.bucket}`).sort()).toEqual([
      'county#shouyang 2025-03-01T08', 'county#shouyang ALL',
      'grid#heishui-09 2025-03-01T08', 'grid#heishui-09 ALL',
      'reporter#resident-1 2025-03-01T08', 'reporter#resident-1 ALL',
      'town#pingtou 2025-03-01T08', 'town#pingtou ALL',
    ]);
    for (const w of writes) expect(w.add).toEqual(OPEN);
  });

  test('a later change lands in the bucket of the report, not of the change', () => {
    const open = report();
    const writes = counterWrites(open, resolve(open, leader, 30));
    expect(new Set(writes.map((w) => w.bucket))).toEqual(new Set(['2025-03-01T08', 'ALL']));
  });

  test('summed over a whole life, the writes of each bucket equal the final contribution', () => {
    const life: Incident[] = [report()];
    const push = (f: (i: Incident) => Incident) => life.push(f(life[life.length - 1]!));
    push((i) => act(i, leader, { action: 'escalate' }, 1));
    push((i) => act(i, town, { action: 'escalate' }, 2));
    push((i) => workflowStep(i, 75)); // overdue
    push((i) => resolve(i, city, 80));
    push((i) => act(i, resident, { action: 'reopen', note: 'No.' }, 81));
    push((i) => resolve(i, city, 82));
    push((i) => act(i, resident, { action: 'verify' }, 83));
    const totals = new Map<string, Counters>();
    life.forEach((next, n) => {
      for (const w of counterWrites(n === 0 ? null : life[n - 1]!, next)) {
        const sum = { ...(totals.get(`${w.scope} ${w.bucket}`) ?? {}) };
        for (const [k, v] of Object.entries(w.add)) sum[k] = (sum[k] ?? 0) + v;
        totals.set(`${w.scope} ${w.bucket}`, sum);
      }
    });
    const final = contribution(life[life.length - 1]!);
    expect(final).toEqual({ total: 1, 'category#conflict': 1, 'status#closed': 1, resolved: 1, 'resolvedAt#city': 1, resolvedOnTime: 1 });
    expect(totals.size).toBe(8);
    for (const sum of totals.values()) {
      expect(Object.fromEntries(Object.entries(sum).filter(([, v]) => v !== 0))).toEqual(final);
    }
  });
});

describe('summarize', () => {
  const opts = { ladder: county.ladder, categories: ['conflict', 'hazard'] };

  test('no counters: zeros for every status, level and configured category; onTimeRate null', () => {
    expect(summarize([], opts)).toEqual({
      total: 0,
      byCategory: { conflict: 0, hazard: 0 },
      byStatus: { open: 0, resolved: 0, closed: 0, rejected: 0 },
      resolvedAtLevel: { grid: 0, town: 0, city: 0 },
      resolvedOnSpot: 0,
      onTimeRate: null,
      overdueOpen: 0,
    });
  });

  test('sums items (buckets) into the contract figures', () => {
    const items: Counters[] = [
      { total: 3, 'category#conflict': 2, 'category#noise': 1, 'status#open': 1, 'status#resolved': 1, 'status#closed': 1,
        resolved: 2, 'resolvedAt#grid': 1, 'resolvedAt#town': 1, resolvedOnTime: 1, resolvedOnSpot: 1, overdueOpen: 1 },
      { total: 1, 'category#hazard': 1, 'status#rejected': 1, 'status#open': 0 },
      { total: 1, 'category#conflict': 1, 'status#resolved': 1, resolved: 1, 'resolvedAt#city': 1, resolvedOnTime: 1 },
    ];
    expect(summarize(items, opts)).toEqual({
      total: 5,
      byCategory: { conflict: 3, hazard: 1, noise: 1 },
      byStatus: { open: 1, resolved: 2, closed: 1, rejected: 1 },
      resolvedAtLevel: { grid: 1, town: 1, city: 1 },
      resolvedOnSpot: 1,
      onTimeRate: 2 / 3,
      overdueOpen: 1,
    });
  });
});

describe('bucketRange', () => {
  test('no from/to: all time', () => {
    expect(bucketRange()).toEqual({ range: null, window: { from: null, to: null } });
  });

  test('widens to whole UTC hours and says so', () => {
    expect(bucketRange('2025-03-01T08:15:00Z', '2025-03-01T10:00:00Z')).toEqual({
      range: { first: '2025-03-01T08', last: '2025-03-01T10' },
      window: { from: '2025-03-01T08:00:00.000Z', to: '2025-03-01T10:59:59.999Z' },
    });
  });

  test('a local day in Shanghai (UTC+8) is covered exactly', () => {
    expect(bucketRange('2025-03-01T00:00:00+08:00', '2025-03-01T23:59:59.999+08:00')).toEqual({
      range: { first: '2025-02-28T16', last: '2025-03-01T15' },
      window: { from: '2025-02-28T16:00:00.000Z', to: '2025-03-01T15:59:59.999Z' },
    });
  });

  test('one side open', () => {
    expect(bucketRange('2025-03-01T08:15:00Z')).toEqual({
      range: { first: '2025-03-01T08', last: '9999-12-31T23' }, window: { from: '2025-03-01T08:00:00.000Z', to: null },
    });
    expect(bucketRange(undefined, '2025-03-01T08:15:00Z')).toEqual({
      range: { first: '0000-01-01T00', last: '2025-03-01T08' }, window: { from: null, to: '2025-03-01T08:59:59.999Z' },
    });
  });
});

describe('statsScope', () => {
  test('each role reads its own jurisdiction, and nothing when the token names another county or city', () => {
    expect(statsScope(leader, ctx)).toBe('grid#heishui-09');
    expect(statsScope(town, ctx)).toBe('town#pingtou');
    expect(statsScope(who('county', 'shouyang'), ctx)).toBe('county#shouyang');
    expect(statsScope(city, ctx)).toBe('county#shouyang');
    expect(statsScope(resident, ctx)).toBe('reporter#resident-1');
    expect(statsScope(who('county', 'yuci'), ctx)).toBeNull();
    expect(statsScope(who('city', 'taiyuan'), ctx)).toBeNull();
    expect(statsScope(who('reporter', 'yuci', 'resident-1'), ctx)).toBeNull();
  });
});
