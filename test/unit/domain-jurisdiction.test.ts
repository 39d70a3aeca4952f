import { GridflowError } from '#domain/errors.js';
import type { Caller, Incident, Role } from '#domain/incident.js';
import { assertCanReport, canRead, canSeeReporterPhone, mayActAtLevel, mayVerify } from '#domain/jurisdiction.js';

const ctx = { countyId: 'shouyang', cityId: 'jinzhong' };
const who = (role: Role, scope: string, sub = `${role}-${scope}`): Caller => ({ sub, name: 'N', role, scope });

/** Only the fields jurisdiction looks at matter; the rest is a plausible record. */
const incident = (over: Partial<Incident> = {}): Incident => ({
  id: 'inc-1', countyId: 'shouyang', category: 'conflict', title: 'T', description: 'D',
  gridId: 'heishui-09', communityId: 'heishui', townId: 'pingtou', location: null,
  reporter: { name: 'Resident', phone: '13800000000' }, reportedBy: 'resident-1', occurredAt: null,
  status: 'open', level: 'grid', deadline: '2025-03-02T00:00:00.000Z', overdue: false, acknowledgedBy: null,
  resolution: null, resolvedOnSpot: false, createdAt: '2025-03-01T00:00:00.000Z', updatedAt: '2025-03-01T00:00:00.000Z',
  version: 1, timeline: [], policy: { deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] },
  workflow: { levelEnteredAt: '2025-03-01T00:00:00.000Z', approachingReminded: false, overdueReminders: 0, verificationDue: null, taskToken: null, executionName: null, notifiedThrough: 0 },
  ...over,
});

function statusOf(fn: () => void): number | 'ok' {
  try { fn(); return 'ok'; } catch (e) { if (e instanceof GridflowError) return e.status; throw e; }
}

describe('canRead', () => {
  const inc = incident();
  it.each([
    ['its reporter', who('reporter', 'shouyang', 'resident-1'), true],
    ['another reporter', who('reporter', 'shouyang', 'resident-2'), false],
    ['its reporter with a token of another county', who('reporter', 'yuci', 'resident-1'), false],
    ['the grid leader of its grid', who('grid', 'heishui-09'), true],
    ['another grid leader', who('grid', 'heishui-10'), false],
    ['a supervisor of its town', who('town', 'pingtou'), true],
    ['a supervisor of another town', who('town', 'caijiagou'), false],
    ['the county', who('county', 'shouyang'), true],
    ['another county', who('county', 'yuci'), false],
    ['the city of the county', who('city', 'jinzhong'), true],
    ['another city', who('city', 'taiyuan'), false],
    ['a grid token whose scope is a town id', who('grid', 'pingtou'), false],
  ])('%s: %s', (_label, caller, expected) => {
    expect(canRead(caller, inc, ctx)).toBe(expected);
  });

  it('never reads a record of another county in this deployment', () => {
    expect(canRead(who('county', 'shouyang'), incident({ countyId: 'yuci' }), ctx)).toBe(false);
    expect(canRead(who('city', 'jinzhong'), incident({ countyId: 'yuci' }), ctx)).toBe(false);
  });
});

describe('canSeeReporterPhone', () => {
  const inc = incident();
  it.each([
    ['the reporter itself', who('reporter', 'shouyang', 'resident-1'), true],
    ['another reporter', who('reporter', 'shouyang', 'resident-2'), false],
    ['the grid leader of its grid', who('grid', 'heishui-09'), true],
    ['another grid leader', who('grid', 'heishui-10'), false],
    ['the town', who('town', 'pingtou'), false],
    ['the county', who('county', 'shouyang'), true],
    ['the city', who('city', 'jinzhong'), false],
  ])('%s: %s', (_label, caller, expected) => {
    expect(canSeeReporterPhone(caller, inc)).toBe(expected);
  });
});

describe('assertCanReport', () => {
  it.each([
    ['a reporter of the county, any grid', who('reporter', 'shouyang'), 'cjg-01', 'ok'],
    ['a reporter of another county', who('reporter', 'yuci'), 'heishui-09', 403],
    ['a grid leader in its grid', who('grid', 'heishui-09'), 'heishui-09', 'ok'],
    ['a grid leader in another grid', who('grid', 'heishui-09'), 'heishui-10', 403],
    ['a town supervisor', who('town', 'pingtou'), 'heishui-09', 403],
    ['the county', who('county', 'shouyang'), 'heishui-09', 403],
    ['the city', who('city', 'jinzhong'), 'heishui-09', 403],
  ])('%s', (_label, caller, gridId, expected) => {
    expect(statusOf(() => assertCanReport(caller, gridId, ctx))).toBe(expected);
  });
});

describe('acting rights', () => {
  it('lets supervisors act at their level or below, county and city everywhere, reporters nowhere', () => {
    expect(mayActAtLevel('grid', 'grid')).toBe(true);
    expect(mayActAtLevel('grid', 'town')).toBe(false);
    expect(mayActAtLevel('town', 'grid')).toBe(true);
    expect(mayActAtLevel('town', 'town')).toBe(true);
    expect(mayActAtLevel('town', 'county')).toBe(false);
    expect(mayActAtLevel('town', 'city')).toBe(false);
    expect(mayActAtLevel('county', 'city')).toBe(true);
    expect(mayActAtLevel('city', 'grid')).toBe(true);
    expect(mayActAtLevel('reporter', 'grid')).toBe(false);
  });

  it('gives verification to the reporter, the grid leader of the grid and the county only', () => {
    const inc = incident();
    expect(mayVerify(who('reporter', 'shouyang', 'resident-1'), inc)).toBe(true);
    expect(mayVerify(who('grid', 'heishui-09'), inc)).toBe(true);
    expect(mayVerify(who('county', 'shouyang'), inc)).toBe(true);
    expect(mayVerify(who('town', 'pingtou'), inc)).toBe(false);
    expect(mayVerify(who('city', 'jinzhong'), inc)).toBe(false);
  });

  it("does not take the reporter's sub on a supervisor's or another grid's token for the reporter", () => {
    const inc = incident();
    expect(mayVerify(who('town', 'pingtou', 'resident-1'), inc)).toBe(false);
    expect(mayVerify(who('city', 'jinzhong', 'resident-1'), inc)).toBe(false);
    expect(mayVerify(who('grid', 'heishui-01', 'resident-1'), inc)).toBe(false);
    expect(mayVerify(who('reporter', 'yuci', 'resident-1'), inc)).toBe(false);
  });
});
