import type { Incident, Status } from '#domain/incident.js';
import { fromItem, toItem } from '#storage/incident-item.js';
import { KEY_ATTRIBUTES } from '#storage/table-design.js';
import { testIncident } from '../helpers/dynamodb.js';

const OPEN_ATTRIBUTES = ['gsiGridOpen', 'gsiTownOpen', 'gsiCountyOpen', 'gsiReporterOpen', 'gsiDeadline'];
const ALL_ATTRIBUTES = ['gsiGrid', 'gsiTown', 'gsiCounty', 'gsiReporter', 'gsiCreated'];

describe('toItem', () => {
  it('keys the incident as INC#<id> / INCIDENT and keeps its own attributes', () => {
    const incident = testIncident({ id: 'inc-42' });
    const item = toItem(incident);
    expect(item.pk).toBe('INC#inc-42');
    expect(item.sk).toBe('INCIDENT');
    expect(item.title).toBe(incident.title);
    expect(item.workflow).toEqual(incident.workflow);
    expect(item.timeline).toEqual(incident.timeline);
  });

  it('puts an open incident in every open index, sorted by deadline then id', () => {
    const item = toItem(testIncident({ id: 'inc-1', gridId: 'g', townId: 't', countyId: 'c', reportedBy: 'r', deadline: '2025-03-02T00:00:00.000Z' }));
    expect(item).toMatchObject({
      gsiGridOpen: 'g', gsiTownOpen: 't', gsiCountyOpen: 'c', gsiReporterOpen: 'r',
      gsiDeadline: '2025-03-02T00:00:00.000Z#inc-1',
      gsiGrid: 'g', gsiTown: 't', gsiCounty: 'c', gsiReporter: 'r',
      gsiCreated: '2025-03-01T00:00:00.000Z#inc-1',
      gsiActive: 'c',
    });
  });

  it.each<[Status, boolean, boolean]>([
    ['open', true, true],
    ['resolved', false, true],
    ['closed', false, false],
    ['rejected', false, false],
  ])('status %s: open indexes %s, active index %s, all-status indexes always', (status, inOpen, inActive) => {
    const item = toItem(testIncident({ status, deadline: status === 'open' ? '2025-03-02T00:00:00.000Z' : null }));
    for (const a of OPEN_ATTRIBUTES) expect(a in item).toBe(inOpen);
    for (const a of ALL_ATTRIBUTES) expect(a in item).toBe(true);
    expect('gsiActive' in item).toBe(inActive);
  });

  it('keeps an open incident without a deadline in the open indexes, last', () => {
    const item = toItem(testIncident({ id: 'x', status: 'open', deadline: null }));
    expect(item.gsiDeadline).toBe('9999-12-31T23:59:59.999Z#x');
  });
});

describe('fromItem', () => {
  it('round-trips an incident and strips every key and index attribute', () => {
    const incident: Incident = testIncident();
    const back = fromItem(toItem(incident));
    expect(back).toEqual(incident);
    for (const a of KEY_ATTRIBUTES) expect(a in back).toBe(false);
  });

  it('refuses an item that is not an incident', () => {
    expect(() => fromItem({ pk: 'IDEM#a#b', sk: 'IDEM' })).toThrow(/Not an incident/);
  });
});
