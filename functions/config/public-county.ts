/**
 * What anybody may read about a county: the console fetches it from `/console/config.json` before anyone
 * signs in (locally from the runtime, in the cloud from the file the console-hosting construct writes at
 * deploy time). Places, categories, ladder, time zone and locale only: it is built by picking fields, never
 * by removing them, so nothing added to the county file later (people, phones, e-mails, channels, secrets,
 * deployment) can leak into it.
 */
import type { Level } from '#domain/incident.js';
import type { County } from './county-schema.js';
import type { Locale, LocalizedName } from './local-name.js';

export interface PublicPlace { id: string; name: LocalizedName }
export interface PublicGrid extends PublicPlace {}
export interface PublicCommunity extends PublicPlace { grids: PublicGrid[] }
export interface PublicTown extends PublicPlace { communities: PublicCommunity[] }

export interface PublicCountyView {
  id: string;
  name: LocalizedName;
  locale: Locale;
  timeZone: string;
  ladder: Level[];
  city: PublicPlace;
  categories: PublicPlace[];
  towns: PublicTown[];
}

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

/** How the console signs people in: the local sign-in page, or OIDC (authorization code + PKCE). */
export type ConsoleAuth =
  | { kind: 'local' }
  | { kind: 'oidc'; authority: string; clientId: string; scope: string };

/** `/console/config.json`: read by the console at start, written by the local runtime or at deploy time. */
export interface ConsoleConfig {
  /** The county API's base URL, without a trailing slash. */
  apiUrl: string;
  auth: ConsoleAuth;
  county: PublicCountyView;
}

export function consoleConfig(county: County, opts: { apiUrl: string; auth: ConsoleAuth }): ConsoleConfig {
  return { apiUrl: opts.apiUrl.replace(/\/+$/, ''), auth: opts.auth, county: publicCountyView(county) };
}
