/**
 * Creating an incident and acting on it: the one implementation of the rules of contract §3–§4.
 * Pure: `now` is a parameter, inputs are never mutated, every visible change is version + 1 and
 * exactly one timeline event. The workflow's bookkeeping (task token, execution name) is left alone.
 */
import type { County } from '#config/county-schema.js';
import { deadlineAt, freezePolicy, verificationDueAt } from './deadlines.js';
import { conflict, forbidden, notFound, unprocessable, validationFailed, type FieldError } from './errors.js';
import {
  ACTIONS, type ActionName, type Caller, type EventReason, type EventType, type Incident, type Level,
  type Location, type ReporterContact, type Status, type TimelineEvent, type WorkflowState,
} from './incident.js';
import { assertCanReport, canRead, mayActAtLevel, mayVerify, type JurisdictionContext } from './jurisdiction.js';
import { nextLevel } from './ladder.js';

/** The report body once the handler's zod schema accepted it (contract §4). */
export interface ReportInput {
  category: string;
  gridId: string;
  title: string;
  description: string;
  location?: Location | null | undefined;
  reporter?: ReporterContact | null | undefined;
  occurredAt?: string | null | undefined;
  resolvedOnSpot?: { note: string } | null | undefined;
}

export interface ActionCommand {
  action: ActionName;
  note?: string | null | undefined;
  expectedVersion?: number | null | undefined;
}

/** The changed record; what it announces follows from its timeline (functions/domain/notifications.ts). */
export interface ActionResult { incident: Incident }

export const NOTE_MAX_LENGTH = 2000;
const NOTE_REQUIRED: ReadonlySet<ActionName> = new Set<ActionName>(['comment', 'resolve', 'reopen', 'reject']);
const VALID_IN: Record<ActionName, readonly Status[]> = {
  acknowledge: ['open'], comment: ['open', 'resolved'], resolve: ['open'], escalate: ['open'],
  verify: ['resolved'], reopen: ['resolved'], reject: ['open'],
};
/** Resolution and closing are announced to the first rung, the grid (the schema pins ladder[0]). */
const GRID: Level = 'grid';

// ---------------------------------------------------------------------------------------------
// Building blocks, shared with advance.ts

export function timelineEvent(
  type: EventType, level: Level, actor: string | null, at: Date,
  note: string | null = null, reason: EventReason | null = null,
): TimelineEvent {
  return { at: at.toISOString(), type, level, actor, note, reason };
}

type VisibleFields = Omit<Incident, 'workflow' | 'timeline' | 'version' | 'updatedAt'>;

/** One visible change: a new record with the patch, one event appended, version + 1, updatedAt now. */
export function withChange(
  incident: Incident, now: Date, event: TimelineEvent,
  patch: Partial<VisibleFields> = {}, workflow: Partial<WorkflowState> = {},
): Incident {
  return {
    ...incident,
    ...patch,
    workflow: { ...incident.workflow, ...workflow },
    timeline: [...incident.timeline, event],
    version: incident.version + 1,
    updatedAt: now.toISOString(),
  };
}

/**
 * Move an open incident one rung up, its new deadline running from `now` (for a late deadline
 * escalation that is when it fired). Announced to the level it leaves and the level it reaches.
 */
export function escalateIncident(
  incident: Incident, now: Date, reason: 'manual' | 'deadline', actor: string | null, note: string | null = null,
): ActionResult {
  const from = incident.level;
  const to = nextLevel(incident.policy.ladder, from);
  if (to === null) throw conflict(`The incident is already at the top level (${from}).`);
  const next = withChange(
    incident, now, timelineEvent('escalated', to, actor, now, note, reason),
    { level: to, deadline: deadlineAt(incident.policy, to, now).toISOString(), acknowledgedBy: null },
    { levelEnteredAt: now.toISOString(), approachingReminded: false, overdueReminders: 0 },
  );
  return { incident: next };
}

