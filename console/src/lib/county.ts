/** Names and places of the county's public view, in the reader's language. */
import type { PublicCountyView, PublicTown } from '../config';
import type { Locale } from '../i18n/messages';
import { localName } from '../../../functions/config/local-name.js';

export interface GridPlace { id: string; name: string; town: PublicTown; townName: string; communityId: string; communityName: string }

export interface CountyNames {
  county: PublicCountyView;
  countyName: string;
  cityName: string;
  category(id: string): string;
  town(id: string): string;
  community(id: string): string;
  grid(id: string): GridPlace | undefined;
  /** "Town · Community · Grid" */
  gridPath(id: string): string;
  grids: GridPlace[];
  /** The place a token's scope names: a grid, town, the county or its city. */
  scopeName(scope: string): string;
}

export function countyNames(county: PublicCountyView, locale: Locale): CountyNames {
  const name = (n: Parameters<typeof localName>[0]) => localName(n, locale);
  const categories = new Map(county.categories.map((c) => [c.id, name(c.name)]));
  const towns = new Map(county.towns.map((t) => [t.id, name(t.name)]));
  const communities = new Map(county.towns.flatMap((t) => t.communities.map((c) => [c.id, name(c.name)] as const)));
  const grids: GridPlace[] = county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids.map((g) => ({
    id: g.id, name: name(g.name), town: t, townName: name(t.name), communityId: c.id, communityName: name(c.name),
  }))));
  const gridById = new Map(grids.map((g) => [g.id, g]));
  const countyName = name(county.name);
  const cityName = name(county.city.name);
  return {
    county,
    countyName,
    cityName,
    category: (id) => categories.get(id) ?? id,
    town: (id) => towns.get(id) ?? id,
    community: (id) => communities.get(id) ?? id,
    grid: (id) => gridById.get(id),
    gridPath: (id) => {
      const g = gridById.get(id);
      return g ? `${g.townName} · ${g.communityName} · ${g.name}` : id;
    },
    grids,
    scopeName: (scope) => {
      if (scope === county.id) return countyName;
      if (scope === county.city.id) return cityName;
      const g = gridById.get(scope);
      if (g) return `${g.townName} · ${g.communityName} · ${g.name}`;
      return towns.get(scope) ?? communities.get(scope) ?? scope;
    },
  };
}
