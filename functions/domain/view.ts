/**
 * The public JSON of an incident (contract §4). Never exposes the frozen policy, the workflow's
 * bookkeeping or `reportedBy`; the reporter's phone only to those allowed to see it.
 */
import type { ActionName, Caller, Incident, Location, PendingExtension, TimelineEvent } from './incident.js';
import { canSeeReporterPhone, type JurisdictionContext } from './jurisdiction.js';
import { allowedActions } from './lifecycle.js';

export interface ReporterView { name?: string; phone?: string }
export type TimelineEventView = Omit<TimelineEvent, 'deadline'>;

/**
 * The record without what only the system may see, with the reporter as the caller may see it and the actions
 * the caller may take now (contract §10).
 */
export type IncidentView = Omit<Incident, 'policy' | 'workflow' | 'reportedBy' | 'reporter' | 'timeline' | 'pendingExtension'> & {
  reporter: ReporterView | null;
  pendingExtension: PendingExtension | null;
  timeline: TimelineEventView[];
  allowedActions: ActionName[];
};

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

function eventView(e: TimelineEvent): TimelineEventView {
  const view: TimelineEventView = { at: e.at, type: e.type, level: e.level, actor: e.actor, note: e.note, reason: e.reason };
  if (e.extension !== undefined) view.extension = typeof e.extension === 'string' ? e.extension : { ...e.extension };
  if (e.fromGridId !== undefined) view.fromGridId = e.fromGridId;
  return view;
}

/** Copies throughout: a handler decorating the view cannot alter the record. `now` decides `allowedActions`. */
export function toIncidentView(incident: Incident, caller: Caller, now: Date, ctx: JurisdictionContext): IncidentView {
  const pending = incident.pendingExtension ?? null;
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
    pendingExtension: pending === null ? null : { ...pending, extension: typeof pending.extension === 'string' ? pending.extension : { ...pending.extension } },
    resolution: incident.resolution ? { ...incident.resolution } : null,
    resolvedOnSpot: incident.resolvedOnSpot,
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    version: incident.version,
    timeline: incident.timeline.map(eventView),
    allowedActions: allowedActions(incident, caller, now, ctx),
  };
}
