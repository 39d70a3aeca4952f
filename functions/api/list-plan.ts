/**
 * Which index answers a list request, from the caller's jurisdiction and the filters: always a Query on
 * one partition (never a Scan). A filter outside the caller's jurisdiction yields an empty plan (no
 * items), not an error: lists never reveal what exists elsewhere.
 *
 * A grid's list of one category (not `status=open`, which is ordered by deadline) names `gridCategory` as the
 * narrower index: same order and sort key as `gridAll`, without reading past the grid's other categories. The
 * repository reads it once the table's backfill is done. The plan's `index` and `partition` stay those of the list
 * (`gridAll`), so a paging cursor (bound to them) stays valid across the switch and resumes at the same place.
 */
import type { CountyIndex } from '#config/county-index.js';
import type { Caller } from '#domain/incident.js';
import type { JurisdictionContext } from '#domain/jurisdiction.js';
import type { ListFilters } from '#storage/incident-repository.js';
import { compositeKey } from '#storage/incident-item.js';
import { INDEXES, type IndexName } from '#storage/table-design.js';
import type { ListQuery } from './schemas.js';

export interface ListPlan {
  index: IndexName; partition: string; ascending: boolean; filters: ListFilters;
  narrower?: { index: 'gridCategory'; partition: string };
}

type Scope = 'grid' | 'town' | 'county' | 'reporter';

export function planList(caller: Caller, query: ListQuery, county: CountyIndex, ctx: JurisdictionContext): ListPlan | null {
  const open = query.status === 'open';
  const filters: ListFilters = {
    ...(query.status ? { status: query.status } : {}),
    ...(query.level ? { level: query.level } : {}),
    ...(query.category ? { category: query.category } : {}),
    ...(query.overdue !== undefined ? { overdue: query.overdue } : {}),
    ...(query.townId ? { townId: query.townId } : {}),
    ...(query.gridId ? { gridId: query.gridId } : {}),
  };
  const plan = (scope: Scope, partition: string): ListPlan => ({
    index: `${scope}${open ? 'Open' : 'All'}` as IndexName,
    partition,
    ascending: open, // open: soonest deadline first; otherwise newest first
    filters,
    ...(scope === 'grid' && !open && query.category
      ? { narrower: { index: 'gridCategory', partition: compositeKey({ gridId: partition, category: query.category }, INDEXES.gridCategory.partitionOf) } }
      : {}),
  });
  const gridTown = query.gridId ? county.grid(query.gridId)?.townId : undefined;
  if (query.gridId && !gridTown) return null; // unknown grid: nothing to list

  switch (caller.role) {
    case 'reporter':
      return caller.scope === ctx.countyId ? plan('reporter', caller.sub) : null;
    case 'grid':
      if (query.gridId && query.gridId !== caller.scope) return null;
      return plan('grid', caller.scope);
    case 'town':
      if (query.townId && query.townId !== caller.scope) return null;
      if (query.gridId) return gridTown === caller.scope ? plan('grid', query.gridId) : null;
      return plan('town', caller.scope);
    case 'county':
    case 'city': {
      const expected = caller.role === 'county' ? ctx.countyId : ctx.cityId;
      if (caller.scope !== expected) return null;
      if (query.gridId) return plan('grid', query.gridId);
      if (query.townId) return plan('town', query.townId);
      return plan('county', ctx.countyId);
    }
  }
}
