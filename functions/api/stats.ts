/**
 * GET /stats?from=&to=&groupBy=&series=day — figures for the caller's jurisdiction (contract §4, §10), summed
 * from counter cells (functions/domain/stats.ts), never by reading incidents; a reporter's from its own
 * incidents. `from`/`to` select incidents by the day they were reported, in the county's time zone, and the
 * response says which instants that covers (`window`).
 */
import type { CountyIndex } from '#config/county-index.js';
import type { County } from '#config/county-schema.js';
import { pickLocale } from '#config/names.js';
import { validationFailed } from '#domain/errors.js';
import type { Incident } from '#domain/incident.js';
import {
  MONTHS_BEFORE_FIRST_DAY, bucketPlan, monthsSpanned, cellsOfIncidents, cohortPrefix, dayRange, figures, groups, series, seriesDays, statsScope, windowOf,
  type CohortCell, type DayRange, type GroupKind, type SeriesCell, type StatsScope,
} from '#domain/stats.js';
import { localDate } from '#domain/local-days.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, json } from '#commons/http.js';
import { incidents, stats as statsStore } from '#commons/stores.js';
import { StatsQuery } from './stats-query.js';

interface Cells { cohort: CohortCell[]; series: SeriesCell[] }

async function readCells(scope: StatsScope | null, range: DayRange, days: readonly string[] | undefined, county: County, index: CountyIndex): Promise<Cells> {
  if (scope === null) return { cohort: [], series: [] };
  if (scope.kind === 'reporter') {
    const own: Incident[] = await incidents().listEvery('reporterAll', scope.sub);
    return cellsOfIncidents(own, range, county.timeZone);
  }
  const today = localDate(now(), county.timeZone);
  // The county's first counted day (any town's: a reassigned incident's cohort may have moved town).
  const firstDay = monthsSpanned(range, today) > MONTHS_BEFORE_FIRST_DAY ? await statsStore().firstSeriesDay(index.townIds) : undefined;
  const plan = bucketPlan(range, today, firstDay);
  const towns = scope.kind === 'county' ? index.townIds : [scope.townId];
  const [cohort, seriesCells] = await Promise.all([
    statsStore().cohortCells(plan, cohortPrefix(scope)),
    days && days.length > 0 ? statsStore().seriesCells(towns, days[0]!, days[days.length - 1]!) : Promise.resolve([]),
  ]);
  return { cohort, series: scope.kind === 'grid' ? seriesCells.filter((c) => c.gridId === scope.gridId) : seriesCells };
}

/** The units of `kind` in the caller's jurisdiction, in the county file's order. */
function unitsOf(kind: GroupKind, scope: StatsScope | null, county: County, index: CountyIndex): string[] {
  if (scope === null) return [];
  if (kind === 'category') return [...index.categoryIds];
  const place = scope.kind === 'grid' ? index.grid(scope.gridId) : undefined;
  const townIds = scope.kind === 'town' || scope.kind === 'grid' ? [scope.townId] : index.townIds;
  switch (kind) {
    case 'town': return [...townIds];
    case 'community':
      if (place) return [place.communityId];
      return county.towns.filter((t) => townIds.includes(t.id)).flatMap((t) => t.communities.map((c) => c.id));
    case 'grid':
      return place ? [place.gridId] : townIds.flatMap((t) => index.gridsOfTown(t));
  }
}

function unitOf(kind: GroupKind, index: CountyIndex): (cell: CohortCell) => string | undefined {
  switch (kind) {
    case 'town': return (cell) => cell.townId;
    case 'community': return (cell) => index.grid(cell.gridId)?.communityId;
    case 'grid': return (cell) => cell.gridId;
    case 'category': return (cell) => cell.category;
  }
}

export const handler = httpHandler({ query: StatsQuery }, async (event) => {
  const query = event.parsed.query;
  const { county, index, jurisdiction } = currentCounty();
  const range = dayRange(query.from, query.to, county.timeZone);
  let days: string[] | undefined;
  if (query.series) {
    const planned = seriesDays(range);
    if (!Array.isArray(planned)) throw validationFailed([{ path: 'series', message: planned.problem }], 'The query string does not match the API.');
    days = planned;
  }
  // Outside the county: empty figures, never an error (stats reveal nothing about other jurisdictions).
  const scope = statsScope(event.caller, jurisdiction, (gridId) => index.grid(gridId)?.townId);
  const cells = await readCells(scope, range, days, county, index);
  const options = { ladder: county.ladder, categories: index.categoryIds };
  const body: Record<string, unknown> = { window: windowOf(range, county.timeZone), ...figures(cells.cohort, options) };
  if (query.groupBy) {
    const kind = query.groupBy;
    const locale = pickLocale(event.headers['accept-language'], county.locale);
    body.groups = groups(cells.cohort, {
      ...options, units: unitsOf(kind, scope, county, index), unitOf: unitOf(kind, index), name: (id) => index.nameOf(kind, id, locale) ?? id,
    });
  }
  if (days) body.series = series(cells.series, days);
  return json(200, body);
});
