import { CountySchema, type County } from '#config/county-schema.js';
import { advance as advanceRecord, MAX_WAIT_SECONDS, type Stage } from '#domain/advance.js';
import { calendarOf } from '#domain/deadlines.js';
import { announced } from '../helpers/announced.js';
import type { Caller, Incident } from '#domain/incident.js';
import { applyAction, reportIncident } from '#domain/lifecycle.js';

/** advance() plus what its change announces, derived by the one notification rule. */
const advance = (inc: Incident, stage: Stage, now: Date) => {
  const result = advanceRecord(inc, stage, now, null);
  return { ...result, notifications: announced(inc, result.incident) };
};
type AdvanceResult = ReturnType<typeof advance>;

const countyWith = (deadlines: Record<string, string>, verificationWindow = 'P3D'): County => CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow,
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines }],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});
const county = countyWith({ grid: 'PT24H', town: 'PT48H', city: 'PT72H' });
const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };
const resident: Caller = { sub: 'resident-1', name: 'R', role: 'reporter', scope: 'shouyang' };
const leader: Caller = { sub: 'hs-09', name: 'L', role: 'grid', scope: 'heishui-09' };
const countyRole: Caller = { sub: 'cty-1', name: 'C', role: 'county', scope: 'shouyang' };

const H = 3_600_000;
const t0 = new Date('2025-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);
const hoursOf = (iso: string) => (Date.parse(iso) - t0.getTime()) / H;
const report = (c: County = county): Incident => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' }, resident, c, t0, 'inc-1',
);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Drives advance() like the workflow does: call, wait what it says, call again at the stage it names. */
function simulate(start: Incident, until: Date, stage: Stage = start.level) {
  let incident = start;
  let next: Stage | 'end' = stage;
  let clock = new Date(start.updatedAt);
  const calls: { at: Date; input: Incident; result: AdvanceResult }[] = [];
  while (next !== 'end' && clock.getTime() <= until.getTime()) {
    const result = advance(incident, next, clock);
    calls.push({ at: clock, input: incident, result });
    incident = result.incident;
    next = result.step.next;
    clock = new Date(clock.getTime() + result.step.waitSeconds * 1000);
  }
  return { incident, calls };
}

describe('advance: the whole ladder over a simulated clock', () => {
  const { incident, calls } = simulate(report(), at(24 * 120));
  const events = incident.timeline.slice(2).map((e) => [e.type, e.reason, e.level, hoursOf(e.at)]);

  it('escalates grid -> town -> city, goes overdue and reminds exactly 3 times', () => {
    expect(events).toEqual([
      ['reminded', 'approaching', 'grid', 19.2],
      ['escalated', 'deadline', 'town', 24],
      ['reminded', 'approaching', 'town', 24 + 38.4],
      ['escalated', 'deadline', 'city', 72],
      ['reminded', 'approaching', 'city', 72 + 57.6],
      ['overdue', null, 'city', 144],
      ['reminded', 'overdue', 'city', 144 + 72],
      ['reminded', 'overdue', 'city', 144 + 144],
      ['reminded', 'overdue', 'city', 144 + 216],
    ]);
    expect(incident).toMatchObject({ status: 'open', level: 'city', overdue: true, version: 10 });
    expect(incident.workflow.overdueReminders).toBe(3);
  });

  it('never sends a 4th reminder: it waits the maximum and changes nothing, again and again', () => {
    const after = calls.filter((c) => c.at.getTime() > at(360).getTime());
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const c of after) {
      expect(c.result.changed).toBe(false);
      expect(c.result.step).toEqual({ next: 'city', waitSeconds: MAX_WAIT_SECONDS });
    }
  });

  it('sends the notifications of each step to the right topics', () => {
    const sent = calls.flatMap((c) => c.result.notifications.map((n) => [n.event, n.level, n.reason]));
    expect(sent).toEqual([
      ['reminded', 'grid', 'approaching'],
      ['escalated', 'grid', 'deadline'], ['escalated', 'town', 'deadline'],
      ['reminded', 'town', 'approaching'],
      ['escalated', 'town', 'deadline'], ['escalated', 'city', 'deadline'],
      ['reminded', 'city', 'approaching'],
      ['overdue', 'city', null],
      ['reminded', 'city', 'overdue'], ['reminded', 'city', 'overdue'], ['reminded', 'city', 'overdue'],
    ]);
  });

  it('makes at most one visible change per call, and none without notifying', () => {
    for (const { input, result } of calls) {
      if (result.changed) {
        expect(result.incident.version).toBe(input.version + 1);
        expect(result.incident.timeline).toHaveLength(input.timeline.length + 1);
        expect(result.notifications.length).toBeGreaterThan(0);
      } else {
        expect(result.incident).toBe(input);
        expect(result.notifications).toEqual([]);
      }
      expect(Number.isInteger(result.step.waitSeconds)).toBe(true);
      expect(result.step.waitSeconds).toBeGreaterThanOrEqual(1);
      expect(result.step.waitSeconds).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
    }
    // Two points per level (80 %, deadline), overdue and three reminders: no busy loop, no idle change.
    expect(calls.filter((c) => c.result.changed)).toHaveLength(9);
    expect(calls.filter((c) => !c.result.changed && c.at.getTime() <= at(360).getTime())).toHaveLength(1);
  });
});

