/**
 * Contract §2: a county file that changes under open incidents. Deadlines already set stay; an open incident at a
 * level the ladder lost moves to the nearest remaining level above (the top if none) with a fresh deadline and an
 * `escalated` event with reason `reconfigured`; an incident whose level remains only takes the new ladder.
 */
import { CountySchema, type County } from '#config/county-schema.js';
import type { Caller, Incident, Level } from '#domain/incident.js';
import { applyAction, reportIncident } from '#domain/lifecycle.js';
import { announcementsOf } from '#domain/notifications.js';
import { followLadder, levelOnLadder } from '#domain/reconfigure.js';

const countyWith = (ladder: Level[], deadlines: Record<string, string>): County => CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder, verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines }],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});
const four = countyWith(['grid', 'town', 'county', 'city'], { grid: 'PT24H', town: 'PT48H', county: 'PT60H', city: 'PT72H' });
const three = countyWith(['grid', 'town', 'city'], { grid: 'PT12H', town: 'PT12H', city: 'PT96H' });
const two = countyWith(['grid', 'town'], { grid: 'PT12H', town: 'PT36H' });
const resident: Caller = { sub: 'resident-1', name: 'R', role: 'reporter', scope: 'shouyang' };
const countyDesk: Caller = { sub: 'desk', name: 'D', role: 'county', scope: 'shouyang' };
const H = 3_600_000;
const t0 = new Date('2026-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

/** Reported under `four`, escalated by hand to `level`. */
function at4(level: Level): Incident {
  let incident = reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' }, resident, four, t0, 'inc-1');
  const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county: four };
  while (incident.level !== level) incident = applyAction(incident, countyDesk, { action: 'escalate' }, at(1), ctx).incident;
  return incident;
}

test('the nearest remaining level above, else the top', () => {
  expect(levelOnLadder(['grid', 'town', 'city'], 'county')).toBe('city');
  expect(levelOnLadder(['grid', 'town'], 'county')).toBe('town');
  expect(levelOnLadder(['grid', 'town'], 'city')).toBe('town');
  expect(levelOnLadder(['grid', 'city'], 'town')).toBe('city');
  expect(levelOnLadder(['grid', 'town', 'city'], 'town')).toBe('town');
});

test('at a level the ladder lost: escalated (reconfigured) to the nearest level above, with a fresh deadline, one version', () => {
  const before = at4('county');
  const { incident, changed } = followLadder(before, three, at(5), null);
  expect(changed).toBe(true);
  expect(incident).toMatchObject({ level: 'city', version: before.version + 1, deadline: at(5 + 72).toISOString() });
  expect(incident.timeline.at(-1)).toMatchObject({ type: 'escalated', level: 'city', reason: 'reconfigured', actor: null, at: at(5).toISOString() });
  expect(incident.policy.ladder).toEqual(['grid', 'town', 'city']);
  // Deadlines already frozen stay as they were (72 h at the city, not the new file's 96 h).
  expect(incident.policy.deadlines).toEqual({ grid: 'PT24H', town: 'PT48H', city: 'PT72H' });
  expect(incident.workflow).toMatchObject({ levelEnteredAt: at(5).toISOString(), approachingReminded: false, overdueReminders: 0 });
  // The removed level has nobody to tell; the level it reached is told, with its deadline.
  expect(announcementsOf(before, incident).map((n) => [n.event, n.level, n.deadline])).toEqual([['escalated', 'city', at(77).toISOString()]]);
});

test('above the new top: moved to the top', () => {
  const { incident } = followLadder(at4('city'), two, at(5), null);
  expect(incident).toMatchObject({ level: 'town', deadline: at(5 + 48).toISOString() });
  expect(incident.timeline.at(-1)).toMatchObject({ type: 'escalated', level: 'town', reason: 'reconfigured' });
});

test('at a level the ladder keeps: only the ladder changes, nothing a reader sees', () => {
  const before = at4('town');
  const { incident, changed } = followLadder(before, three, at(5), null);
  expect(changed).toBe(true);
  expect(incident.policy.ladder).toEqual(['grid', 'town', 'city']);
  expect({ ...incident, policy: before.policy }).toEqual(before);
  // So its next escalation goes where the county now says.
  const up = applyAction(incident, countyDesk, { action: 'escalate' }, at(6), { countyId: 'shouyang', cityId: 'jinzhong', county: three }).incident;
  expect(up.level).toBe('city');
});

test('same ladder, or not open: nothing to do', () => {
  const open = at4('town');
  expect(followLadder(open, four, at(5), null)).toEqual({ incident: open, changed: false });
  const resolved = applyAction(at4('county'), countyDesk, { action: 'resolve', note: 'done' }, at(2), { countyId: 'shouyang', cityId: 'jinzhong', county: four }).incident;
  expect(followLadder(resolved, three, at(5), null)).toEqual({ incident: resolved, changed: false });
});
