/**
 * The shape of `/console/config.json` and of the county's public view in it (built by public-county.ts). Types
 * only, importing nothing that validates: the console compiles against this file alone.
 */
import type { Level } from '#domain/incident.js';
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
