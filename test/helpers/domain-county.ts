/** The small county the pure domain tests share: two towns, three grids, one category (24/48/72 h). */
import { CountySchema, type County } from '#config/county-schema.js';

export const domainCounty = (): County => CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [{ id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' } }],
  towns: [
    { id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
      communities: [{ id: 'heishui', name: 'Heishui', grids: [
        { id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader 9' } },
        { id: 'heishui-10', name: 'Grid 10', leader: { id: 'hs-10', name: 'Leader 10' } }] }] },
    { id: 'caijiagou', name: 'Caijiagou', supervisors: [{ id: 'cj-1', name: 'Town supervisor 2' }],
      communities: [{ id: 'cjg', name: 'Cjg', grids: [{ id: 'cjg-01', name: 'Grid 1', leader: { id: 'cj-01', name: 'Leader 1' } }] }] },
  ],
});

