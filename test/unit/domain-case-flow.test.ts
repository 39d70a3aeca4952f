/**
 * Contract §8 and its §10 rules in the pure domain: extension requests and decisions, return, reassignment,
 * the lapse rule, and `allowedActions` as exactly what `applyAction` accepts.
 */
import { CountySchema, type County } from '#config/county-schema.js';
import { advance } from '#domain/advance.js';
import { GridflowError } from '#domain/errors.js';
import { ACTIONS, type ActionName, type Caller, type Incident, type Role } from '#domain/incident.js';
import { allowedActions, applyAction, checkAction, reportIncident, type ActionCommand } from '#domain/lifecycle.js';
import { contribution, counted, counterWrites, resolvedOnTime } from '#domain/stats.js';
import { announced } from '../helpers/announced.js';

const county: County = CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' } }],
  towns: [
    { id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
      communities: [
        { id: 'heishui', name: 'Heishui', grids: [
          { id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader 9' } },
          { id: 'heishui-10', name: 'Grid 10', leader: { id: 'hs-10', name: 'Leader 10' } }] },
        { id: 'baiyang', name: 'Baiyang', grids: [{ id: 'baiyang-01', name: 'Grid 1', leader: { id: 'by-01', name: 'Leader B' } }] },
      ] },
    { id: 'caijiagou', name: 'Caijiagou', supervisors: [{ id: 'cj-1', name: 'Town supervisor 2' }],
      communities: [{ id: 'cjg', name: 'Cjg', grids: [{ id: 'cjg-01', name: 'Grid 1', leader: { id: 'cj-01', name: 'Leader 1' } }] }] },
  ],
});
const fourLevels: County = CountySchema.parse({ ...county, ladder: ['grid', 'town', 'county', 'city'],
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT24H', town: 'PT48H', county: 'PT60H', city: 'PT72H' } }] });
const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };

const who = (role: Role, scope: string, sub = `${role}-${scope}`): Caller => ({ sub, name: 'N', role, scope });
const resident = who('reporter', 'shouyang', 'resident-1');
const leader = who('grid', 'heishui-09', 'hs-09');
const leader10 = who('grid', 'heishui-10', 'hs-10');
const town = who('town', 'pingtou', 'pt-1');
const otherTown = who('town', 'caijiagou', 'cj-1');
const countyRole = who('county', 'shouyang', 'cty-1');
const city = who('city', 'jinzhong', 'js-1');
const CALLERS = { resident, leader, leader10, town, otherTown, countyRole, city };

const H = 3_600_000;
const t0 = new Date('2025-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

const open = (c: County = county): Incident => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute', reporter: { name: 'Wang', phone: '138' } },
  resident, c, t0, 'inc-1',
);
const act = (inc: Incident, caller: Caller, cmd: ActionCommand, hours = 1, c: County = county) =>
  applyAction(inc, caller, cmd, at(hours), { ...ctx, county: c }).incident;
const statusOf = (fn: () => unknown): number | 'ok' => {
  try { fn(); return 'ok'; } catch (e) { if (e instanceof GridflowError) return e.status; throw e; }
};
const ask = (inc: Incident, caller: Caller = leader, extension: ActionCommand['extension'] = 'PT12H', hours = 1) =>
  act(inc, caller, { action: 'request-extension', note: 'Need the committee.', extension }, hours);

/** A valid body for each action (what the console would send). */
const BODY: Record<ActionName, ActionCommand> = {
  acknowledge: { action: 'acknowledge' }, comment: { action: 'comment', note: 'n' }, resolve: { action: 'resolve', note: 'n' },
  escalate: { action: 'escalate' }, verify: { action: 'verify' }, reopen: { action: 'reopen', note: 'n' }, reject: { action: 'reject', note: 'n' },
  'request-extension': { action: 'request-extension', note: 'n', extension: 'PT6H' }, 'approve-extension': { action: 'approve-extension' },
  'deny-extension': { action: 'deny-extension', note: 'n' }, return: { action: 'return', note: 'n' },
  reassign: { action: 'reassign', gridId: 'heishui-10' },
};

describe('allowedActions', () => {
  const returned = () => act(open(), leader, { action: 'return', note: 'Not ours.' });
  const states: Record<string, () => Incident> = {
    'open at grid': () => open(),
    'open at grid, acknowledged': () => act(open(), leader, { action: 'acknowledge' }),
    'extension pending at grid': () => ask(open()),
    'extension granted at grid': () => act(ask(open()), town, { action: 'approve-extension' }, 2),
    'escalated to town': () => act(open(), leader, { action: 'escalate' }),
    'returned to town': returned,
    'extension pending at town': () => ask(returned(), town),
    'at the top': () => act(act(open(), leader, { action: 'escalate' }), town, { action: 'escalate' }, 2),
    'resolved': () => act(open(), leader, { action: 'resolve', note: 'Fixed.' }),
    'closed': () => act(act(open(), leader, { action: 'resolve', note: 'Fixed.' }), resident, { action: 'verify' }, 2),
    'rejected': () => act(open(), leader, { action: 'reject', note: 'Spam.' }),
  };

  // The console shows exactly allowedActions: so it must be what applyAction accepts, no more, no less.
  test.each(Object.keys(states))('%s: lists exactly the actions applyAction accepts, for every caller', (state) => {
    for (const [name, caller] of Object.entries(CALLERS)) {
      const inc = states[state]!();
      const now = at(3);
      const accepted = ACTIONS.filter((a) => statusOf(() => applyAction(inc, caller, BODY[a], now, ctx)) === 'ok');
      expect([name, allowedActions(inc, caller, now, ctx)]).toEqual([name, accepted]);
    }
  });

  test('what a grid leader, its town and a resident may do with a fresh incident', () => {
    const inc = open();
    expect(allowedActions(inc, leader, at(1), ctx)).toEqual(['acknowledge', 'comment', 'resolve', 'escalate', 'reject', 'request-extension', 'return']);
    expect(allowedActions(inc, town, at(1), ctx)).toEqual(['acknowledge', 'comment', 'resolve', 'escalate', 'reject']);
    expect(allowedActions(inc, resident, at(1), ctx)).toEqual([]);
    expect(allowedActions(ask(inc), town, at(2), ctx)).toEqual(['acknowledge', 'comment', 'resolve', 'escalate', 'reject', 'approve-extension', 'deny-extension']);
  });

  test('follows the clock: once the deadline passed nobody asks for or decides an extension', () => {
    const pending = ask(open());
    expect(allowedActions(pending, town, at(23.9), ctx)).toContain('approve-extension');
    expect(allowedActions(pending, town, at(24), ctx)).not.toContain('approve-extension');
    expect(allowedActions(open(), leader, at(24), ctx)).not.toContain('request-extension');
    expect(checkAction(pending, town, 'approve-extension', at(24), ctx)?.status).toBe(409);
  });
});

describe('request-extension', () => {
  test('records the request on the incident and the timeline, and tells the level above', () => {
    const before = open();
    const after = ask(before, leader, 'PT12H');
    expect(after.pendingExtension).toEqual({ extension: 'PT12H', by: 'hs-09', at: at(1).toISOString(), note: 'Need the committee.' });
    expect(after.version).toBe(before.version + 1);
    expect(after.deadline).toBe(before.deadline);
    expect(after.timeline.at(-1)).toEqual({
      at: at(1).toISOString(), type: 'extension-requested', level: 'grid', actor: 'hs-09', note: 'Need the committee.', reason: null, extension: 'PT12H',
    });
    expect(announced(before, after)).toEqual([{ event: 'extension-requested', level: 'town', incidentId: 'inc-1', reason: null, at: at(1).toISOString() }]);
  });

  test.each([
    ['the town supervisor for a grid-level incident', () => open(), town, 403],
    ['the county role for a grid-level incident', () => open(), countyRole, 403],
    ['a reporter', () => open(), resident, 403],
    ['another grid leader', () => open(), leader10, 404],
    ['the top level (no one above)', () => act(act(open(), leader, { action: 'escalate' }), town, { action: 'escalate' }, 2), city, 409],
    ['a second request while one is pending', () => ask(open()), leader, 409],
    ['a request after one was granted at this level', () => act(ask(open()), town, { action: 'approve-extension' }, 2), leader, 409],
    ['a resolved incident', () => act(open(), leader, { action: 'resolve', note: 'Fixed.' }), leader, 409],
  ] as const)('refuses %s', (_label, make, caller, status) => {
    expect(statusOf(() => ask(make(), caller, 'PT6H', 3))).toBe(status);
  });

  test('refuses a request once the deadline has passed (the workflow is about to escalate)', () => {
    expect(statusOf(() => ask(open(), leader, 'PT6H', 24))).toBe(409);
  });

  test.each([
    ['zero', 'PT0S', 422],
    ['over P30D', 'P31D', 422],
    ['working time in a county without a calendar', { working: 'PT4H' }, 422],
    ['working days in a county without a calendar', { workingDays: 2 }, 422],
  ] as const)('refuses an extension of %s', (_label, extension, status) => {
    expect(statusOf(() => ask(open(), leader, extension))).toBe(status);
  });

  test('a 422 extension wins over 404 and 403 (contract order), a missing note or extension is a 400', () => {
    expect(statusOf(() => ask(open(), leader10, 'P31D'))).toBe(422);
    expect(statusOf(() => ask(open(), town, 'P31D'))).toBe(422);
    expect(statusOf(() => act(open(), leader, { action: 'request-extension', extension: 'PT6H' }))).toBe(400);
    expect(statusOf(() => act(open(), leader, { action: 'request-extension', note: 'n' }))).toBe(400);
    expect(statusOf(() => act(open(), leader, { action: 'escalate', extension: 'PT6H' }))).toBe(400);
  });
});

describe('approve-extension and deny-extension', () => {
  test('approval moves the deadline later by the extension from the current deadline and tells the holder', () => {
    const pending = ask(open(), leader, 'PT12H');
    const approved = act(pending, town, { action: 'approve-extension', note: 'Fine.' }, 5);
    expect(approved).toMatchObject({ deadline: at(36).toISOString(), pendingExtension: null, version: pending.version + 1, level: 'grid' });
    expect(approved.timeline.at(-1)).toMatchObject({ type: 'extension-approved', level: 'grid', actor: 'pt-1', note: 'Fine.', extension: 'PT12H' });
    expect(announced(pending, approved)).toEqual([{ event: 'extension-approved', level: 'grid', incidentId: 'inc-1', reason: null, at: at(5).toISOString() }]);
  });

  test('the county role decides too; the city does not decide for a grid-level incident', () => {
    expect(act(ask(open()), countyRole, { action: 'approve-extension' }, 2).deadline).toBe(at(36).toISOString());
    expect(statusOf(() => act(ask(open()), city, { action: 'approve-extension' }, 2))).toBe(403);
    expect(statusOf(() => act(ask(open()), leader, { action: 'approve-extension' }, 2))).toBe(403);
    expect(statusOf(() => act(ask(open()), otherTown, { action: 'approve-extension' }, 2))).toBe(404);
  });

  test('in a four-level ladder the city decides for the county level, and the county role never decides its own request', () => {
    const c = fourLevels;
    let inc = open(c);
    inc = act(inc, leader, { action: 'escalate' }, 1, c);
    inc = act(inc, town, { action: 'escalate' }, 2, c);
    expect(inc.level).toBe('county');
    const pending = act(inc, countyRole, { action: 'request-extension', note: 'Need the bureau.', extension: 'P1D' }, 3, c);
    expect(statusOf(() => act(pending, countyRole, { action: 'approve-extension' }, 4, c))).toBe(403);
    expect(statusOf(() => act(pending, { ...countyRole, sub: 'cty-2' }, { action: 'approve-extension' }, 4, c))).toBe('ok');
    expect(act(pending, city, { action: 'approve-extension' }, 4, c).deadline).toBe(at(2 + 60 + 24).toISOString());
    expect(announced(inc, pending)).toMatchObject([{ event: 'extension-requested', level: 'city' }]);
  });

  test('denial keeps the deadline, needs a note and tells the holder', () => {
    const pending = ask(open());
    const denied = act(pending, town, { action: 'deny-extension', note: 'Do it today.' }, 2);
    expect(denied).toMatchObject({ deadline: pending.deadline, pendingExtension: null });
    expect(denied.timeline.at(-1)).toMatchObject({ type: 'extension-denied', actor: 'pt-1', note: 'Do it today.', extension: 'PT12H' });
    expect(announced(pending, denied)).toMatchObject([{ event: 'extension-denied', level: 'grid' }]);
    expect(statusOf(() => act(pending, town, { action: 'deny-extension' }, 2))).toBe(400);
    // After a denial the holder may ask again: only a granted extension uses up the level's allowance.
    expect(statusOf(() => ask(denied, leader, 'PT6H', 3))).toBe('ok');
  });

  test('deciding with nothing pending, or twice, is a 409', () => {
    expect(statusOf(() => act(open(), town, { action: 'approve-extension' }, 2))).toBe(409);
    const approved = act(ask(open()), town, { action: 'approve-extension' }, 2);
    expect(statusOf(() => act(approved, town, { action: 'deny-extension', note: 'No.' }, 3))).toBe(409);
  });

  test('an 80 % reminder not yet sent moves to 80 % of the way to the new deadline; one already sent is not repeated', () => {
    const approved = act(ask(open(), leader, 'PT16H'), town, { action: 'approve-extension' }, 2); // deadline 40 h
    const early = advance(approved, 'grid', at(19.2), null);
    expect(early.changed).toBe(false);
    expect(early.step.waitSeconds).toBe((32 - 19.2) * 3600);
    const reminded = advance(approved, 'grid', at(32), null);
    expect(reminded.incident.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'approaching' });

    const remindedFirst = advance(ask(open(), leader, 'PT16H', 1), 'grid', at(19.2), null).incident;
    expect(remindedFirst.workflow.approachingReminded).toBe(true);
    const later = act(remindedFirst, town, { action: 'approve-extension' }, 20);
    const step = advance(later, 'grid', at(32), null);
    expect(step.changed).toBe(false);
    expect(step.step.waitSeconds).toBe((40 - 32) * 3600);
  });

  test('the workflow escalates at the extended deadline, not the original one', () => {
    const approved = act(ask(open(), leader, 'PT12H'), town, { action: 'approve-extension' }, 2);
    expect(advance({ ...approved, workflow: { ...approved.workflow, approachingReminded: true } }, 'grid', at(24), null).changed).toBe(false);
    expect(advance(approved, 'grid', at(36), null).incident.level).toBe('town');
  });

  test('one granted extension per stay at a level: arriving at the next level starts afresh', () => {
    const approved = act(ask(open()), town, { action: 'approve-extension' }, 2);
    const atTown = act(approved, leader, { action: 'escalate' }, 3);
    expect(statusOf(() => ask(atTown, town, 'P1D', 4))).toBe('ok');
  });
});

