/**
 * The public JSON of an incident (contract §4). Never exposes the frozen policy, the workflow's
 * bookkeeping or `reportedBy`; the reporter's phone only to those allowed to see it.
 */
import type { Caller, Incident, Location } from './incident.js';
import { canSeeReporterPhone } from './jurisdiction.js';

export interface ReporterView { name?: string; phone?: string }

/** The record without what only the system may see, and with the reporter as the caller may see it. */
export type IncidentView = Omit<Incident, 'policy' | 'workflow' | 'reportedBy' | 'reporter'> & { reporter: ReporterView | null };

function reporterView(incident: Incident, caller: Caller): ReporterView | null {
  if (!incident.reporter) return null;
  const view: ReporterView = {};
  if (incident.reporter.name !== undefined) view.name = incident.reporter.name;
  if (incident.reporter.phone !== undefined && canSeeReporterPhone(caller, incident)) view.phone = incident.reporter.phone;
  return view;
}

function locationView(location: Location | null): Location | null {
  if (!location) return null;
  return location.address === undefined
    ? { lat: location.lat, lng: location.lng }
    : { lat: location.lat, lng: location.lng, address: location.address };
}

/** Copies throughout: a handler decorating the view cannot alter the record. */
export function toIncidentView(incident: Incident, caller: Caller): IncidentView {
  return {
    id: incident.id,
    countyId: incident.countyId,
    category: incident.category,
    title: incident.title,
    description: incident.description,
    gridId: incident.gridId,
    communityId: incident.communityId,
    townId: incident.townId,
    location: locationView(incident.location),
    reporter: reporterView(incident, caller),
    occurredAt: incident.occurredAt,
    status: incident.status,
    level: incident.level,
    deadline: incident.deadline,
    overdue: incident.overdue,
    acknowledgedBy: incident.acknowledgedBy,
    resolution: incident.resolution ? { ...incident.resolution } : null,
    resolvedOnSpot: incident.resolvedOnSpot,
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    version: incident.version,
    timeline: incident.timeline.map((e) => ({ at: e.at, type: e.type, level: e.level, actor: e.actor, note: e.note, reason: e.reason })),
  };
}
