import { CountySchema, type County } from '#config/county-schema.js';
import { advance } from '#domain/advance.js';
import type { Caller, Incident, Role } from '#domain/incident.js';
import { applyAction, reportIncident, type ActionCommand } from '#domain/lifecycle.js';
import {
  bucketCount, bucketPlan, cellsOfIncidents, monthsSpanned, contribution, counted, counterWrites, dayRange, figures, groups, resolvedOnTime, series, seriesDays,
  statsScope, windowOf, type CellWrite, type CohortCell, type Counters,
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

const TZ = 'Asia/Shanghai';
/** What a change adds to the figures (the difference of the two contributions). */
const delta = (prev: Incident, next: Incident): Counters => {
  const out: Counters = { ...contribution(next) };
  for (const [k, v] of Object.entries(contribution(prev))) out[k] = (out[k] ?? 0) - v;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== 0));
};
const writesOf = (prev: Incident | null, next: Incident): CellWrite[] => counterWrites(prev ? counted(prev, TZ) : null, next, TZ);
const label = (w: CellWrite) => (w.cell.kind === 'cohort'
  ? `cohort ${w.cell.bucket} ${w.cell.townId}/${w.cell.gridId}/${w.cell.category}`
  : `series ${w.cell.townId} ${w.cell.day} ${w.cell.gridId}`);

const OPEN = { total: 1, 'status#open': 1 };
const RESOLVED_AT_GRID = { 'status#open': -1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1 };

describe('contribution, transition by transition', () => {
  test('report: the incident counts once, open', () => {
    expect(contribution(report())).toEqual(OPEN);
  });

  test('resolve before the grid deadline: resolved on time at grid', () => {
    const open = report();
    const resolved = resolve(open, leader, 23);
    expect(delta(open, resolved)).toEqual({ ...RESOLVED_AT_GRID, resolvedOnTime: 1 });
    expect(contribution(resolved)).toEqual({ total: 1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1, resolvedOnTime: 1 });
  });

  test('resolve after the grid deadline (before the workflow escalated): resolved late', () => {
    const open = report();
    const resolved = resolve(open, leader, 24.5);
    expect(resolvedOnTime(resolved)).toBe(false);
    expect(delta(open, resolved)).toEqual(RESOLVED_AT_GRID);
  });

  test('resolved on the spot: counted resolved, on time and on the spot from the start', () => {
    expect(contribution(onSpot())).toEqual({ total: 1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1, resolvedOnTime: 1, resolvedOnSpot: 1 });
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
    expect(writesOf(overdue, reminded)).toEqual([]);
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
    expect(delta(open, act(open, leader, { action: 'reject', note: 'Not ours.' }, 1))).toEqual({ 'status#open': -1, 'status#rejected': 1 });
  });
});

