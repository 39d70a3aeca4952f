import type { County } from '#config/county-schema.js';
import { domainCounty } from '../helpers/domain-county.js';
import { GridflowError } from '#domain/errors.js';
import type { ActionName, Caller, Incident, Role } from '#domain/incident.js';
import { applyAction, reportIncident, type ActionCommand } from '#domain/lifecycle.js';
import { announced } from '../helpers/announced.js';

const county: County = domainCounty();

const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };
const who = (role: Role, scope: string, sub = `${role}-${scope}`): Caller => ({ sub, name: 'N', role, scope });
const resident = who('reporter', 'shouyang', 'resident-1');
const otherResident = who('reporter', 'shouyang', 'resident-2');
const leader = who('grid', 'heishui-09', 'hs-09');
const otherLeader = who('grid', 'heishui-10', 'hs-10');
const town = who('town', 'pingtou', 'pt-1');
const otherTown = who('town', 'caijiagou', 'cj-1');
const countyRole = who('county', 'shouyang', 'cty-1');
const city = who('city', 'jinzhong', 'js-1');

const t0 = new Date('2025-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * 3_600_000);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const act = (inc: Incident, caller: Caller, cmd: ActionCommand, now = at(1)) => {
  const { incident } = applyAction(inc, caller, cmd, now, ctx);
  return { incident, notifications: announced(inc, incident) };
};
const step = (inc: Incident, caller: Caller, cmd: ActionCommand, now = at(1)): Incident => act(inc, caller, cmd, now).incident;

const open = (): Incident => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute', reporter: { name: 'Wang', phone: '138' } },
  resident, county, t0, 'inc-1',
);
const atTown = () => step(open(), leader, { action: 'escalate' });
const atCity = () => step(atTown(), town, { action: 'escalate' }, at(2));
const resolved = () => step(open(), leader, { action: 'resolve', note: 'Fixed.' });
const resolvedAtTown = () => step(atTown(), town, { action: 'resolve', note: 'Fixed by town.' }, at(2));
const closed = () => step(resolved(), resident, { action: 'verify' }, at(2));
const rejected = () => step(open(), leader, { action: 'reject', note: 'Not ours.' });

function statusOf(fn: () => unknown): number | 'ok' {
  try { fn(); return 'ok'; } catch (e) { if (e instanceof GridflowError) return e.status; throw e; }
}
function caught(fn: () => unknown): GridflowError {
  try { fn(); } catch (e) { if (e instanceof GridflowError) return e; throw e; }
  throw new Error('expected a GridflowError');
}

describe('applyAction: every change', () => {
  it('returns a new record, version + 1, updatedAt now, exactly one event, input untouched', () => {
    const before = deepFreeze({ ...open(), workflow: { ...open().workflow, taskToken: 'tok-1', executionName: 'exec-1', notifiedThrough: 2 } });
    const snapshot = structuredClone(before);
    const now = at(3);
    for (const [caller, cmd] of [
      [leader, { action: 'acknowledge' }], [leader, { action: 'comment', note: 'On my way.' }],
      [leader, { action: 'resolve', note: 'Fixed.' }], [leader, { action: 'escalate' }], [leader, { action: 'reject', note: 'No.' }],
    ] as [Caller, ActionCommand][]) {
      const { incident } = act(before, caller, cmd, now);
      expect(incident).not.toBe(before);
      expect(incident.version).toBe(before.version + 1);
      expect(incident.updatedAt).toBe(now.toISOString());
      expect(incident.timeline).toHaveLength(before.timeline.length + 1);
      expect(incident.timeline.slice(0, -1)).toEqual(before.timeline);
      expect(incident.timeline.at(-1)?.at).toBe(now.toISOString());
      expect(incident.workflow.taskToken).toBe('tok-1');
      expect(incident.workflow.executionName).toBe('exec-1');
      expect(incident.workflow.notifiedThrough).toBe(2);
    }
    expect(before).toEqual(snapshot);
  });

  it('accepts a matching expectedVersion and refuses a stale one with 409', () => {
    const inc = open();
    expect(step(inc, leader, { action: 'acknowledge', expectedVersion: 1 }).version).toBe(2);
    expect(caught(() => act(inc, leader, { action: 'acknowledge', expectedVersion: 2 })).status).toBe(409);
  });
});

