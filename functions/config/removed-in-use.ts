/**
 * Contract §2: a county file that removes a grid or a category that still has open incidents is invalid, and the
 * check lists those incidents. "Open" here is every incident a workflow still holds: open, or resolved and
 * awaiting verification (it can be reopened into its grid). The check needs the incidents, so it runs where they
 * are: at the local county's start-up, and as `npm run -s check-config` against a data dir or a deployed table
 * before a deploy (local/config-check-cli.ts).
 */
import type { County } from './county-schema.js';
import { CountyConfigError, type CountyProblem } from './county-loader.js';

export interface ActiveIncidentRef { id: string; gridId: string; category: string; status: string }

/** Problems by JSON path, one per removed grid or category, listing its incidents; empty when none. */
export function removedInUse(county: County, active: readonly ActiveIncidentRef[]): CountyProblem[] {
  const grids = new Set(county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids.map((g) => g.id))));
  const categories = new Set(county.categories.map((c) => c.id));
  const byGrid = new Map<string, string[]>();
  const byCategory = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, id: string) => map.set(key, [...(map.get(key) ?? []), id]);
  for (const incident of active) {
    if (!grids.has(incident.gridId)) add(byGrid, incident.gridId, incident.id);
    if (!categories.has(incident.category)) add(byCategory, incident.category, incident.id);
  }
  const listed = (ids: string[]) => `${ids.length} open incident${ids.length === 1 ? '' : 's'}: ${[...ids].sort().join(', ')}`;
  return [
    ...[...byGrid].sort(([a], [b]) => a.localeCompare(b))
      .map(([grid, ids]) => ({ path: '$.towns', message: `grid "${grid}" was removed but still has ${listed(ids)}` })),
    ...[...byCategory].sort(([a], [b]) => a.localeCompare(b))
      .map(([category, ids]) => ({ path: '$.categories', message: `category "${category}" was removed but still has ${listed(ids)}` })),
  ];
}

/** Throws the county file's error listing them, as an invalid file does. */
export function assertNothingInUseRemoved(county: County, active: readonly ActiveIncidentRef[], source: string): void {
  const problems = removedInUse(county, active);
  if (problems.length > 0) throw new CountyConfigError(source, problems);
}
