/**
 * The county this function serves. In Lambda the bundle carries `county.json`, validated when the stack was
 * synthesized (GridflowFunction writes the validated county, defaults filled in): it is read as is, so a cold
 * start neither builds the county schema (zod) nor runs it. The local runtime and tests hand in a county they
 * loaded and validated themselves (useCounty). Read once per process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
    cached = describe(bundledCounty());
    // Once per cold start: ops see it in the logs until they add the State Council's schedule for the year.
    const years = yearsWithoutCalendarData(cached.county, now());
    if (years.length > 0) logger.warn('the county calendar has no holidays or make-up workdays for these years: only the weekend applies', { countyId: cached.county.id, years });
  }
  return cached;
}

/** `county.json` beside the bundle: already validated at synth (infra/constructs/gridflow-function.ts). */
function bundledCounty(): County {
  return JSON.parse(readFileSync(join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'county.json'), 'utf8')) as County;
}

/** For the local runtime and tests, which serve a county they loaded themselves. */
export function useCounty(county: County): CurrentCounty {
  cached = describe(county);
  return cached;
}
