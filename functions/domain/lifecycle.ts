/**
 * Creating an incident and acting on it: the one implementation of the rules of contract §3–§4 and §8.
 * Pure: `now` is a parameter, inputs are never mutated, every visible change is version + 1 and one
 * timeline event (two when it also closes a pending extension request: `extension-lapsed` comes with it).
 * The workflow's bookkeeping (task token, execution name) is left alone.
 *
 * Who may take which action now is decided once, by `checkAction`: `applyAction` enforces it and
 * `allowedActions` lists what passes it, so the console offers exactly what the API accepts.
 */
import type { County } from '#config/county-schema.js';
import { addDeadline, assertGrantable, calendarOf, deadlineAt, freezePolicy, verificationDueAt, type Calendar } from './deadlines.js';
import { conflict, forbidden, GridflowError, notFound, unprocessable, validationFailed, type FieldError } from './errors.js';
import {
  ACTIONS, type ActionName, type Caller, type DeadlineSpec, type EventReason, type EventType, type Incident, type Level,
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
  /** `request-extension` only: how much longer (contract §8). */
  extension?: DeadlineSpec | null | undefined;
  /** `reassign` only: the grid of the same town that takes the incident over. */
  gridId?: string | null | undefined;
}

/** Where an action is taken: the deployment's jurisdiction and the county as configured now. */
export interface ActionContext extends JurisdictionContext {
  /** The grids a `reassign` may name (and, for working-time extensions, the calendar). */
  county: County;
}

/** The changed record; what it announces follows from its timeline (functions/domain/notifications.ts). */
export interface ActionResult { incident: Incident }

export const NOTE_MAX_LENGTH = 2000;
/** Actions that need a note (contract §4, §8); the API's zod schema states the same rule for the edge. */
export const NOTE_REQUIRED: ReadonlySet<ActionName> = new Set<ActionName>([
  'comment', 'resolve', 'reopen', 'reject', 'request-extension', 'deny-extension', 'return',
]);
const VALID_IN: Record<ActionName, readonly Status[]> = {
  acknowledge: ['open'], comment: ['open', 'resolved'], resolve: ['open'], escalate: ['open'],
  verify: ['resolved'], reopen: ['resolved'], reject: ['open'],
  'request-extension': ['open'], 'approve-extension': ['open'], 'deny-extension': ['open'], return: ['open'], reassign: ['open'],
};
/** Resolution and closing are announced to the first rung, the grid (the schema pins ladder[0]). */
const GRID: Level = 'grid';
/** Where a returned incident goes for dispatch (contract §8). */
const DISPATCH: Level = 'town';
/** Events by which an incident arrives at a level: each starts the level's deadline and its allowance afresh. */
const ARRIVALS: ReadonlySet<EventType> = new Set<EventType>(['assigned', 'escalated', 'reopened', 'returned', 'reassigned']);

// ---------------------------------------------------------------------------------------------
// Building blocks, shared with advance.ts

export function timelineEvent(
  type: EventType, level: Level, actor: string | null, at: Date,
  note: string | null = null, reason: EventReason | null = null,
): TimelineEvent {
  return { at: at.toISOString(), type, level, actor, note, reason };
}

type VisibleFields = Omit<Incident, 'workflow' | 'timeline' | 'version' | 'updatedAt'>;

/**
 * One visible change: a new record with the patch, the event appended, version + 1, updatedAt now. A change of
 * level or status, or the deadline passing at the top, closes a pending extension request in the same version
 * (contract §10): an `extension-lapsed` event at the level that asked comes first.
 */
export function withChange(
  incident: Incident, now: Date, event: TimelineEvent,
  patch: Partial<VisibleFields> = {}, workflow: Partial<WorkflowState> = {},
): Incident {
  const pending = incident.pendingExtension ?? null;
  const lapses = pending !== null && (
    (patch.level !== undefined && patch.level !== incident.level)
    || (patch.status !== undefined && patch.status !== incident.status)
    || (patch.overdue === true && !incident.overdue));
  const lapsed: TimelineEvent[] = lapses ? [{ ...timelineEvent('extension-lapsed', incident.level, null, now), extension: pending.extension }] : [];
  return {
    ...incident,
    ...patch,
    ...(lapses ? { pendingExtension: null } : {}),
    workflow: { ...incident.workflow, ...workflow },
    timeline: [...incident.timeline, ...lapsed, event],
    version: incident.version + 1,
    updatedAt: now.toISOString(),
  };
}

