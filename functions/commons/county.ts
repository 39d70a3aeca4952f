/**
 * The county this function serves. In Lambda the bundle carries `county.json` (copied at bundling time);
 * locally COUNTY_FILE names the file. Loaded and validated once per process.
 */
import { join } from 'node:path';
import { loadCountyFile } from '#config/county-loader.js';
import { countyIndex, type CountyIndex } from '#config/county-index.js';
import type { County } from '#config/county-schema.js';
import { yearsWithoutCalendarData } from '#domain/deadlines.js';
import type { JurisdictionContext } from '#domain/jurisdiction.js';
import { now } from './clock.js';
import { logger } from './logger.js';

export interface CurrentCounty { county: County; index: CountyIndex; jurisdiction: JurisdictionContext }

let cached: CurrentCounty | undefined;

const describe = (county: County): CurrentCounty => ({
  county,
  index: countyIndex(county),
  jurisdiction: { countyId: county.id, cityId: county.city.id },
});

export function currentCounty(): CurrentCounty {
  if (!cached) {
    cached = describe(loadCountyFile(process.env.COUNTY_FILE ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'county.json')));
    // Once per cold start: ops see it in the logs until they add the State Council's schedule for the year.
    const years = yearsWithoutCalendarData(cached.county, now());
    if (years.length > 0) logger.warn('the county calendar has no holidays or make-up workdays for these years: only the weekend applies', { countyId: cached.county.id, years });
  }
  return cached;
}

/** For the local runtime and tests, which serve a county they loaded themselves. */
export function useCounty(county: County): CurrentCounty {
  cached = describe(county);
  return cached;
}
