/**
 * Which index answers a list request, from the caller's jurisdiction and the filters: always a Query on
 * one partition (never a Scan). A filter outside the caller's jurisdiction yields an empty plan (no
 * items), not an error: lists never reveal what exists elsewhere.
 */
import type { CountyIndex } from '#config/county-index.js';
import type { Caller } from '#domain/incident.js';
import type { JurisdictionContext } from '#domain/jurisdiction.js';
import type { ListFilters } from '#storage/incident-repository.js';
import type { IndexName } from '#storage/table-design.js';
import type { ListQuery } from './schemas.js';

export interface ListPlan { index: IndexName; partition: string; ascending: boolean; filters: ListFilters }

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