describe('counterWrites: which cells a change adds to', () => {
  // t0 is 16:30 in Shanghai on 1 March; +8 h is already 2 March there.
  test('a new incident: its cohort cells of the local day, month and all time, and its report in the series', () => {
    expect(writesOf(null, report()).map((w) => [label(w), w.add])).toEqual([
      ['cohort 2025-03-01 pingtou/heishui-09/conflict', OPEN],
      ['cohort 2025-03 pingtou/heishui-09/conflict', OPEN],
      ['cohort ALL pingtou/heishui-09/conflict', OPEN],
      ['series pingtou 2025-03-01 heishui-09', { reported: 1 }],
    ]);
  });

  test('a change days later moves the cells of the day it was reported; its event counts on its own day', () => {
    const open = report();
    const writes = writesOf(open, resolve(open, leader, 9));
    expect(writes.map((w) => [label(w), w.add])).toEqual([
      ['cohort 2025-03-01 pingtou/heishui-09/conflict', { ...RESOLVED_AT_GRID, resolvedOnTime: 1 }],
      ['cohort 2025-03 pingtou/heishui-09/conflict', { ...RESOLVED_AT_GRID, resolvedOnTime: 1 }],
      ['cohort ALL pingtou/heishui-09/conflict', { ...RESOLVED_AT_GRID, resolvedOnTime: 1 }],
      ['series pingtou 2025-03-02 heishui-09', { resolved: 1 }],
    ]);
  });

  test('an escalation counts in the series only; acknowledgements, comments and reminders count nowhere', () => {
    const open = report();
    const manual = act(open, leader, { action: 'escalate' }, 2);
    const byDeadline = workflowStep(open, 30);
    expect(byDeadline.level).toBe('town');
    expect(writesOf(open, manual).map(label)).toEqual(['series pingtou 2025-03-01 heishui-09']);
    expect(writesOf(open, byDeadline).map((w) => [label(w), w.add])).toEqual([['series pingtou 2025-03-02 heishui-09', { escalated: 1 }]]);
    const acked = act(manual, town, { action: 'acknowledge' }, 3);
    expect(writesOf(manual, acked)).toEqual([]);
    expect(writesOf(acked, act(acked, town, { action: 'comment', note: 'On it.' }, 4))).toEqual([]);
    const reminded = workflowStep(open, 20); // the 80 % reminder
    expect(reminded.timeline.at(-1)?.type).toBe('reminded');
    expect(writesOf(open, reminded)).toEqual([]);
  });

  test('an incident now in another grid leaves the cells of the old one for those of the new one', () => {
    const open = report();
    const moved: Incident = { ...open, gridId: 'heishui-10', version: 2 };
    expect(writesOf(open, moved).map((w) => [label(w), w.add])).toEqual([
      ['cohort 2025-03-01 pingtou/heishui-09/conflict', { total: -1, 'status#open': -1 }],
      ['cohort 2025-03 pingtou/heishui-09/conflict', { total: -1, 'status#open': -1 }],
      ['cohort ALL pingtou/heishui-09/conflict', { total: -1, 'status#open': -1 }],
      ['cohort 2025-03-01 pingtou/heishui-10/conflict', OPEN],
      ['cohort 2025-03 pingtou/heishui-10/conflict', OPEN],
      ['cohort ALL pingtou/heishui-10/conflict', OPEN],
    ]);
  });

  test('from what was counted several versions back, one set of writes catches up: the cells end as a fresh count', () => {
    const life: Incident[] = [report()];
    const push = (f: (i: Incident) => Incident) => life.push(f(life[life.length - 1]!));
    push((i) => act(i, leader, { action: 'escalate' }, 1));
    push((i) => act(i, town, { action: 'escalate' }, 2));
    push((i) => workflowStep(i, 75)); // overdue
    push((i) => resolve(i, city, 80));
    push((i) => act(i, resident, { action: 'reopen', note: 'No.' }, 81));
    push((i) => resolve(i, city, 82));
    push((i) => act(i, resident, { action: 'verify' }, 83));
    const final = life[life.length - 1]!;
    const sums = (writes: CellWrite[][]) => {
      const totals = new Map<string, Counters>();
      for (const w of writes.flat()) {
        const sum = { ...(totals.get(label(w)) ?? {}) };
        for (const [k, v] of Object.entries(w.add)) sum[k] = (sum[k] ?? 0) + v;
        totals.set(label(w), Object.fromEntries(Object.entries(sum).filter(([, v]) => v !== 0)));
      }
      return totals;
    };
    const stepByStep = sums(life.map((next, n) => writesOf(n === 0 ? null : life[n - 1]!, next)));
    const skipping = sums([writesOf(null, life[0]!), counterWrites(counted(life[2]!, TZ), final, TZ), writesOf(life[0]!, life[2]!)]);
    const fresh = sums([writesOf(null, final)]);
    expect(stepByStep).toEqual(fresh);
    expect(skipping).toEqual(fresh);
    expect(fresh.get('cohort ALL pingtou/heishui-09/conflict')).toEqual({ total: 1, 'status#closed': 1, resolved: 1, 'resolvedAt#city': 1, resolvedOnTime: 1 });
    expect(fresh.get('series pingtou 2025-03-05 heishui-09')).toEqual({ resolved: 2, closed: 1 }); // 80, 82 and 83 h
  });
});