describe('advance: one step', () => {
  it('waits until the 80 % mark, then reminds once and waits until the deadline', () => {
    const inc = report();
    const first = advance(inc, 'grid', t0);
    expect(first).toMatchObject({ changed: false, notifications: [], step: { next: 'grid', waitSeconds: 19.2 * 3600 } });
    expect(first.incident).toBe(inc);

    const reminded = advance(inc, 'grid', at(19.2));
    expect(reminded.changed).toBe(true);
    expect(reminded.incident.workflow.approachingReminded).toBe(true);
    expect(reminded.incident.version).toBe(2);
    expect(reminded.incident.timeline.at(-1)).toEqual({ at: at(19.2).toISOString(), type: 'reminded', level: 'grid', actor: null, note: null, reason: 'approaching' });
    expect(reminded.notifications).toEqual([{ event: 'reminded', level: 'grid', incidentId: 'inc-1', reason: 'approaching', at: at(19.2).toISOString() }]);
    expect(reminded.step).toEqual({ next: 'grid', waitSeconds: 4.8 * 3600 });

    const again = advance(reminded.incident, 'grid', at(20));
    expect(again.changed).toBe(false);
    expect(again.step.waitSeconds).toBe(4 * 3600);
  });

  it('rounds a wait up to whole seconds', () => {
    const r = advance(report(), 'grid', new Date(t0.getTime() + 1500));
    expect(r.step.waitSeconds).toBe(19.2 * 3600 - 1);
  });

  it('a late escalation runs the next deadline from when it fired, skipping the stale 80 % reminder', () => {
    const r = advance(report(), 'grid', at(30));
    expect(r.changed).toBe(true);
    expect(r.incident).toMatchObject({ level: 'town', deadline: at(30 + 48).toISOString(), acknowledgedBy: null, version: 2 });
    expect(r.incident.workflow).toMatchObject({ levelEnteredAt: at(30).toISOString(), approachingReminded: false });
    expect(r.incident.timeline.map((e) => e.type)).toEqual(['reported', 'assigned', 'escalated']);
    expect(r.incident.timeline.at(-1)).toMatchObject({ level: 'town', reason: 'deadline', actor: null });
    expect(r.step).toEqual({ next: 'town', waitSeconds: 38.4 * 3600 });
  });

  it('an acknowledged incident still escalates at its deadline, clearing the acknowledgement', () => {
    const acked = applyAction(report(), leader, { action: 'acknowledge' }, at(1), ctx).incident;
    const r = advance(acked, 'grid', at(24));
    expect(r.incident).toMatchObject({ level: 'town', acknowledgedBy: null });
  });

  it('re-running at the same time changes nothing (idempotent), and is deterministic', () => {
    const inc = deepFreeze(report());
    const first = advance(inc, 'grid', at(24));
    expect(advance(inc, 'grid', at(24))).toEqual(first);
    const replay = advance(first.incident, first.step.next as Stage, at(24));
    expect(replay).toMatchObject({ changed: false, notifications: [] });
    expect(replay.incident).toBe(first.incident);
    // A duplicated execution still at the old stage is only redirected.
    const stale = advance(first.incident, 'grid', at(24));
    expect(stale).toMatchObject({ changed: false, notifications: [], step: { next: 'town', waitSeconds: 1 } });
    expect(stale.incident).toBe(first.incident);
  });

  it('never mutates the incident it is given and leaves the workflow bookkeeping alone', () => {
    const base = report();
    const inc = deepFreeze({ ...base, workflow: { ...base.workflow, taskToken: 'tok', executionName: 'exec', notifiedThrough: 2 } });
    const snapshot = structuredClone(inc);
    for (const hours of [19.5, 100]) {
      const r = advance(inc, 'grid', at(hours));
      expect(r.changed).toBe(true);
      expect(r.incident.workflow).toMatchObject({ taskToken: 'tok', executionName: 'exec', notifiedThrough: 2 });
    }
    expect(inc).toEqual(snapshot);
  });

  it('resumes after an outage with one missed reminder at once, the next one period after it was sent (no burst)', () => {
    // At the city since hour 72 (deadline 144, period 72 h), nothing sent there; the workflow comes back at hour 1000,
    // when all three reminders (216, 288, 360) are long overdue.
    const atCity = simulate(report(), at(72)).incident;
    expect(atCity).toMatchObject({ level: 'city', deadline: at(144).toISOString(), overdue: false });
    const calls: Array<[number, AdvanceResult]> = [];
    let inc = atCity;
    for (const hour of [1000, 1000, 1000, 1071.9, 1072, 1072, 1144, 1144]) {
      const r = advance(inc, 'city', at(hour));
      calls.push([hour, r]);
      inc = r.incident;
    }
    expect(calls.map(([hour, c]) => [hour, c.changed, c.incident.timeline.at(-1)?.type, c.incident.timeline.at(-1)?.reason, c.step.waitSeconds])).toEqual([
      [1000, true, 'overdue', null, 1],
      [1000, true, 'reminded', 'overdue', 72 * 3600],
      [1000, false, 'reminded', 'overdue', 72 * 3600],
      [1071.9, false, 'reminded', 'overdue', 360],
      [1072, true, 'reminded', 'overdue', 72 * 3600],
      [1072, false, 'reminded', 'overdue', 72 * 3600],
      [1144, true, 'reminded', 'overdue', MAX_WAIT_SECONDS],
      [1144, false, 'reminded', 'overdue', MAX_WAIT_SECONDS],
    ]);
    expect(inc.timeline.filter((e) => e.reason === 'overdue').map((e) => e.at)).toEqual([at(1000), at(1072), at(1144)].map((d) => d.toISOString()));
    // The approaching reminder of the city was stale: never sent.
    expect(inc.timeline.filter((e) => e.level === 'city' && e.reason === 'approaching')).toHaveLength(0);
  });

  it('counts overdue reminders from when the previous one was due, not from when it went out', () => {
    const atCity = simulate(report(), at(72)).incident;
    const overdue = advance({ ...atCity, workflow: { ...atCity.workflow, approachingReminded: true } }, 'city', at(144)).incident;
    // The first reminder goes out 2 s late (a slow Lambda): the second is still due at 144 + 2 × 72 h.
    const first = advance(overdue, 'city', new Date(at(216).getTime() + 2000));
    expect(first.incident.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'overdue' });
    expect(first.incident.workflow.overdueReminderDue).toBe(at(288).toISOString());
    expect(first.step.waitSeconds).toBe(72 * 3600 - 2);
  });

  it('after an outage below the top, escalates once: the next level gets its full time', () => {
    const r1 = advance(report(), 'grid', at(500));
    expect(r1.incident).toMatchObject({ level: 'town', deadline: at(548).toISOString() });
    const r2 = advance(r1.incident, 'town', at(500));
    expect(r2.changed).toBe(false);
  });

  it('overdue waits for the first reminder one period after the deadline', () => {
    const atCity = simulate(report(), at(72)).incident;
    const r = advance({ ...atCity, workflow: { ...atCity.workflow, approachingReminded: true } }, 'city', at(150));
    expect(r.incident.overdue).toBe(true);
    expect(r.notifications).toEqual([{ event: 'overdue', level: 'city', incidentId: 'inc-1', reason: null, at: at(150).toISOString() }]);
    expect(r.step).toEqual({ next: 'city', waitSeconds: (216 - 150) * 3600 });
  });

  it('caps a wait at 30 days (the workflow re-arms it)', () => {
    const long = report(countyWith({ grid: 'P100D', town: 'P100D', city: 'P100D' }));
    const r = advance(long, 'grid', t0);
    expect(r.step).toEqual({ next: 'grid', waitSeconds: MAX_WAIT_SECONDS });
    expect(advance(long, 'grid', at(24 * 30)).changed).toBe(false);
    expect(advance(long, 'grid', at(24 * 80)).incident.workflow.approachingReminded).toBe(true);
  });

  it('follows a supervisor escalation: a stale stage is redirected to the record level', () => {
    const escalated = applyAction(report(), leader, { action: 'escalate' }, at(2), ctx).incident;
    expect(advance(escalated, 'grid', at(2))).toMatchObject({ changed: false, step: { next: 'town', waitSeconds: 1 } });
    expect(advance(escalated, 'town', at(2)).step).toEqual({ next: 'town', waitSeconds: 38.4 * 3600 });
  });
});

