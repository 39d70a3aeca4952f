/**
 * The runtime configuration, fetched from /console/config.json at start (written by the local runtime or
 * at deploy time, never baked into the build): where the API is, how people sign in, and the county's
 * public view (places, categories, ladder, time zone, locale).
 */
import type { ConsoleConfig } from '../../functions/config/console-config.js';

export type { ConsoleAuth, ConsoleConfig, PublicCountyView, PublicTown } from '../../functions/config/console-config.js';

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json answered ${res.status}`);
  const config = (await res.json()) as ConsoleConfig;
  if (typeof config?.apiUrl !== 'string' || !config.auth || !config.county?.towns) throw new Error('config.json is incomplete');
  return config;
}
