/**
 * The sync task's wait is measured from when its writes are done, which is when the stage's timer starts:
 * slow writes must not make the next step late (a deadline passing before its 80 % reminder fired).
 */
import { jest } from '@jest/globals';
import { CountySchema } from '#config/county-schema.js';
import type { Incident } from '#domain/incident.js';
import { reportIncident } from '#domain/lifecycle.js';

let writeMs = 0;
const store = {
  current: null as Incident | null,
  get: async () => store.current,
  save: async (next: Incident) => {
    jest.setSystemTime(Date.now() + writeMs); // the write takes this long
    store.current = next;
    return next;
  },
};
jest.unstable_mockModule('#commons/stores.js', () => ({ incidents: () => store }));
jest.unstable_mockModule('../../functions/workflow/publish.js', () => ({ publishPending: async () => 0 }));
const { handler } = await import('#workflow/sync.js');
const { useCounty } = await import('#commons/county.js');

const county = CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT10S', town: 'PT10S', city: 'PT10S' } }],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});
const t0 = new Date('2025-03-01T00:00:00.000Z');
beforeEach(() => { useCounty(county); });

afterEach(() => jest.useRealTimers());

test.each([
  [0, 2], // reminder at 8 s, deadline at 10 s: wait 2 s
  [1_500, 1], // the reminder's write took 1.5 s: 0.5 s are left, so wait 1 s, not 2 (which would be 1.5 s late)
])('the wait after the 80 %% reminder, when writing it took %i ms, is %i s', async (ms, seconds) => {
  writeMs = ms;
  store.current = reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' },
    { sub: 'r', name: 'R', role: 'reporter', scope: 'shouyang' }, county, t0, 'inc-1');
  jest.useFakeTimers({ now: t0.getTime() + 8_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  const step = await handler({ incidentId: 'inc-1', stage: 'grid' });
  expect(store.current!.timeline.at(-1)).toMatchObject({ type: 'reminded', reason: 'approaching' });
  expect(step).toEqual({ next: 'grid', waitSeconds: seconds, version: 2 });
});

test('in a county with a calendar the wait runs to the instant computed in working time', async () => {
  // Office hours 08:30-12:00 and 14:30-17:30 in Beijing; a 4-working-hour grid deadline reported on Friday
  // 2025-02-28 at 17:00: 0.5 h that day, the weekend off, 3.5 h on Monday. The 80 % reminder (3.2 h) is due on
  // Monday at 11:12 Beijing time (03:12 UTC).
  const office = CountySchema.parse({
    ...county, calendar: { workingHours: [['08:30', '12:00'], ['14:30', '17:30']] },
    categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: { working: 'PT4H' }, town: 'PT10S', city: 'PT10S' } }],
  });
  useCounty(office);
  writeMs = 0;
  const reportedAt = new Date('2025-02-28T09:00:00.000Z');
  store.current = reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' },
    { sub: 'r', name: 'R', role: 'reporter', scope: 'shouyang' }, office, reportedAt, 'inc-2');
  expect(store.current.deadline).toBe('2025-03-03T04:00:00.000Z');
  jest.useFakeTimers({ now: reportedAt.getTime(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  const step = await handler({ incidentId: 'inc-2', stage: 'grid' });
  expect(step).toEqual({ next: 'grid', waitSeconds: (Date.parse('2025-03-03T03:12:00.000Z') - reportedAt.getTime()) / 1000, version: 1 });
});
