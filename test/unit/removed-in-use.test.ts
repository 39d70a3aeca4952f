/** Contract §2: a file that removes a grid or category that still has open incidents is invalid, listing them. */
import { CountyConfigError } from '#config/county-loader.js';
import { assertNothingInUseRemoved, removedInUse } from '#config/removed-in-use.js';
import { domainCounty } from '../helpers/domain-county.js';

const county = domainCounty(); // grids heishui-09, heishui-10, cjg-01; category conflict
const incident = (id: string, gridId: string, category = 'conflict', status = 'open') => ({ id, gridId, category, status });

test('nothing removed in use: no problem', () => {
  expect(removedInUse(county, [incident('a', 'heishui-09'), incident('b', 'cjg-01', 'conflict', 'resolved')])).toEqual([]);
});

test('each removed grid and category with its incidents, by JSON path', () => {
  const problems = removedInUse(county, [
    incident('b', 'heishui-11'), incident('a', 'heishui-11'), incident('c', 'heishui-09', 'sanitation', 'resolved'), incident('d', 'old-01', 'sanitation'),
  ]);
  expect(problems).toEqual([
    { path: '$.towns', message: 'grid "heishui-11" was removed but still has 2 open incidents: a, b' },
    { path: '$.towns', message: 'grid "old-01" was removed but still has 1 open incident: d' },
    { path: '$.categories', message: 'category "sanitation" was removed but still has 2 open incidents: c, d' },
  ]);
  expect(() => assertNothingInUseRemoved(county, [incident('d', 'old-01')], 'counties/shouyang.json')).toThrow(CountyConfigError);
  expect(() => assertNothingInUseRemoved(county, [incident('d', 'old-01')], 'counties/shouyang.json')).toThrow(/counties\/shouyang\.json: \$\.towns: grid "old-01" was removed but still has 1 open incident: d/);
});
