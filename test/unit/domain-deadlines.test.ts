import { CountySchema } from '#config/county-schema.js';
import { deadlineAt, freezePolicy, reminderAt, verificationDueAt } from '#domain/deadlines.js';
import { GridflowError } from '#domain/errors.js';
import type { FrozenPolicy } from '#domain/incident.js';

const county = () => CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [
    { id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT24H', town: 'PT48H', county: 'PT60H', city: 'PT72H' } },
    { id: 'fast', name: 'Fast', deadlines: { grid: 'PT30S', town: 'PT1M', city: 'PT90S' } },
  ],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});

const policy: FrozenPolicy = { deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] };
const t0 = new Date('2025-03-01T00:00:00.000Z');
const h = 3_600_000;

describe('deadlines', () => {
  it('runs a level deadline from when the incident entered the level', () => {
    expect(deadlineAt(policy, 'grid', t0).toISOString()).toBe('2025-03-02T00:00:00.000Z');
    expect(deadlineAt(policy, 'town', t0).getTime()).toBe(t0.getTime() + 48 * h);
  });

  it('puts the reminder at 80 % of the level duration', () => {
    expect(reminderAt(policy, 'grid', t0, deadlineAt(policy, 'grid', t0)).getTime()).toBe(t0.getTime() + 19.2 * h);
    expect(reminderAt(policy, 'city', t0, deadlineAt(policy, 'city', t0)).getTime()).toBe(t0.getTime() + 57.6 * h);
    const short: FrozenPolicy = { ...policy, deadlines: { grid: 'PT30S' } };
    expect(reminderAt(short, 'grid', t0, deadlineAt(short, 'grid', t0)).getTime()).toBe(t0.getTime() + 24_000);
  });

  it('refuses a level without a frozen deadline', () => {
    expect(() => deadlineAt(policy, 'county', t0)).toThrow(/no deadline/);
  });

  it('computes the verification due time from the window', () => {
    expect(verificationDueAt(policy, t0).toISOString()).toBe('2025-03-04T00:00:00.000Z');
  });

  it('freezes the category deadlines of the ladder levels only, plus window and ladder', () => {
    expect(freezePolicy(county(), 'conflict')).toEqual({
      deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'],
    });
  });

  it('shares nothing with the county: editing the county later changes no frozen policy', () => {
    const c = county();
    const frozen = freezePolicy(c, 'conflict');
    c.ladder.push('county');
    c.verificationWindow = 'P9D';
    const cat = c.categories[0];
    if (!cat) throw new Error('fixture');
    cat.deadlines.grid = 'PT1H';
    expect(frozen).toEqual({ deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] });
  });

  it('answers 422 for an unknown category', () => {
    let error: unknown;
    try { freezePolicy(county(), 'nope'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(GridflowError);
    expect((error as GridflowError).status).toBe(422);
    expect((error as GridflowError).errors?.map((e) => e.path)).toEqual(['category']);
  });
});
