/**
 * GET /stats?from=&to= — figures for the caller's jurisdiction (contract §4), from the counters kept with
 * every incident write (never a scan). `from`/`to` select incidents by when they were reported; counters
 * are kept per UTC hour, so the window is widened to whole hours and the response says which (`window`).
 */
import { bucketRange, statsScope, summarize } from '#domain/stats.js';
import { documentClient, tableName } from '#storage/dynamodb.js';
import { StatsRepository } from '#storage/stats-repository.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, json } from '#commons/http.js';
import { StatsQuery } from './schemas.js';

let repository: StatsRepository | undefined;
const statsStore = (): StatsRepository => (repository ??= new StatsRepository(documentClient, tableName()));

export const handler = httpHandler({ query: StatsQuery }, async (event) => {
  const { from, to } = event.parsed.query;
  const { county, jurisdiction } = currentCounty();
  const { range, window } = bucketRange(from, to);
  const scope = statsScope(event.caller, jurisdiction);
  // Outside the county: empty figures, never an error (stats reveal nothing about other jurisdictions).
  const counters = scope === null ? [] : await statsStore().read(scope, range);
  const figures = summarize(counters, { ladder: county.ladder, categories: county.categories.map((c) => c.id) });
  return json(200, { window, ...figures });
});
