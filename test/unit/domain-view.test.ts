import { domainCounty } from '../helpers/domain-county.js';
import type { Caller, Role } from '#domain/incident.js';
import { applyAction, reportIncident } from '#domain/lifecycle.js';
import { toIncidentView } from '#domain/view.js';

const county = domainCounty();
const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };

const who = (role: Role, scope: string, sub = `${role}-${scope}`): Caller => ({ sub, name: 'N', role, scope });
const resident = who('reporter', 'shouyang', 'resident-1');
const t0 = new Date('2025-03-01T00:00:00.000Z');
const report = (reporter: { name?: string; phone?: string } | null = { name: 'Wang', phone: '13800000000' }) => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute', location: { lat: 37.9, lng: 113.2 }, reporter },
  resident, county, t0, 'inc-1',
);

const KEYS = [
  'id', 'countyId', 'category', 'title', 'description', 'gridId', 'communityId', 'townId', 'location', 'reporter',
  'occurredAt', 'status', 'level', 'deadline', 'overdue', 'acknowledgedBy', 'pendingExtension', 'resolution', 'resolvedOnSpot',
  'createdAt', 'updatedAt', 'version', 'timeline', 'allowedActions',
];

describe('toIncidentView', () => {
  it('has exactly the fields of the contract, never policy, workflow or reportedBy', () => {
    const inc = { ...report(), workflow: { ...report().workflow, taskToken: 'secret-token' } };
    const view = toIncidentView(inc, resident, t0, ctx);
    expect(Object.keys(view)).toEqual(KEYS);
    expect(JSON.stringify(view)).not.toMatch(/secret-token|PT24H|reportedBy|levelEnteredAt/);
    expect(view).toMatchObject({
      id: 'inc-1', status: 'open', level: 'grid', deadline: '2025-03-02T00:00:00.000Z', version: 1,
      location: { lat: 37.9, lng: 113.2 }, resolution: null, overdue: false, resolvedOnSpot: false,
    });
    // The deadline each event set is the record's own: the API shows the current one only.
    expect(view.timeline).toEqual(inc.timeline.map(({ deadline: _set, ...shown }) => shown));
    expect(view.allowedActions).toEqual([]);
  });

  it.each([
    ['the reporter itself', resident, true],
    ['the grid leader of its grid', who('grid', 'heishui-09'), true],
    ['the county', who('county', 'shouyang'), true],
    ['the town', who('town', 'pingtou'), false],
    ['the city', who('city', 'jinzhong'), false],
  ])('shows the phone to %s: %s', (_label, caller, shown) => {
    const view = toIncidentView(report(), caller, t0, ctx);
    expect(view.reporter?.name).toBe('Wang');
    if (shown) expect(view.reporter?.phone).toBe('13800000000');
    else {
      expect(view.reporter).not.toHaveProperty('phone');
      expect(JSON.stringify(view)).not.toContain('13800000000');
    }
  });

  it('gives null for an anonymous report', () => {
    expect(toIncidentView(report(null), resident, t0, ctx).reporter).toBeNull();
  });

  it('copies: changing the view does not change the record', () => {
    const inc = applyAction(report(), who('grid', 'heishui-09'), { action: 'resolve', note: 'Fixed.' }, t0, ctx).incident;
    const view = toIncidentView(inc, resident, t0, ctx);
    expect(view.resolution).toEqual(inc.resolution);
    if (view.resolution) view.resolution.note = 'changed';
    view.timeline.push({ ...view.timeline[0]!, type: 'commented' });
    if (view.location) view.location.lat = 0;
    expect(inc.resolution?.note).toBe('Fixed.');
    expect(inc.timeline).toHaveLength(3);
    expect(inc.location?.lat).toBe(37.9);
  });
});