describe('the lapse rule: any change of level or status closes a pending request in the same version', () => {
  test.each([
    ['a manual escalation', (p: Incident) => act(p, leader, { action: 'escalate' }, 2), 'escalated'],
    ['a resolution', (p: Incident) => act(p, leader, { action: 'resolve', note: 'Fixed.' }, 2), 'resolved'],
    ['a rejection', (p: Incident) => act(p, town, { action: 'reject', note: 'Spam.' }, 2), 'rejected'],
    ['a return', (p: Incident) => act(p, leader, { action: 'return', note: 'Not ours.' }, 2), 'returned'],
    ['the deadline passing', (p: Incident) => advance({ ...p, workflow: { ...p.workflow, approachingReminded: true } }, 'grid', at(24), null).incident, 'escalated'],
  ] as const)('%s', (_label, change, type) => {
    const pending = ask(open());
    const after = change(pending);
    expect(after.version).toBe(pending.version + 1);
    expect(after.pendingExtension).toBeNull();
    expect(after.timeline.slice(-2).map((e) => [e.type, e.level, e.actor])).toEqual([
      ['extension-lapsed', 'grid', null], [type, after.timeline.at(-1)!.level, after.timeline.at(-1)!.actor],
    ]);
    expect(after.timeline.at(-2)).toMatchObject({ extension: 'PT12H', at: after.timeline.at(-1)!.at });
    // The lapse itself is not announced; deciding afterwards is a 409 (or a 403 for a town once the incident left it).
    expect(announced(pending, after).map((n) => n.event)).not.toContain('extension-lapsed');
    if (after.status === 'open' && after.level === 'town') expect(statusOf(() => act(after, countyRole, { action: 'approve-extension' }, 3))).toBe(409);
  });

  test('also at the top: the deadline passing marks it overdue and closes a pending request', () => {
    const atTop = act(act(open(), leader, { action: 'escalate' }), town, { action: 'escalate' }, 2);
    // Nobody may ask at the top; a request still pending from a county file change is closed all the same.
    const pending: Incident = { ...atTop, pendingExtension: { extension: 'PT1H', by: 'js-1', at: at(3).toISOString(), note: 'n' } };
    const after = advance({ ...pending, workflow: { ...pending.workflow, approachingReminded: true } }, 'city', at(2 + 72), null).incident;
    expect(after.timeline.slice(-2).map((e) => e.type)).toEqual(['extension-lapsed', 'overdue']);
    expect(after.pendingExtension).toBeNull();
  });

  test('a comment or an acknowledgement leaves the request pending', () => {
    const pending = ask(open());
    expect(act(pending, town, { action: 'comment', note: 'Looking.' }, 2).pendingExtension).not.toBeNull();
    expect(act(pending, town, { action: 'acknowledge' }, 2).pendingExtension).not.toBeNull();
  });
});