/**
 * The incident arrives at `level` (escalated, reopened, returned, reassigned): that level's deadline runs from
 * `now`, its acknowledgement, reminders and extension allowance start afresh. The arrival event records the
 * deadline it sets.
 */
function arriveAt(
  incident: Incident, now: Date, level: Level, event: TimelineEvent, calendar: Calendar, patch: Partial<VisibleFields> = {},
): Incident {
  const deadline = deadlineAt(incident.policy, level, now, calendar).toISOString();
  return withChange(
    incident, now, { ...event, deadline },
    { level, deadline, acknowledgedBy: null, overdue: false, ...patch },
    { levelEnteredAt: now.toISOString(), approachingReminded: false, overdueReminders: 0, overdueReminderDue: null },
  );
}

/**
 * Move an open incident one rung up (or to `to`, when the county's ladder lost its level: `reconfigured`), its
 * new deadline running from `now` (for a late deadline escalation that is when it fired). Announced to the
 * level it leaves and the level it reaches.
 */
export function escalateIncident(
  incident: Incident, now: Date, reason: 'manual' | 'deadline' | 'reconfigured', actor: string | null, note: string | null, calendar: Calendar,
  to: Level | null = nextLevel(incident.policy.ladder, incident.level),
): ActionResult {
  const from = incident.level;
  if (to === null) throw conflict(`The incident is already at the top level (${from}).`);
  return { incident: arriveAt(incident, now, to, timelineEvent('escalated', to, actor, now, note, reason), calendar) };
}

export function closeIncident(
  incident: Incident, now: Date, reason: 'verified' | 'verification-window', actor: string | null, note: string | null = null,
): ActionResult {
  const next = withChange(incident, now, timelineEvent('closed', incident.level, actor, now, note, reason), { status: 'closed', deadline: null });
  return { incident: next };
}

/** Index of the event by which the incident arrived at its current level (-1 for a record without one). */
function lastArrival(incident: Incident): number {
  for (let i = incident.timeline.length - 1; i >= 0; i--) if (ARRIVALS.has(incident.timeline[i]!.type)) return i;
  return -1;
}

/** An extension was granted during the current stay at the level (one per stay, contract §10). */
function extendedHere(incident: Incident): boolean {
  return incident.timeline.slice(lastArrival(incident) + 1).some((e) => e.type === 'extension-approved');
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
  const calendar = calendarOf(county);
  const level = policy.ladder[0] ?? GRID;
  const at = now.toISOString();
  const deadline = deadlineAt(policy, level, now, calendar).toISOString();
  const timeline = [timelineEvent('reported', level, caller.sub, now), { ...timelineEvent('assigned', level, null, now), deadline }];
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
    deadline,
    overdue: false,
    acknowledgedBy: null,
    pendingExtension: null,
    resolution: null,
    resolvedOnSpot: false,
    createdAt: at,
    updatedAt: at,
    version: 1,
    timeline,
    policy,
    workflow: {
      levelEnteredAt: at, approachingReminded: false, overdueReminders: 0, overdueReminderDue: null,
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
    workflow: { ...incident.workflow, verificationDue: verificationDueAt(policy, now, calendar).toISOString() },
  };
}

// ---------------------------------------------------------------------------------------------
// Acting

/** The 403 of `action` for this caller, or null: who may take it, whatever the incident's state. */
function roleProblem(incident: Incident, caller: Caller, action: ActionName): string | null {
  if (action === 'verify' || action === 'reopen') {
    return mayVerify(caller, incident) ? null : `Only the reporter, the grid leader of the grid or the county may ${action}.`;
  }
  if (caller.role === 'reporter') return `A reporter may not ${action} an incident.`;
  if (!mayActAtLevel(caller.role, incident.level)) return `Role "${caller.role}" may not act on an incident at level "${incident.level}".`;
  switch (action) {
    case 'request-extension':
      return caller.role === incident.level ? null : `Only the ${incident.level} level holding the incident may ask for more time.`;
    case 'approve-extension':
    case 'deny-extension': {
      const above = nextLevel(incident.policy.ladder, incident.level);
      if (caller.role !== above && caller.role !== 'county') {
        return `An extension at level "${incident.level}" is decided by ${above === null ? 'the county' : `the ${above} level or the county`}.`;
      }
      return incident.pendingExtension?.by === caller.sub ? 'Nobody decides their own request.' : null;
    }
    case 'return':
      return caller.role === 'grid' && incident.level === 'grid' ? null : 'Only the grid leader holding the incident may return it.';
    case 'reassign':
      return caller.role === 'town' || caller.role === 'county' ? null : 'Only the town supervisor of its town or the county may reassign it.';
    default:
      return null;
  }
}

