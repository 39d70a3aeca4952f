/**
 * What anybody may read about a county: the console fetches it from `/console/config.json` before anyone
 * signs in (locally from the runtime, in the cloud from the file the console-hosting construct writes at
 * deploy time). Places, categories, ladder, time zone and locale only: it is built by picking fields, never
 * by removing them, so nothing added to the county file later (people, phones, e-mails, channels, secrets,
 * deployment) can leak into it. The shapes live in console-config.ts, which the console compiles against.
 */
import type { ConsoleAuth, ConsoleConfig, PublicCountyView, PublicPlace } from './console-config.js';
import type { County } from './county-schema.js';
import type { LocalizedName } from './local-name.js';

export type {
  ConsoleAuth, ConsoleConfig, PublicCommunity, PublicCountyView, PublicGrid, PublicPlace, PublicTown,
} from './console-config.js';

const place = (p: { id: string; name: LocalizedName }): PublicPlace => ({ id: p.id, name: p.name });

export function publicCountyView(county: County): PublicCountyView {
  return {
    id: county.id,
    name: county.name,
    locale: county.locale,
    timeZone: county.timeZone,
    ladder: [...county.ladder],
    city: place(county.city),
    categories: county.categories.map(place),
    towns: county.towns.map((t) => ({
      ...place(t),
      communities: t.communities.map((c) => ({ ...place(c), grids: c.grids.map(place) })),
    })),
  };
}

export function consoleConfig(county: County, opts: { apiUrl: string; auth: ConsoleAuth }): ConsoleConfig {
  return { apiUrl: opts.apiUrl.replace(/\/+$/, ''), auth: opts.auth, county: publicCountyView(county) };
}
