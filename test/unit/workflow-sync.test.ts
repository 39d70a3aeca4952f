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

const county = CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT10S', town: 'PT10S', city: 'PT10S' } }],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});
const t0 = new Date('2025-03-01T00:00:00.000Z');

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
