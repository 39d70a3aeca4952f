import type { County } from '#config/county-schema.js';
import { domainCounty } from '../helpers/domain-county.js';
import { GridflowError } from '#domain/errors.js';
import type { Caller, Role } from '#domain/incident.js';
import { reportIncident, type ReportInput } from '#domain/lifecycle.js';
import { pendingNotifications } from '#domain/notifications.js';

const county = (): County => domainCounty();

const who = (role: Role, scope: string, sub = `${role}-${scope}`): Caller => ({ sub, name: 'N', role, scope });
const now = new Date('2025-03-01T08:00:00.000Z');
const body = (over: Partial<ReportInput> = {}): ReportInput => ({
  category: 'conflict', gridId: 'cjg-01', title: 'Wall dispute', description: 'Neighbours argue about a wall.', ...over,
});
const resident = who('reporter', 'shouyang', 'resident-1');

function caught(fn: () => unknown): GridflowError {
  try { fn(); } catch (e) { if (e instanceof GridflowError) return e; throw e; }
  throw new Error('expected a GridflowError');
}

describe('reportIncident', () => {
  it('creates an open incident at the grid with its deadline, timeline and workflow state', () => {
    const inc = reportIncident(body({
      location: { lat: 37.9, lng: 113.2, address: 'Lane 3' }, reporter: { name: 'Wang', phone: '13800000000' },
      occurredAt: '2025-03-01T15:00:00+08:00',
    }), resident, county(), now, 'inc-1');
    expect(inc).toMatchObject({
      id: 'inc-1', countyId: 'shouyang', category: 'conflict', gridId: 'cjg-01', communityId: 'cjg', townId: 'caijiagou',
      title: 'Wall dispute', location: { lat: 37.9, lng: 113.2, address: 'Lane 3' }, reporter: { name: 'Wang', phone: '13800000000' },
      reportedBy: 'resident-1', occurredAt: '2025-03-01T07:00:00.000Z', status: 'open', level: 'grid',
      deadline: '2025-03-02T08:00:00.000Z', overdue: false, acknowledgedBy: null, resolution: null, resolvedOnSpot: false,
      createdAt: now.toISOString(), updatedAt: now.toISOString(), version: 1,
    });
    expect(inc.timeline).toEqual([
      { at: now.toISOString(), type: 'reported', level: 'grid', actor: 'resident-1', note: null, reason: null },
      { at: now.toISOString(), type: 'assigned', level: 'grid', actor: null, note: null, reason: null, deadline: inc.deadline },
    ]);
    expect(inc.workflow).toEqual({
      levelEnteredAt: now.toISOString(), approachingReminded: false, overdueReminders: 0, overdueReminderDue: null, verificationDue: null, taskToken: null, executionName: null, notifiedThrough: 0,
    });
    expect(inc.policy).toEqual({ deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] });
  });

  it('leaves optional parts null when absent', () => {
    const inc = reportIncident(body(), resident, county(), now, 'inc-2');
    expect(inc.location).toBeNull();
    expect(inc.reporter).toBeNull();
    expect(inc.occurredAt).toBeNull();
  });

  it('freezes the policy: editing the county afterwards changes no incident', () => {
    const c = county();
    const inc = reportIncident(body(), resident, c, now, 'inc-3');
    const cat = c.categories[0];
    if (!cat) throw new Error('fixture');
    cat.deadlines.grid = 'PT1H';
    c.ladder.splice(1, 1);
    expect(inc.policy.deadlines.grid).toBe('PT24H');
    expect(inc.policy.ladder).toEqual(['grid', 'town', 'city']);
  });

  it('lets a grid leader report in its own grid', () => {
    const inc = reportIncident(body({ gridId: 'heishui-09' }), who('grid', 'heishui-09', 'hs-09'), county(), now, 'inc-4');
    expect(inc).toMatchObject({ townId: 'pingtou', communityId: 'heishui', reportedBy: 'hs-09' });
  });

  it('answers 422 with the path of an unknown grid or category (both when both are unknown)', () => {
    expect(caught(() => reportIncident(body({ gridId: 'nowhere' }), resident, county(), now, 'x'))).toMatchObject({ status: 422, errors: [{ path: 'gridId' }] });
    expect(caught(() => reportIncident(body({ category: 'nope' }), resident, county(), now, 'x'))).toMatchObject({ status: 422, errors: [{ path: 'category' }] });
    const both = caught(() => reportIncident(body({ gridId: 'nowhere', category: 'nope' }), resident, county(), now, 'x'));
    expect(both.errors?.map((e) => e.path)).toEqual(['gridId', 'category']);
  });

  it('checks the grid and category (422) before the right to report (403)', () => {
    expect(caught(() => reportIncident(body({ gridId: 'nowhere' }), who('town', 'pingtou'), county(), now, 'x')).status).toBe(422);
  });

  it.each([
    ['a grid leader outside its grid', who('grid', 'heishui-09')],
    ['a reporter of another county', who('reporter', 'yuci')],
    ['a town supervisor', who('town', 'caijiagou')],
    ['the county', who('county', 'shouyang')],
    ['the city', who('city', 'jinzhong')],
  ])('forbids %s to report (403)', (_label, caller) => {
    expect(caught(() => reportIncident(body(), caller, county(), now, 'x')).status).toBe(403);
  });

  it('creates a resolved-on-the-spot incident at the grid with its verification due', () => {
    const leader = who('grid', 'cjg-01', 'cj-01');
    const inc = reportIncident(body({ resolvedOnSpot: { note: 'Talked it through.' } }), leader, county(), now, 'inc-5');
    expect(inc).toMatchObject({
      status: 'resolved', level: 'grid', deadline: null, resolvedOnSpot: true, version: 1,
      resolution: { note: 'Talked it through.', by: 'cj-01', level: 'grid', at: now.toISOString() },
    });
    expect(inc.timeline.map((e) => e.type)).toEqual(['reported', 'assigned', 'resolved']);
    expect(inc.timeline[2]).toMatchObject({ actor: 'cj-01', note: 'Talked it through.', level: 'grid' });
    expect(inc.workflow.verificationDue).toBe('2025-03-04T08:00:00.000Z');
  });

  it('refuses resolvedOnSpot from a resident (403) and a blank note (400)', () => {
    expect(caught(() => reportIncident(body({ resolvedOnSpot: { note: 'done' } }), resident, county(), now, 'x')).status).toBe(403);
    expect(caught(() => reportIncident(body({ resolvedOnSpot: { note: '  ' } }), who('grid', 'cjg-01'), county(), now, 'x')))
      .toMatchObject({ status: 400, errors: [{ path: 'resolvedOnSpot.note' }] });
  });

  it('owes one assigned notification, to the first level, with the grid deadline', () => {
    const inc = reportIncident(body({ reporter: { name: 'Wang', phone: '13800000000' } }), resident, county(), now, 'inc-6');
    expect(pendingNotifications(inc).map((n) => [n.id, n.event, n.level, n.deadline])).toEqual([
      ['inc-6:1:grid', 'assigned', 'grid', new Date(now.getTime() + 24 * 3600_000).toISOString()],
    ]);
  });
});