export function closeIncident(
  incident: Incident, now: Date, reason: 'verified' | 'verification-window', actor: string | null, note: string | null = null,
): ActionResult {
  const next = withChange(incident, now, timelineEvent('closed', incident.level, actor, now, note, reason), { status: 'closed', deadline: null });
  return { incident: next };
}

// ---------------------------------------------------------------------------------------------
// Reporting

function locateGrid(county: County, gridId: string): { townId: string; communityId: string } | null {
  for (const town of county.towns) {
    for (const community of town.communities) {
      if (community.grids.some((g) => g.id === gridId)) return { townId: town.id, communityId: community.id };
    }
  }
  return null;
}

/** A note: absent (null) or 1–2000 characters with something other than white space. */
function checkNote(note: string | null | undefined, path: string, required: boolean): string | null {
  if (note === undefined || note === null) {
    if (required) throw validationFailed([{ path, message: 'a note is required for this action' }]);
    return null;
  }
  if (typeof note !== 'string' || note.trim().length === 0 || note.length > NOTE_MAX_LENGTH) {
    throw validationFailed([{ path, message: `a note is 1–${NOTE_MAX_LENGTH} characters of text` }]);
  }
  return note;
}

function isoOrNull(value: string | null | undefined, path: string): string | null {
  if (value === undefined || value === null) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw validationFailed([{ path, message: 'must be an ISO 8601 date-time' }]);
  return new Date(t).toISOString();
}

/**
 * A new incident, open at the first rung with its deadline from `now`, or, with `resolvedOnSpot`,
 * already resolved there. Checks in contract order: 400, 422 (unknown grid or category), 403.
 * The `assigned` notification follows from the timeline: the first workflow sync publishes it.
 */
export function reportIncident(input: ReportInput, caller: Caller, county: County, now: Date, id: string): Incident {
  const onSpotNote = input.resolvedOnSpot ? checkNote(input.resolvedOnSpot.note, 'resolvedOnSpot.note', true) : null;
  const occurredAt = isoOrNull(input.occurredAt, 'occurredAt');

  const place = locateGrid(county, input.gridId);
  const category = county.categories.find((c) => c.id === input.category);
  const errors: FieldError[] = [];
  if (!place) errors.push({ path: 'gridId', message: `grid "${input.gridId}" is not in county "${county.id}"` });
  if (!category) errors.push({ path: 'category', message: `category "${input.category}" is not in county "${county.id}"` });
  if (!place || !category) throw unprocessable('The grid or category is unknown in this county.', errors);

  assertCanReport(caller, input.gridId, { countyId: county.id, cityId: county.city.id });
  // "The grid worker already settled it": a resident cannot file its own report as resolved.
  if (onSpotNote !== null && caller.role !== 'grid') throw forbidden('Only the grid leader may report an incident resolved on the spot.');

  const policy = freezePolicy(county, category.id);
  const level = policy.ladder[0] ?? GRID;
  const at = now.toISOString();
  const timeline = [timelineEvent('reported', level, caller.sub, now), timelineEvent('assigned', level, null, now)];
  const incident: Incident = {
    id,
    countyId: county.id,
    category: category.id,
    title: input.title,
    description: input.description,
    gridId: input.gridId,
    communityId: place.communityId,
    townId: place.townId,
    location: input.location ? { ...input.location } : null,
    reporter: input.reporter ? { ...input.reporter } : null,
    reportedBy: caller.sub,
    occurredAt,
    status: 'open',
    level,
    deadline: deadlineAt(policy, level, now).toISOString(),
    overdue: false,
    acknowledgedBy: null,
    resolution: null,
    resolvedOnSpot: false,
    createdAt: at,
    updatedAt: at,
    version: 1,
    timeline,
    policy,
    workflow: {
      levelEnteredAt: at, approachingReminded: false, overdueReminders: 0,
      verificationDue: null, taskToken: null, executionName: null, notifiedThrough: 0,
    },
  };
  if (onSpotNote === null) return incident;
  return {
    ...incident,
    status: 'resolved',
    deadline: null,
    resolution: { note: onSpotNote, by: caller.sub, level, at },
    resolvedOnSpot: true,
    timeline: [...timeline, timelineEvent('resolved', level, caller.sub, now, onSpotNote)],
    workflow: { ...incident.workflow, verificationDue: verificationDueAt(policy, now).toISOString() },
  };
}