describe('windows: days of the county\'s time zone and the buckets that sum to them', () => {
  const range = (from?: string, to?: string) => dayRange(from, to, TZ);

  test('instants become the local days that hold them, and the window says which instants those cover', () => {
    const r = range('2025-03-01T16:30:00Z', '2025-03-02T15:59:59.999Z');
    expect(r).toEqual({ fromDay: '2025-03-02', toDay: '2025-03-02' });
    expect(windowOf(r, TZ)).toEqual({ from: '2025-03-01T16:00:00.000Z', to: '2025-03-02T15:59:59.999Z' });
    expect(windowOf(range(), TZ)).toEqual({ from: null, to: null });
    expect(windowOf(range(undefined, '2025-03-02T10:00:00+08:00'), TZ)).toEqual({ from: null, to: '2025-03-02T15:59:59.999Z' });
  });

  test('all time is one bucket', () => {
    expect(bucketPlan(range(), '2026-06-15')).toEqual({ add: ['ALL'], subtract: [] });
    expect(bucketPlan(range(undefined, '2027-01-01T00:00:00Z'), '2026-06-15')).toEqual({ add: ['ALL'], subtract: [] });
  });

  test('whole months are months; a few days are days; most of a month is the month less the other days', () => {
    const plan = (from: string, to: string) => bucketPlan({ fromDay: from, toDay: to }, '2026-06-15');
    expect(plan('2026-01-01', '2026-03-31')).toEqual({ add: ['2026-01', '2026-02', '2026-03'], subtract: [] });
    expect(plan('2026-03-05', '2026-03-07')).toEqual({ add: ['2026-03-05', '2026-03-06', '2026-03-07'], subtract: [] });
    expect(plan('2026-01-03', '2026-02-02')).toEqual({ add: ['2026-01', '2026-02-01', '2026-02-02'], subtract: ['2026-01-01', '2026-01-02'] });
    expect(plan('2026-06-16', '2026-06-01')).toEqual({ add: [], subtract: [] });
  });

  test('a year is at most 12 months and a few days at each end', () => {
    const p = bucketPlan({ fromDay: '2025-01-17', toDay: '2026-01-16' }, '2026-06-15');
    expect(p.add.length + p.subtract.length).toBeLessThanOrEqual(12 + 2 * 16);
  });

  test('open ends: from runs to today (and a day of slack), to runs from the beginning as all time less what came after', () => {
    expect(bucketPlan({ fromDay: '2026-06-01', toDay: null }, '2026-06-15')).toEqual({ add: ['2026-06'], subtract: ['2026-06-17', '2026-06-18', '2026-06-19',
      '2026-06-20', '2026-06-21', '2026-06-22', '2026-06-23', '2026-06-24', '2026-06-25', '2026-06-26', '2026-06-27', '2026-06-28', '2026-06-29', '2026-06-30'] });
    expect(bucketPlan({ fromDay: null, toDay: '2026-06-13' }, '2026-06-15')).toEqual({ add: ['ALL'], subtract: ['2026-06-14', '2026-06-15', '2026-06-16'] });
  });

  test('with the first counted day known, nothing before it is read: far-back windows cost a few buckets, not one per month since year 0', () => {
    const today = '2026-06-15';
    const far = { fromDay: null, toDay: '0000-01-01' };
    expect(monthsSpanned(far, today)).toBe(2026 * 12 + 6); // without the first day: a month bucket per month since year 0
    expect(monthsSpanned({ fromDay: '2026-01-03', toDay: '2026-03-01' }, today)).toBe(3);
    expect(monthsSpanned({ fromDay: null, toDay: '2026-06-13' }, today)).toBe(1);
    expect(monthsSpanned({ fromDay: '2027-01-01', toDay: null }, today)).toBe(0);
    expect(bucketCount(bucketPlan({ fromDay: '1990-01-01', toDay: '2026-06-13' }, today))).toBeGreaterThan(400);
    expect(bucketPlan(far, today, '2026-05-01')).toEqual({ add: [], subtract: [] });
    expect(bucketPlan({ fromDay: '1900-01-01', toDay: null }, today, '2026-05-01')).toEqual({ add: ['ALL'], subtract: [] });
    expect(bucketPlan({ fromDay: '0001-01-01', toDay: '2026-05-31' }, today, '2026-05-01')).toEqual({ add: ['2026-05'], subtract: [] });
    // All time less what came after, when that is fewer buckets than the span from the first day.
    expect(bucketPlan({ fromDay: null, toDay: '2026-06-13' }, today, '2024-01-01')).toEqual({ add: ['ALL'], subtract: ['2026-06-14', '2026-06-15', '2026-06-16'] });
    // A start after the first day plans as before; nothing counted yet reads nothing.
    expect(bucketPlan({ fromDay: '2026-06-01', toDay: '2026-06-02' }, today, '2026-05-01')).toEqual({ add: ['2026-06-01', '2026-06-02'], subtract: [] });
    expect(bucketPlan({ fromDay: null, toDay: null }, today, null)).toEqual({ add: [], subtract: [] });
  });

  test('a series needs both ends and at most 366 days', () => {
    expect(seriesDays({ fromDay: '2025-03-01', toDay: '2025-03-03' })).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
    expect(seriesDays({ fromDay: '2024-01-01', toDay: '2024-12-31' })).toHaveLength(366);
    expect(seriesDays({ fromDay: '2025-01-01', toDay: '2026-01-02' })).toEqual({ problem: expect.stringContaining('at most 366 days') });
    expect(seriesDays({ fromDay: '2025-01-01', toDay: null })).toEqual({ problem: expect.stringContaining('both from and to') });
  });
});