describe('return and reassign', () => {
  const returned = (hours = 2) => act(open(), leader, { action: 'return', note: 'Not in my grid.' }, hours);

  test('return: the grid leader sends it to its town with the town deadline from now; the town is told', () => {
    const before = open();
    const after = returned(2);
    expect(after).toMatchObject({ level: 'town', status: 'open', gridId: 'heishui-09', deadline: at(2 + 48).toISOString(), acknowledgedBy: null });
    expect(after.timeline.at(-1)).toMatchObject({ type: 'returned', level: 'town', actor: 'hs-09', note: 'Not in my grid.', fromGridId: 'heishui-09' });
    expect(after.workflow).toMatchObject({ levelEnteredAt: at(2).toISOString(), approachingReminded: false });
    expect(announced(before, after)).toEqual([{ event: 'returned', level: 'town', incidentId: 'inc-1', reason: null, at: at(2).toISOString() }]);
  });

  test('return belongs to the grid leader holding it at grid level, with a note', () => {
    expect(statusOf(() => act(open(), town, { action: 'return', note: 'n' }))).toBe(403);
    expect(statusOf(() => act(open(), countyRole, { action: 'return', note: 'n' }))).toBe(403);
    expect(statusOf(() => act(act(open(), leader, { action: 'escalate' }), leader, { action: 'return', note: 'n' }, 2))).toBe(403);
    expect(statusOf(() => act(open(), leader, { action: 'return' }))).toBe(400);
  });

  test('reassign: the incident moves to a grid of the same town at grid level with a fresh deadline; the new leader is told', () => {
    const back = returned(2);
    const moved = act(back, town, { action: 'reassign', gridId: 'baiyang-01', note: 'Yours.' }, 3);
    expect(moved).toMatchObject({ level: 'grid', gridId: 'baiyang-01', communityId: 'baiyang', townId: 'pingtou', deadline: at(3 + 24).toISOString() });
    expect(moved.timeline.at(-1)).toMatchObject({ type: 'reassigned', level: 'grid', actor: 'pt-1', note: 'Yours.', fromGridId: 'heishui-09' });
    expect(announced(back, moved)).toEqual([{ event: 'reassigned', level: 'grid', incidentId: 'inc-1', reason: null, at: at(3).toISOString() }]);
    // Same id and timeline; the old grid leader no longer reads it, the new one does.
    expect(moved.id).toBe('inc-1');
    expect(moved.timeline.slice(0, back.timeline.length)).toEqual(back.timeline);
    expect(checkAction(moved, leader, 'comment', at(4), ctx)?.status).toBe(404);
    expect(checkAction(moved, who('grid', 'baiyang-01', 'by-01'), 'resolve', at(4), ctx)).toBeNull();
    // The new grid leader may return it again.
    expect(statusOf(() => act(moved, who('grid', 'baiyang-01', 'by-01'), { action: 'return', note: 'Not mine either.' }, 4))).toBe('ok');
  });

  test('reassign to the grid that returned it, by the county role', () => {
    expect(act(returned(), countyRole, { action: 'reassign', gridId: 'heishui-09' }, 3)).toMatchObject({ level: 'grid', gridId: 'heishui-09' });
  });

  test('reassign needs a return as the last arrival at town; the grid must be of the same town and known', () => {
    const escalated = act(open(), leader, { action: 'escalate' });
    expect(statusOf(() => act(escalated, town, { action: 'reassign', gridId: 'heishui-10' }, 2))).toBe(409);
    expect(statusOf(() => act(open(), town, { action: 'reassign', gridId: 'heishui-10' }, 2))).toBe(409);
    expect(statusOf(() => act(returned(), town, { action: 'reassign', gridId: 'cjg-01' }, 3))).toBe(422);
    expect(statusOf(() => act(returned(), town, { action: 'reassign', gridId: 'nowhere' }, 3))).toBe(422);
    expect(statusOf(() => act(returned(), leader, { action: 'reassign', gridId: 'heishui-10' }, 3))).toBe(403);
    expect(statusOf(() => act(returned(), city, { action: 'reassign', gridId: 'heishui-10' }, 3))).toBe(403);
    expect(statusOf(() => act(returned(), otherTown, { action: 'reassign', gridId: 'heishui-10' }, 3))).toBe(404);
    expect(statusOf(() => act(returned(), town, { action: 'reassign' }, 3))).toBe(400);
    // A returned incident the town escalated onwards and the city sent back is no longer "after a return".
    const onwards = act(returned(), town, { action: 'escalate' }, 3);
    expect(statusOf(() => act(onwards, countyRole, { action: 'reassign', gridId: 'heishui-10' }, 4))).toBe(409);
  });

  test('stats: a returned and reassigned incident counts once, under its current grid, resolved at the level that resolved it', () => {
    const back = returned(2);
    const moved = act(back, town, { action: 'reassign', gridId: 'heishui-10' }, 3);
    expect(contribution(moved)).toEqual(contribution(open()));
    const writes = counterWrites(counted(back, 'Asia/Shanghai'), moved, 'Asia/Shanghai');
    expect(writes.flatMap((w) => (w.cell.kind === 'cohort' && w.cell.bucket === 'ALL' ? [[w.cell.gridId, w.add.total]] : [])))
      .toEqual([['heishui-09', -1], ['heishui-10', 1]]);
    const done = act(moved, leader10, { action: 'resolve', note: 'Fixed.' }, 4);
    expect(contribution(done)).toMatchObject({ total: 1, 'resolvedAt#grid': 1, resolvedOnTime: 1 });
  });

  test('stats: on time compares with the deadline in force when resolved, an approved extension included', () => {
    const extended = act(ask(open(), leader, 'PT12H'), town, { action: 'approve-extension' }, 2); // 24 h -> 36 h
    expect(resolvedOnTime(act(extended, leader, { action: 'resolve', note: 'Fixed.' }, 30))).toBe(true);
    expect(resolvedOnTime(act(open(), leader, { action: 'resolve', note: 'Fixed.' }, 23))).toBe(true);
    // Resolved after the extended deadline, before the workflow got round to escalating: late.
    expect(resolvedOnTime(act(extended, leader, { action: 'resolve', note: 'Fixed.' }, 36.5))).toBe(false);
  });
});
