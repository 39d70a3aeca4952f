/**
 * Who may read, see a reporter's phone, report and act (contract §3). Reading is the outer fence:
 * what a caller may not read answers 404 for reads and actions alike.
 */
import { forbidden } from './errors.js';
import type { Caller, Incident, Level, Role } from './incident.js';
import { levelRank, roleRank } from './ladder.js';

/** The deployment a request is served in: one county and the city above it. */
export interface JurisdictionContext { countyId: string; cityId: string }

export function canRead(caller: Caller, incident: Incident, ctx: JurisdictionContext): boolean {
  // A record of another county never belongs to this deployment, whatever the token says.
  if (incident.countyId !== ctx.countyId) return false;
  switch (caller.role) {
    case 'reporter': return caller.scope === ctx.countyId && incident.reportedBy === caller.sub;
    case 'grid': return caller.scope === incident.gridId;
    case 'town': return caller.scope === incident.townId;
    case 'county': return caller.scope === ctx.countyId;
    case 'city': return caller.scope === ctx.cityId;
    default: return false;
  }
}

/** The reporter itself, the grid leader of the incident's grid and the county role. */
export function canSeeReporterPhone(caller: Caller, incident: Incident): boolean {
  switch (caller.role) {
    case 'reporter': return caller.sub === incident.reportedBy && caller.scope === incident.countyId;
    case 'grid': return caller.scope === incident.gridId;
    case 'county': return caller.scope === incident.countyId;
    default: return false;
  }
}

/** Reporters anywhere in their county; a grid leader only in its own grid; nobody else. */
export function assertCanReport(caller: Caller, gridId: string, ctx: JurisdictionContext): void {
  if (caller.role === 'reporter' && caller.scope === ctx.countyId) return;
  if (caller.role === 'grid' && caller.scope === gridId) return;
  if (caller.role === 'reporter' || caller.role === 'grid') {
    throw forbidden(`A ${caller.role} token scoped to "${caller.scope}" may not report in grid "${gridId}".`);
  }
  throw forbidden(`Role "${caller.role}" may not report incidents.`);
}

/**
 * Supervisors act at their own level or below; the county and city roles at any level (contract §3:
 * "act at any level", so county also acts once an incident reached the city). Reporters never act.
 */
export function mayActAtLevel(role: Role, level: Level): boolean {
  if (role === 'county' || role === 'city') return true;
  const rank = roleRank(role);
  return rank !== null && rank >= levelRank(level);
}

/**
 * `verify` and `reopen`: the incident's reporter, the grid leader of its grid and the county role (contract
 * §3). The reporter is a `reporter` token of the incident's county with the `sub` that reported it: a town
 * or city supervisor who happens to carry that `sub` is not the reporter.
 */
export function mayVerify(caller: Caller, incident: Incident): boolean {
  return (caller.role === 'reporter' && caller.sub === incident.reportedBy && caller.scope === incident.countyId)
    || (caller.role === 'grid' && caller.scope === incident.gridId)
    || (caller.role === 'county' && caller.scope === incident.countyId);
}