/** The 409 of `action` in the incident's current state at `now`, or null. */
function stateProblem(incident: Incident, action: ActionName, now: Date): string | null {
  if (!VALID_IN[action].includes(incident.status)) return `Action "${action}" is not valid for an incident that is ${incident.status}.`;
  const pending = incident.pendingExtension ?? null;
  const deadlinePassed = incident.deadline !== null && now.getTime() >= Date.parse(incident.deadline);
  switch (action) {
    case 'escalate':
      return nextLevel(incident.policy.ladder, incident.level) === null ? `The incident is already at the top level (${incident.level}).` : null;
    case 'acknowledge':
      return incident.acknowledgedBy !== null ? `The incident is already acknowledged at level "${incident.level}".` : null;
    case 'request-extension':
      if (nextLevel(incident.policy.ladder, incident.level) === null) return 'At the top of the ladder there is no one above to grant an extension.';
      if (pending !== null) return 'An extension request is already pending.';
      if (extendedHere(incident)) return `An extension was already granted at level "${incident.level}".`;
      return deadlinePassed ? 'The deadline has passed.' : null;
    case 'approve-extension':
    case 'deny-extension':
      if (pending === null) return 'No extension request is pending.';
      return deadlinePassed ? 'The deadline has passed: the request lapsed.' : null;
    case 'return':
      return incident.policy.ladder.includes(DISPATCH) ? null : 'This county has no town level to return the incident to.';
    case 'reassign':
      if (incident.level !== DISPATCH) return 'Only an incident at town level can be reassigned.';
      return incident.timeline[lastArrival(incident)]?.type === 'returned' ? null : 'Only an incident returned by its grid can be reassigned.';
    default:
      return null;
  }
}

/**
 * Whether `caller` may take `action` on `incident` at `now`: null, or the error `applyAction` would answer with
 * (404, 403 or 409, in the contract's order). What only a request body decides (400, 422) is not part of it.
 */
export function checkAction(incident: Incident, caller: Caller, action: ActionName, now: Date, ctx: JurisdictionContext): GridflowError | null {
  if (!canRead(caller, incident, ctx)) return notFound();
  const role = roleProblem(incident, caller, action);
  if (role !== null) return forbidden(role);
  const state = stateProblem(incident, action, now);
  return state === null ? null : conflict(state);
}

/** The actions `caller` may take on `incident` now (contract §10): exactly those `applyAction` would accept. */
export function allowedActions(incident: Incident, caller: Caller, now: Date, ctx: JurisdictionContext): ActionName[] {
  return ACTIONS.filter((action) => checkAction(incident, caller, action, now, ctx) === null);
}

/** Body fields that belong to one action: present for it (400 when missing), absent for every other (400). */
function bodyField<T>(value: T | null | undefined, field: string, action: ActionName, owner: ActionName): T | null {
  const given = value !== undefined && value !== null;
  if (action === owner && !given) throw validationFailed([{ path: field, message: `"${field}" is required to ${owner}` }]);
  if (action !== owner && given) throw validationFailed([{ path: field, message: `"${field}" belongs to the ${owner} action only` }]);
  return given ? value : null;
}

/**
 * Apply one action. Checks in contract order: 400 (unknown action, missing or bad note or body field — handlers
 * check the same with zod; this keeps the rule in one place for every caller), 422 (an extension that cannot be
 * granted, a grid unknown in the county or outside the incident's town), then `checkAction` (404, 403, 409),
 * then a stale expectedVersion (409). Returns a new record; `incident` is untouched.
 */
