import { countyIndex } from '#config/county-index.js';
import type { Caller, Role } from '#domain/incident.js';
import { planList } from '#api/list-plan.js';
import type { ListQuery } from '#api/schemas.js';
import { cursorBinding } from '#storage/cursor.js';
import { domainCounty } from '../helpers/domain-county.js';

const index = countyIndex(domainCounty());
const ctx = { countyId: 'shouyang', cityId: 'jinzhong' };
const who = (role: Role, scope: string): Caller => ({ sub: `${role}-${scope}`, name: 'N', role, scope });
const q = (over: Partial<ListQuery>): ListQuery => ({ limit: 20, ...over });

describe('planList: the grid-and-category index', () => {
  it.each<[string, Caller, Partial<ListQuery>]>([
    ['a grid leader (own grid implied)', who('grid', 'heishui-09'), { category: 'conflict' }],
    ['a grid leader naming the grid', who('grid', 'heishui-09'), { gridId: 'heishui-09', category: 'conflict' }],
    ['a town supervisor, one of its grids', who('town', 'pingtou'), { gridId: 'heishui-09', category: 'conflict' }],
    ['the county, with a non-open status, level and overdue', who('county', 'shouyang'), { gridId: 'heishui-09', category: 'conflict', status: 'closed', level: 'town', overdue: false }],
    ['the city, with the town named too', who('city', 'jinzhong'), { townId: 'pingtou', gridId: 'heishui-09', category: 'conflict' }],
  ])('names it as the narrower index for %s, keeping the list\'s own index, order and filters', (_name, caller, query) => {
    const plan = planList(caller, q(query), index, ctx)!;
    expect(plan).toMatchObject({ index: 'gridAll', partition: 'heishui-09', ascending: false });
    expect(plan.narrower).toEqual({ index: 'gridCategory', partition: 'heishui-09#conflict' });
    // Every filter still applies to the items read (the repository drops those the partition already implies).
    expect(plan.filters.category).toBe('conflict');
    // The cursor is bound to the list, not to the index that answers it: a cursor issued before the backfill
    // completed resumes the same list after it (both indexes sort by `<createdAt>#<id>`).
    const { narrower: _n, ...withoutNarrower } = plan;
    expect(cursorBinding(plan)).toBe(cursorBinding(withoutNarrower));
  });

  it.each<[string, Caller, Partial<ListQuery>]>([
    ['open incidents (soonest deadline first: another order)', who('town', 'pingtou'), { gridId: 'heishui-09', category: 'conflict', status: 'open' }],
    ['no category', who('town', 'pingtou'), { gridId: 'heishui-09', status: 'closed' }],
    ['a town\'s list of one category', who('town', 'pingtou'), { category: 'conflict' }],
    ['the county\'s list of one category', who('county', 'shouyang'), { category: 'conflict' }],
    ['a reporter\'s own of one category', who('reporter', 'shouyang'), { category: 'conflict' }],
  ])('does not name it for %s', (_name, caller, query) => {
    const plan = planList(caller, q(query), index, ctx)!;
    expect(plan).not.toBeNull();
    expect(plan.narrower).toBeUndefined();
  });

  it('plans nothing for a grid outside the caller\'s town, category or not', () => {
    expect(planList(who('town', 'caijiagou'), q({ gridId: 'heishui-09', category: 'conflict' }), index, ctx)).toBeNull();
  });
});
