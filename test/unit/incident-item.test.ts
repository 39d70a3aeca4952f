import type { Incident, Status } from '#domain/incident.js';
import { bookkeepingOf, fromItem, toItem } from '#storage/incident-item.js';
import { KEY_ATTRIBUTES } from '#storage/table-design.js';
import { testIncident } from '../helpers/dynamodb.js';

const OPEN_ATTRIBUTES = ['gsiGridOpen', 'gsiTownOpen', 'gsiCountyOpen', 'gsiReporterOpen', 'gsiDeadline'];
const ALL_ATTRIBUTES = ['gsiGrid', 'gsiTown', 'gsiCounty', 'gsiReporter', 'gsiGridCategory', 'gsiCreated'];

describe('toItem', () => {
  it('keys the incident as INC#<id> / INCIDENT and keeps its own attributes, not the workflow\'s bookkeeping', () => {
    const incident = testIncident({ id: 'inc-42' });
    const withBookkeeping = { ...incident, workflow: { ...incident.workflow, taskToken: 'token-1', notifiedThrough: 3, executionName: 'inc-42-2' } };
    const item = toItem(withBookkeeping);
    expect(item.pk).toBe('INC#inc-42');
    expect(item.sk).toBe('INCIDENT');
    expect(item.title).toBe(incident.title);
    expect(item.timeline).toEqual(incident.timeline);
    const { taskToken: _t, notifiedThrough: _n, ...kept } = withBookkeeping.workflow;
    // The run in charge stays on the incident (the reconciler's, rarely written); token and mark do not.
    expect(item.workflow).toEqual(kept);
  });

  it('puts an open incident in every open index, sorted by deadline then id', () => {
    const item = toItem(testIncident({ id: 'inc-1', gridId: 'g', townId: 't', countyId: 'c', reportedBy: 'r', category: 'k', deadline: '2025-03-02T00:00:00.000Z' }));
    expect(item).toMatchObject({
      gsiGridOpen: 'g', gsiTownOpen: 't', gsiCountyOpen: 'c', gsiReporterOpen: 'r',
      gsiDeadline: '2025-03-02T00:00:00.000Z#inc-1',
      gsiGrid: 'g', gsiTown: 't', gsiCounty: 'c', gsiReporter: 'r', gsiGridCategory: 'g#k',
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
  it('round-trips an incident with its bookkeeping item and strips every key and index attribute', () => {
    const incident: Incident = testIncident();
    const stored = { ...incident, workflow: { ...incident.workflow, taskToken: 'token-1', notifiedThrough: 2, executionName: `${incident.id}-1` } };
    const back = fromItem(toItem(stored), bookkeepingOf({ pk: `INC#${incident.id}`, sk: 'WORKFLOW', taskToken: 'token-1', through: 2 }));
    expect(back).toEqual(stored);
    for (const a of KEY_ATTRIBUTES) expect(a in back).toBe(false);
    // Without a bookkeeping item (a new incident): no token, nothing published yet.
    expect(fromItem(toItem(stored)).workflow).toMatchObject({ taskToken: null, notifiedThrough: 0, executionName: `${incident.id}-1` });
  });

  it('refuses an item that is not an incident', () => {
    expect(() => fromItem({ pk: 'IDEM#a#b', sk: 'IDEM' })).toThrow(/Not an incident/);
  });
});