export function applyAction(
  incident: Incident, caller: Caller, cmd: ActionCommand, now: Date, ctx: ActionContext,
): ActionResult {
  const action = cmd.action;
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw validationFailed([{ path: 'action', message: `one of ${ACTIONS.join(', ')}` }]);
  }
  const note = checkNote(cmd.note, 'note', NOTE_REQUIRED.has(action));
  const extension = bodyField(cmd.extension, 'extension', action, 'request-extension');
  const gridId = bodyField(cmd.gridId, 'gridId', action, 'reassign');

  const calendar = calendarOf(ctx.county);
  if (extension !== null) assertGrantable(extension, calendar);
  const target = gridId === null ? null : locateGrid(ctx.county, gridId);
  if (gridId !== null && target === null) {
    throw unprocessable('The grid is unknown in this county.', [{ path: 'gridId', message: `grid "${gridId}" is not in county "${ctx.county.id}"` }]);
  }
  if (!canRead(caller, incident, ctx)) throw notFound();
  if (target !== null && target.townId !== incident.townId) {
    throw unprocessable('An incident is reassigned within its town.', [{ path: 'gridId', message: `grid "${gridId}" is not in town "${incident.townId}"` }]);
  }
  const problem = checkAction(incident, caller, action, now, ctx);
  if (problem !== null) throw problem;
  if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== null && cmd.expectedVersion !== incident.version) {
    throw conflict(`The incident is at version ${incident.version}, not ${cmd.expectedVersion}.`);
  }

  const by = caller.sub;
  const here = incident.level;
  switch (action) {
    case 'acknowledge':
      return { incident: withChange(incident, now, timelineEvent('acknowledged', here, by, now, note), { acknowledgedBy: by }) };
    case 'comment':
      return { incident: withChange(incident, now, timelineEvent('commented', here, by, now, note)) };
    case 'resolve': {
      const text = note ?? '';
      const next = withChange(
        incident, now, timelineEvent('resolved', here, by, now, text),
        { status: 'resolved', deadline: null, resolution: { note: text, by, level: here, at: now.toISOString() } },
        { verificationDue: verificationDueAt(incident.policy, now, calendar).toISOString() },
      );
      return { incident: next };
    }
    case 'escalate':
      return escalateIncident(incident, now, 'manual', by, note, calendar);
    case 'verify':
      return closeIncident(incident, now, 'verified', by, note);
    case 'reopen': {
      // Back to the level that resolved it, with a fresh deadline and fresh reminders.
      const level = incident.resolution?.level ?? here;
      const next = arriveAt(incident, now, level, timelineEvent('reopened', level, by, now, note), calendar, { status: 'open', resolution: null });
      return { incident: { ...next, workflow: { ...next.workflow, verificationDue: null } } };
    }
    case 'reject':
      // No message: rejection ends the incident and no level has anything left to do.
      return { incident: withChange(incident, now, timelineEvent('rejected', here, by, now, note), { status: 'rejected', deadline: null }) };
    case 'request-extension': {
      const ext = extension!;
      const event = { ...timelineEvent('extension-requested', here, by, now, note), extension: ext };
      return { incident: withChange(incident, now, event, { pendingExtension: { extension: ext, by, at: now.toISOString(), note: note ?? '' } }) };
    }
    case 'approve-extension': {
      // checkAction guarantees a pending request and a deadline still ahead.
      const ext = incident.pendingExtension!.extension;
      const deadline = addDeadline(ext, new Date(incident.deadline!), calendar).toISOString();
      const event = { ...timelineEvent('extension-approved', here, by, now, note), extension: ext, deadline };
      return { incident: withChange(incident, now, event, { deadline, pendingExtension: null }) };
    }
    case 'deny-extension': {
      const event = { ...timelineEvent('extension-denied', here, by, now, note), extension: incident.pendingExtension!.extension };
      return { incident: withChange(incident, now, event, { pendingExtension: null }) };
    }
    case 'return': {
      const event = { ...timelineEvent('returned', DISPATCH, by, now, note), fromGridId: incident.gridId };
      return { incident: arriveAt(incident, now, DISPATCH, event, calendar) };
    }
    case 'reassign': {
      const grid = incident.policy.ladder[0] ?? GRID;
      const event = { ...timelineEvent('reassigned', grid, by, now, note), fromGridId: incident.gridId };
      return { incident: arriveAt(incident, now, grid, event, calendar, { gridId: gridId!, communityId: target!.communityId }) };
    }
  }
}