describe('advance: resolved, verification and the end', () => {
  const resolved = () => applyAction(report(), leader, { action: 'resolve', note: 'Fixed.' }, at(5), ctx).incident;

  it('sends a resolved incident to the verification stage without a change', () => {
    expect(advance(resolved(), 'grid', at(5))).toMatchObject({ changed: false, notifications: [], step: { next: 'verification', waitSeconds: 1 } });
  });

  it('waits for the verification window, then closes with reason verification-window', () => {
    const inc = resolved();
    expect(advance(inc, 'verification', at(6))).toMatchObject({ changed: false, step: { next: 'verification', waitSeconds: (72 - 1) * 3600 } });
    const r = advance(inc, 'verification', at(5 + 72));
    expect(r.changed).toBe(true);
    expect(r.incident).toMatchObject({ status: 'closed', version: inc.version + 1 });
    expect(r.incident.timeline.at(-1)).toEqual({ at: at(77).toISOString(), type: 'closed', level: 'grid', actor: null, note: null, reason: 'verification-window' });
    expect(r.notifications).toEqual([{ event: 'closed', level: 'grid', incidentId: 'inc-1', reason: 'verification-window', at: at(77).toISOString() }]);
    expect(r.step.next).toBe('end');
    expect(advance(r.incident, 'verification', at(78))).toMatchObject({ changed: false, step: { next: 'end' } });
  });

  it('a resolved-on-the-spot report closes by the window too', () => {
    const onSpot = reportIncident(
      { category: 'conflict', gridId: 'heishui-09', title: 'T', description: 'D', resolvedOnSpot: { note: 'Settled.' } }, leader, county, t0, 'inc-2',
    );
    expect(advance(onSpot, 'grid', t0).step.next).toBe('verification');
    expect(advance(onSpot, 'verification', at(72)).incident.status).toBe('closed');
  });

  it('after a reopen goes back to the resolving level with a fresh deadline and a fresh reminder', () => {
    const atTown = advance(report(), 'grid', at(24)).incident; // deadline escalation
    const remindedAtTown = advance(atTown, 'town', at(24 + 40)).incident;
    expect(remindedAtTown.workflow.approachingReminded).toBe(true);
    const res = applyAction(remindedAtTown, { sub: 'pt-1', name: 'T', role: 'town', scope: 'pingtou' }, { action: 'resolve', note: 'Fixed.' }, at(65), ctx).incident;
    const reopened = applyAction(res, resident, { action: 'reopen', note: 'Not fixed.' }, at(100), ctx).incident;
    expect(reopened).toMatchObject({ status: 'open', level: 'town', deadline: at(148).toISOString() });
    expect(advance(reopened, 'verification', at(100))).toMatchObject({ changed: false, step: { next: 'town', waitSeconds: 1 } });
    expect(advance(reopened, 'town', at(100)).step.waitSeconds).toBe(38.4 * 3600);
    const r = advance(reopened, 'town', at(100 + 38.4));
    expect(r.incident.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'approaching', level: 'town' });
  });

  it.each(['closed', 'rejected'] as const)('ends for a %s incident at any stage', (status) => {
    const inc = status === 'closed'
      ? applyAction(resolved(), countyRole, { action: 'verify' }, at(6), ctx).incident
      : applyAction(report(), leader, { action: 'reject', note: 'No.' }, at(6), ctx).incident;
    for (const stage of ['grid', 'town', 'city', 'verification'] as Stage[]) {
      const r = advance(inc, stage, at(1000));
      expect(r).toMatchObject({ changed: false, notifications: [], step: { next: 'end' } });
      expect(r.incident).toBe(inc);
    }
  });
});

