/**
 * The outbox's bookkeeping race: another run of the same incident's workflow (a duplicate, or a resumed one)
 * moves the mark between our read and our write. Counting must then go on from what that run recorded, never
 * count an event twice, and stop when that run already counted what we saw.
 */
import { jest } from '@jest/globals';
import type { Incident } from '#domain/incident.js';
import { reportIncident } from '#domain/lifecycle.js';
import { counted, counterWrites, type CellWrite } from '#domain/stats.js';
import { countedOf, type Bookkeeping } from '#storage/incident-item.js';
import type { Progress } from '#storage/incident-repository.js';
import { domainCounty } from '../helpers/domain-county.js';

const county = domainCounty();
const TZ = county.timeZone;
let stored: Bookkeeping = { taskToken: null, through: 0, counted: null };
const applied: CellWrite[][] = [];
/** Runs before our write lands: what another run does meanwhile. */
let interleave: (() => void) | undefined;
const repo = {
  advanceProgress: async (_id: string, p: Progress, alongside: readonly CellWrite[]) => {
    interleave?.();
    interleave = undefined;
    if (stored.through !== p.from) return false;
    stored = { ...stored, through: p.through, counted: p.counted };
    applied.push([...alongside]);
    return true;
  },
  readBookkeeping: async () => stored,
};
jest.unstable_mockModule('#commons/stores.js', () => ({ incidents: () => repo, stats: () => ({ updates: (w: CellWrite[]) => w }) }));
jest.unstable_mockModule('#commons/county.js', () => ({ currentCounty: () => ({ county }) }));
const published: number[] = [];
jest.unstable_mockModule('../../functions/workflow/publish.js', () => ({
  publishPending: async (i: Incident) => { published.push(i.workflow.notifiedThrough); return 0; },
}));
const { settle } = await import('#workflow/outbox.js');

const t0 = new Date('2025-03-01T08:30:00.000Z');
const report = (): Incident => reportIncident({ category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute' },
  { sub: 'r', name: 'R', role: 'reporter', scope: county.id }, county, t0, 'inc-1');
const escalated = (i: Incident): Incident => ({
  ...i, level: 'town', version: i.version + 1,
  timeline: [...i.timeline, { at: '2025-03-02T08:30:00.000Z', type: 'escalated', level: 'town', actor: null, note: null, reason: 'deadline' }],
});
beforeEach(() => { stored = { taskToken: null, through: 0, counted: null }; applied.length = 0; published.length = 0; });

test('publishes from the mark, then counts and moves the mark in one write', async () => {
  const incident = report();
  await settle(incident, stored);
  expect(published).toEqual([0]);
  expect(applied).toEqual([counterWrites(null, incident, TZ)]);
  expect(stored).toMatchObject({ through: 2, counted: { place: counted(incident, TZ).place } });
  await settle(incident, stored); // nothing past the mark
  expect(applied).toHaveLength(1);
});

test('another run counted an earlier version meanwhile: go on from what it recorded', async () => {
  const first = report();
  const later = escalated(first);
  const before = stored;
  interleave = () => { stored = { ...stored, through: 2, counted: counted(first, TZ) }; };
  await settle(later, before);
  // Only the escalation is left to count: the other run's additions plus ours equal counting `later` once.
  expect(applied).toEqual([counterWrites(countedOf({ ...stored, through: 2, counted: counted(first, TZ) }), later, TZ)]);
  expect(applied[0]!.map((w) => w.cell.kind)).toEqual(['series']);
  expect(stored.through).toBe(3);
});

test('another run counted a later version meanwhile: nothing more to do', async () => {
  const first = report();
  const later = escalated(first);
  interleave = () => { stored = { ...stored, through: 3, counted: counted(later, TZ) }; };
  await settle(first, stored);
  expect(applied).toEqual([]);
  expect(stored.through).toBe(3);
});