describe('figures, groups and series from cells', () => {
  const opts = { ladder: county.ladder, categories: ['conflict', 'hazard'] };
  const cell = (gridId: string, category: string, counters: Counters, townId = 'pingtou'): CohortCell => ({ townId, gridId, category, counters });

  test('no cells: zeros for every status, level and configured category; onTimeRate null', () => {
    expect(figures([], opts)).toEqual({
      total: 0,
      byCategory: { conflict: 0, hazard: 0 },
      byStatus: { open: 0, resolved: 0, closed: 0, rejected: 0 },
      resolvedAtLevel: { grid: 0, town: 0, city: 0 },
      resolvedOnSpot: 0,
      onTimeRate: null,
      overdueOpen: 0,
    });
  });

  test('cells of any bucket sum, subtracted ones negative, into the contract figures', () => {
    const cells = [
      cell('heishui-09', 'conflict', { total: 3, 'status#open': 1, 'status#resolved': 1, 'status#closed': 1, resolved: 2, 'resolvedAt#grid': 1, 'resolvedAt#town': 1, resolvedOnTime: 1, resolvedOnSpot: 1, overdueOpen: 1 }),
      cell('heishui-10', 'noise', { total: 1, 'status#rejected': 1 }),
      cell('heishui-10', 'conflict', { total: 2, 'status#resolved': 2, resolved: 2, 'resolvedAt#city': 2, resolvedOnTime: 2 }),
      cell('heishui-10', 'conflict', { total: -1, 'status#resolved': -1, resolved: -1, 'resolvedAt#city': -1, resolvedOnTime: -1 }),
    ];
    expect(figures(cells, opts)).toEqual({
      total: 5,
      byCategory: { conflict: 4, hazard: 0, noise: 1 },
      byStatus: { open: 1, resolved: 2, closed: 1, rejected: 1 },
      resolvedAtLevel: { grid: 1, town: 1, city: 1 },
      resolvedOnSpot: 1,
      onTimeRate: 2 / 3,
      overdueOpen: 1,
    });
  });

  test('groups: every unit listed in order, zero when empty, a unit the file no longer has last, named by its id', () => {
    const cells = [cell('heishui-10', 'conflict', OPEN), cell('gone-01', 'conflict', OPEN), cell('heishui-10', 'hazard', OPEN)];
    const out = groups(cells, { ...opts, units: ['heishui-09', 'heishui-10'], unitOf: (c) => c.gridId, name: (id) => (id === 'heishui-09' ? '第9网格' : id) });
    expect(out.map((g) => [g.id, g.name, g.total, g.byCategory])).toEqual([
      ['heishui-09', '第9网格', 0, { conflict: 0, hazard: 0 }],
      ['heishui-10', 'heishui-10', 2, { conflict: 1, hazard: 1 }],
      ['gone-01', 'gone-01', 1, { conflict: 1, hazard: 0 }],
    ]);
  });

  test('series: one entry per day, zeros where nothing happened, cells of other days ignored', () => {
    const out = series([
      { day: '2025-03-02', gridId: 'heishui-09', counters: { reported: 2, escalated: 1 } },
      { day: '2025-03-02', gridId: 'heishui-10', counters: { reported: 1, closed: 1 } },
      { day: '2025-03-09', gridId: 'heishui-10', counters: { reported: 5 } },
    ], ['2025-03-01', '2025-03-02']);
    expect(out).toEqual([
      { date: '2025-03-01', reported: 0, resolved: 0, escalated: 0, closed: 0 },
      { date: '2025-03-02', reported: 3, resolved: 0, escalated: 1, closed: 1 },
    ]);
  });

  test('a reporter\'s cells computed from its incidents equal the cells the writes would hold', () => {
    const a = resolve(report(), leader, 9);
    const b = act(report(), leader, { action: 'escalate' }, 2);
    const computed = cellsOfIncidents([a, b], { fromDay: '2025-03-01', toDay: '2025-03-01' }, TZ);
    expect(figures(computed.cohort, opts)).toMatchObject({ total: 2, byStatus: { open: 1, resolved: 1, closed: 0, rejected: 0 }, onTimeRate: 1 });
    expect(series(computed.series, ['2025-03-01', '2025-03-02'])).toEqual([
      { date: '2025-03-01', reported: 2, resolved: 0, escalated: 1, closed: 0 },
      { date: '2025-03-02', reported: 0, resolved: 1, escalated: 0, closed: 0 },
    ]);
    expect(cellsOfIncidents([a, b], { fromDay: '2025-03-02', toDay: null }, TZ).cohort).toEqual([]);
  });
});

describe('statsScope', () => {
  const townOf = (gridId: string) => (gridId === 'heishui-09' ? 'pingtou' : undefined);
  test('each role reads its own jurisdiction, and nothing when the token names another county, city or grid', () => {
    expect(statsScope(leader, ctx, townOf)).toEqual({ kind: 'grid', townId: 'pingtou', gridId: 'heishui-09' });
    expect(statsScope(town, ctx, townOf)).toEqual({ kind: 'town', townId: 'pingtou' });
    expect(statsScope(who('county', 'shouyang'), ctx, townOf)).toEqual({ kind: 'county' });
    expect(statsScope(city, ctx, townOf)).toEqual({ kind: 'county' });
    expect(statsScope(resident, ctx, townOf)).toEqual({ kind: 'reporter', sub: 'resident-1' });
    expect(statsScope(who('grid', 'nowhere-01'), ctx, townOf)).toBeNull();
    expect(statsScope(who('county', 'yuci'), ctx, townOf)).toBeNull();
    expect(statsScope(who('city', 'taiyuan'), ctx, townOf)).toBeNull();
    expect(statsScope(who('reporter', 'yuci', 'resident-1'), ctx, townOf)).toBeNull();
  });
});