describe('applyAction: precedence 400 > 404 > 403 > 409', () => {
  it('400 for a missing or blank note, even outside the jurisdiction', () => {
    for (const action of ['comment', 'resolve', 'reopen', 'reject'] as ActionName[]) {
      expect(caught(() => act(open(), otherTown, { action }))).toMatchObject({ status: 400, errors: [{ path: 'note' }] });
      expect(caught(() => act(open(), leader, { action, note: '   ' }))).toMatchObject({ status: 400, errors: [{ path: 'note' }] });
    }
    expect(caught(() => act(open(), leader, { action: 'comment', note: 'x'.repeat(2001) })).status).toBe(400);
  });

  it('400 for an unknown action', () => {
    expect(caught(() => act(open(), leader, { action: 'delete' as ActionName })).errors?.[0]?.path).toBe('action');
  });

  it('404 outside the jurisdiction, even where the role and the status would also be wrong', () => {
    expect(statusOf(() => act(closed(), otherTown, { action: 'resolve', note: 'n' }))).toBe(404);
    expect(statusOf(() => act(atCity(), otherLeader, { action: 'escalate', expectedVersion: 99 }))).toBe(404);
    expect(statusOf(() => act(resolved(), otherResident, { action: 'verify' }))).toBe(404);
    expect(statusOf(() => act(open(), who('county', 'yuci'), { action: 'acknowledge' }))).toBe(404);
    expect(statusOf(() => act(open(), who('city', 'taiyuan'), { action: 'acknowledge' }))).toBe(404);
  });

  it('403 for a forbidden role before any 409', () => {
    // a reporter resolving its own closed incident, with a stale version
    expect(statusOf(() => act(closed(), resident, { action: 'resolve', note: 'n', expectedVersion: 1 }))).toBe(403);
    // a grid leader acting once the incident is at town, even where the status is wrong too
    expect(statusOf(() => act(resolvedAtTown(), leader, { action: 'resolve', note: 'n' }))).toBe(403);
    // verification by a town supervisor on an open incident
    expect(statusOf(() => act(open(), town, { action: 'verify' }))).toBe(403);
  });
});

describe('applyAction: who may act at which level', () => {
  const actions: ActionCommand[] = [
    { action: 'acknowledge' }, { action: 'comment', note: 'n' }, { action: 'resolve', note: 'n' },
    { action: 'escalate' }, { action: 'reject', note: 'n' },
  ];
  it.each([
    ['grid', leader, 'ok'], ['town', leader, 403], ['city', leader, 403],
    ['grid', town, 'ok'], ['town', town, 'ok'], ['city', town, 403],
    ['grid', countyRole, 'ok'], ['town', countyRole, 'ok'], ['city', countyRole, 'ok'],
    ['grid', city, 'ok'], ['town', city, 'ok'], ['city', city, 'ok'],
    ['grid', resident, 403], ['town', resident, 403], ['city', resident, 403],
  ] as const)('at %s: %s', (level, caller, expected) => {
    const inc = level === 'grid' ? open() : level === 'town' ? atTown() : atCity();
    for (const cmd of actions) {
      // escalating at the top is a 409 for those who may act there
      const want = expected === 'ok' && level === 'city' && cmd.action === 'escalate' ? 409 : expected;
      expect([cmd.action, statusOf(() => act(inc, caller, cmd, at(5)))]).toEqual([cmd.action, want]);
    }
  });

  it.each([
    ['its reporter', resident, 'ok'], ['the grid leader of its grid', leader, 'ok'], ['the county', countyRole, 'ok'],
    ['the town', town, 403], ['the city', city, 403], ['another reporter', otherResident, 404], ['another grid leader', otherLeader, 404],
  ] as const)('verify and reopen: %s', (_label, caller, expected) => {
    expect(statusOf(() => act(resolvedAtTown(), caller, { action: 'verify' }, at(5)))).toBe(expected);
    expect(statusOf(() => act(resolvedAtTown(), caller, { action: 'reopen', note: 'Still broken.' }, at(5)))).toBe(expected);
  });
});

describe('applyAction: status validity', () => {
  const valid: Partial<Record<ActionName, string[]>> = {
    acknowledge: ['open'], comment: ['open', 'resolved'], resolve: ['open'], escalate: ['open'],
    verify: ['resolved'], reopen: ['resolved'], reject: ['open'],
  };
  const states: Record<string, () => Incident> = { open, resolved, closed, rejected };
  it.each(Object.keys(valid) as ActionName[])('%s', (action) => {
    for (const [status, make] of Object.entries(states)) {
      const inc = make();
      expect(inc.status).toBe(status);
      const result = statusOf(() => act(inc, countyRole, { action, note: 'A note.' }, at(5)));
      expect([status, result]).toEqual([status, valid[action]!.includes(status) ? 'ok' : 409]);
    }
  });
});