describe('advance with working-time deadlines: the workflow waits until the instants computed in the county calendar', () => {
  const c = CountySchema.parse({
    ...countyWith({ grid: 'PT1H', town: 'PT1H', city: 'PT1H' }),
    calendar: {
      workingHours: [['08:30', '12:00'], ['14:30', '17:30']],
      holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
      workdays: ['2026-10-10'],
    },
    categories: [{ id: 'conflict', name: 'Sanitation', deadlines: { grid: { working: 'PT4H' }, town: { workingDays: 2 }, city: { working: 'PT2H' } } }],
    verificationWindow: { workingDays: 1 },
  });
  const calendar = calendarOf(c);
  const bj = (local: string) => new Date(`${local}+08:00`);
  const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;
  const reported = () => reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Bins', description: 'Full' }, resident, c, bj('2026-09-30T16:00'), 'inc-w');

  test('the 80 % reminder, the deadline and the next level\'s deadline, each at its working-time instant', () => {
    const inc = reported();
    expect(inc.deadline).toBe(bj('2026-10-08T11:00').toISOString()); // 1.5 h on the 30th, 2.5 h on the 8th
    const first = advanceRecord(inc, 'grid', bj('2026-09-30T16:00'), calendar);
    expect(first.step.waitSeconds).toBe(seconds(bj('2026-09-30T16:00'), bj('2026-10-08T10:12'))); // 3.2 working hours
    // Nothing happens over the holiday.
    expect(advanceRecord(inc, 'grid', bj('2026-10-07T23:00'), calendar).changed).toBe(false);
    const reminded = advanceRecord(inc, 'grid', bj('2026-10-08T10:12'), calendar);
    expect(reminded.incident.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'approaching' });
    expect(reminded.step.waitSeconds).toBe(48 * 60);
    const atTown = advanceRecord(reminded.incident, 'grid', bj('2026-10-08T11:00'), calendar).incident;
    // Two working days after 8 October: the 9th and the make-up Saturday 10th.
    expect(atTown).toMatchObject({ level: 'town', deadline: bj('2026-10-10T17:30').toISOString() });
  });

  test('overdue reminders at the top one working-time period apart; the verification window in working days', () => {
    let inc = applyAction(reported(), leader, { action: 'escalate' }, bj('2026-10-08T09:00'), { ...ctx, county: c }).incident;
    inc = applyAction(inc, { sub: 'pt-1', name: 'T', role: 'town', scope: 'pingtou' }, { action: 'escalate' }, bj('2026-10-08T10:00'), { ...ctx, county: c }).incident;
    expect(inc).toMatchObject({ level: 'city', deadline: bj('2026-10-08T12:00').toISOString() }); // 2 working hours: 10:00-12:00, not 14:30
    inc = { ...inc, workflow: { ...inc.workflow, approachingReminded: true } };
    const overdue = advanceRecord(inc, 'city', bj('2026-10-08T12:00'), calendar);
    expect(overdue.incident.overdue).toBe(true);
    // The next reminder two working hours after the deadline: over lunch, 14:30 -> 16:30.
    expect(overdue.step.waitSeconds).toBe(4.5 * 3600);
    const r1 = advanceRecord(overdue.incident, 'city', bj('2026-10-08T16:30'), calendar);
    expect(r1.incident.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'overdue' });
    // 16:30 + 2 working hours: 1 h today, 1 h from 08:30 on the 9th.
    expect(r1.incident.workflow.overdueReminderDue).toBe(bj('2026-10-09T09:30').toISOString());

    const resolved = applyAction(r1.incident, { sub: 'js-1', name: 'C', role: 'city', scope: 'jinzhong' }, { action: 'resolve', note: 'Done.' }, bj('2026-10-09T11:00'), { ...ctx, county: c }).incident;
    expect(resolved.workflow.verificationDue).toBe(bj('2026-10-10T17:30').toISOString());
    expect(advanceRecord(resolved, 'verification', bj('2026-10-10T17:29'), calendar).changed).toBe(false);
    expect(advanceRecord(resolved, 'verification', bj('2026-10-10T17:30'), calendar).incident.status).toBe('closed');
  });
});
