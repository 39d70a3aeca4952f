/**
 * The people of a county file the local sign-in page offers (contract §9): grid leaders, town supervisors,
 * the county's own supervisors, the city's supervisors and one demo resident, each with the claims of the
 * token they sign in with. Only the local runtime uses this; the cloud signs people in through OIDC.
 */
import type { County } from '#config/county-schema.js';
import type { Role } from '#domain/incident.js';

export interface LocalPerson {
  role: Role;
  /** The token's scope: a grid, town, county or city id. */
  scope: string;
  /** The token's `sub`: the person's id in the county file. */
  sub: string;
  name: string;
}

export const DEMO_RESIDENT_SUB = 'resident-demo';
const DEMO_RESIDENT_NAME: Record<County['locale'], string> = { 'zh-CN': '演示居民', en: 'Demo Resident' };

export function localPeople(county: County): LocalPerson[] {
  const people: LocalPerson[] = [];
  for (const town of county.towns) {
    for (const community of town.communities) {
      for (const grid of community.grids) {
        people.push({ role: 'grid', scope: grid.id, sub: grid.leader.id, name: grid.leader.name });
      }
    }
  }
  for (const town of county.towns) {
    for (const p of town.supervisors) people.push({ role: 'town', scope: town.id, sub: p.id, name: p.name });
  }
  for (const p of county.supervisors) people.push({ role: 'county', scope: county.id, sub: p.id, name: p.name });
  for (const p of county.city.supervisors) people.push({ role: 'city', scope: county.city.id, sub: p.id, name: p.name });
  people.push({ role: 'reporter', scope: county.id, sub: DEMO_RESIDENT_SUB, name: DEMO_RESIDENT_NAME[county.locale] });
  return people;
}