describe('applyAction: each action', () => {
  it('acknowledge records who, once per level; escalation clears it', () => {
    const { incident, notifications } = act(open(), leader, { action: 'acknowledge' });
    expect(incident.acknowledgedBy).toBe('hs-09');
    expect(incident.timeline.at(-1)).toMatchObject({ type: 'acknowledged', level: 'grid', actor: 'hs-09' });
    expect(notifications).toEqual([]);
    expect(statusOf(() => act(incident, town, { action: 'acknowledge' }))).toBe(409);
    expect(statusOf(() => act(incident, leader, { action: 'acknowledge' }))).toBe(409);
    const escalated = step(incident, leader, { action: 'escalate' }, at(2));
    expect(escalated.acknowledgedBy).toBeNull();
    expect(step(escalated, town, { action: 'acknowledge' }, at(3)).acknowledgedBy).toBe('pt-1');
  });

  it('comment appends a commented event with the note, also once resolved', () => {
    const c = step(resolved(), leader, { action: 'comment', note: 'Checked again.' }, at(2));
    expect(c.status).toBe('resolved');
    expect(c.timeline.at(-1)).toEqual({ at: at(2).toISOString(), type: 'commented', level: 'grid', actor: 'hs-09', note: 'Checked again.', reason: null });
  });

  it('resolve sets the resolution and the verification due, keeps overdue, notifies the grid', () => {
    const overdueAtCity: Incident = { ...atCity(), overdue: true };
    const now = at(10);
    const { incident, notifications } = act(overdueAtCity, city, { action: 'resolve', note: 'Done at last.' }, now);
    expect(incident).toMatchObject({
      status: 'resolved', deadline: null, overdue: true, level: 'city',
      resolution: { note: 'Done at last.', by: 'js-1', level: 'city', at: now.toISOString() },
    });
    expect(incident.workflow.verificationDue).toBe(at(10 + 72).toISOString());
    expect(incident.timeline.at(-1)).toMatchObject({ type: 'resolved', level: 'city', actor: 'js-1', note: 'Done at last.' });
    expect(notifications).toEqual([{ event: 'resolved', level: 'grid', incidentId: 'inc-1', reason: null, at: now.toISOString() }]);
  });

  it('escalate moves one rung up with a deadline from now and resets the level state', () => {
    const before: Incident = { ...open(), workflow: { ...open().workflow, approachingReminded: true } };
    const now = at(20);
    const { incident, notifications } = act(before, leader, { action: 'escalate', note: 'Needs the town.' }, now);
    expect(incident).toMatchObject({ level: 'town', status: 'open', deadline: at(20 + 48).toISOString(), acknowledgedBy: null });
    expect(incident.workflow).toMatchObject({ levelEnteredAt: now.toISOString(), approachingReminded: false });
    expect(incident.timeline.at(-1)).toEqual({ at: now.toISOString(), type: 'escalated', level: 'town', actor: 'hs-09', note: 'Needs the town.', reason: 'manual', deadline: at(20 + 48).toISOString() });
    expect(notifications).toEqual([
      { event: 'escalated', level: 'grid', incidentId: 'inc-1', reason: 'manual', at: now.toISOString() },
      { event: 'escalated', level: 'town', incidentId: 'inc-1', reason: 'manual', at: now.toISOString() },
    ]);
  });

  it('escalate uses the frozen policy, not the county file', () => {
    const inc = open();
    inc.policy = { ...inc.policy, deadlines: { ...inc.policy.deadlines, town: 'PT2H' } };
    expect(step(inc, leader, { action: 'escalate' }, at(1)).deadline).toBe(at(3).toISOString());
  });

  it('escalate at the top is a 409', () => {
    expect(caught(() => act(atCity(), city, { action: 'escalate' }, at(5))).status).toBe(409);
  });

  it('verify closes with reason verified and notifies the grid', () => {
    const { incident, notifications } = act(resolved(), resident, { action: 'verify' }, at(4));
    expect(incident.status).toBe('closed');
    expect(incident.timeline.at(-1)).toMatchObject({ type: 'closed', reason: 'verified', actor: 'resident-1' });
    expect(notifications).toEqual([{ event: 'closed', level: 'grid', incidentId: 'inc-1', reason: 'verified', at: at(4).toISOString() }]);
  });

  it('reopen returns to the resolving level with a fresh deadline from now', () => {
    const now = at(30);
    const { incident, notifications } = act(resolvedAtTown(), resident, { action: 'reopen', note: 'Still broken.' }, now);
    expect(incident).toMatchObject({ status: 'open', level: 'town', deadline: at(30 + 48).toISOString(), resolution: null, overdue: false, acknowledgedBy: null });
    expect(incident.workflow).toMatchObject({ levelEnteredAt: now.toISOString(), verificationDue: null, overdueReminders: 0, approachingReminded: false });
    expect(incident.timeline.at(-1)).toEqual({ at: now.toISOString(), type: 'reopened', level: 'town', actor: 'resident-1', note: 'Still broken.', reason: null, deadline: at(30 + 48).toISOString() });
    expect(notifications).toEqual([]);
  });

  it('reopen of an overdue incident clears overdue and the reminders', () => {
    const base = atCity();
    const overdueResolved = step(
      { ...base, overdue: true, workflow: { ...base.workflow, overdueReminders: 3, approachingReminded: true } },
      city, { action: 'resolve', note: 'n' }, at(200),
    );
    const reopened = step(overdueResolved, countyRole, { action: 'reopen', note: 'No.' }, at(210));
    expect(reopened).toMatchObject({ status: 'open', level: 'city', overdue: false, deadline: at(210 + 72).toISOString() });
    expect(reopened.workflow).toMatchObject({ overdueReminders: 0, approachingReminded: false, verificationDue: null });
  });

  it('reject ends the incident without a notification', () => {
    const { incident, notifications } = act(open(), town, { action: 'reject', note: 'Not a public matter.' });
    expect(incident).toMatchObject({ status: 'rejected', deadline: null });
    expect(incident.timeline.at(-1)).toMatchObject({ type: 'rejected', actor: 'pt-1', note: 'Not a public matter.' });
    expect(notifications).toEqual([]);
  });
});