// ---------------------------------------------------------------------------------------------
// Acting

/**
 * Apply one supervisor/reporter action. Checks in contract order: 400 (unknown action, missing or
 * bad note — handlers check the same with zod; this keeps the rule in one place for every caller),
 * 404 (not readable), 403 (role may not do this at this level), 409 (status, level, acknowledged,
 * stale expectedVersion). Returns a new record; `incident` is untouched.
 */
export function applyAction(
  incident: Incident, caller: Caller, cmd: ActionCommand, now: Date, ctx: JurisdictionContext,
): ActionResult {
  const action = cmd.action;
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw validationFailed([{ path: 'action', message: `one of ${ACTIONS.join(', ')}` }]);
  }
  const note = checkNote(cmd.note, 'note', NOTE_REQUIRED.has(action));

  if (!canRead(caller, incident, ctx)) throw notFound();

  if (action === 'verify' || action === 'reopen') {
    if (!mayVerify(caller, incident)) throw forbidden(`Only the reporter, the grid leader of the grid or the county may ${action}.`);
  } else if (caller.role === 'reporter') {
    throw forbidden(`A reporter may not ${action} an incident.`);
  } else if (!mayActAtLevel(caller.role, incident.level)) {
    throw forbidden(`Role "${caller.role}" may not act on an incident at level "${incident.level}".`);
  }

  if (!VALID_IN[action].includes(incident.status)) {
    throw conflict(`Action "${action}" is not valid for an incident that is ${incident.status}.`);
  }
  if (action === 'escalate' && nextLevel(incident.policy.ladder, incident.level) === null) {
    throw conflict(`The incident is already at the top level (${incident.level}).`);
  }
  if (action === 'acknowledge' && incident.acknowledgedBy !== null) {
    throw conflict(`The incident is already acknowledged at level "${incident.level}".`);
  }
  if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== null && cmd.expectedVersion !== incident.version) {
    throw conflict(`The incident is at version ${incident.version}, not ${cmd.expectedVersion}.`);
  }

  const by = caller.sub;
  switch (action) {
    case 'acknowledge':
      return { incident: withChange(incident, now, timelineEvent('acknowledged', incident.level, by, now, note), { acknowledgedBy: by }) };
    case 'comment':
      return { incident: withChange(incident, now, timelineEvent('commented', incident.level, by, now, note)) };
    case 'resolve': {
      const text = note ?? '';
      const next = withChange(
        incident, now, timelineEvent('resolved', incident.level, by, now, text),
        { status: 'resolved', deadline: null, resolution: { note: text, by, level: incident.level, at: now.toISOString() } },
        { verificationDue: verificationDueAt(incident.policy, now).toISOString() },
      );
      return { incident: next };
    }
    case 'escalate':
      return escalateIncident(incident, now, 'manual', by, note);
    case 'verify':
      return closeIncident(incident, now, 'verified', by, note);
    case 'reopen': {
      // Back to the level that resolved it, with a fresh deadline and fresh reminders.
      const level = incident.resolution?.level ?? incident.level;
      const next = withChange(
        incident, now, timelineEvent('reopened', level, by, now, note),
        { status: 'open', level, deadline: deadlineAt(incident.policy, level, now).toISOString(), resolution: null, overdue: false, acknowledgedBy: null },
        { levelEnteredAt: now.toISOString(), verificationDue: null, overdueReminders: 0, approachingReminded: false },
      );
      return { incident: next };
    }
    case 'reject':
      // No message: rejection ends the incident and no level has anything left to do.
      return { incident: withChange(incident, now, timelineEvent('rejected', incident.level, by, now, note), { status: 'rejected', deadline: null }) };
  }
}
