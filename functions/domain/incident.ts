/**
 * The incident as the domain sees it. Pure types: no I/O, no AWS.
 * Stored items (functions/storage) and API views (functions/api) are derived from these.
 */

/** Every level a county ladder may use, bottom to top. A county picks an ordered subset (contract §2). */
export const ALL_LEVELS = ['grid', 'town', 'county', 'city'] as const;
export type Level = (typeof ALL_LEVELS)[number];
export type Ladder = readonly Level[];

export const STATUSES = ['open', 'resolved', 'closed', 'rejected'] as const;
export type Status = (typeof STATUSES)[number];

export const ACTIONS = [
  'acknowledge', 'comment', 'resolve', 'escalate', 'verify', 'reopen', 'reject',
  'request-extension', 'approve-extension', 'deny-extension', 'return', 'reassign',
] as const;
export type ActionName = (typeof ACTIONS)[number];

export const EVENT_TYPES = [
  'reported', 'assigned', 'acknowledged', 'commented', 'escalated', 'reminded',
  'overdue', 'resolved', 'reopened', 'closed', 'rejected',
  'extension-requested', 'extension-approved', 'extension-denied', 'extension-lapsed', 'returned', 'reassigned',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * A deadline as a county file or an extension request gives it (contract §7): an ISO 8601 duration of
 * calendar time, working time (`{ working: 'PT4H' }`) or the close of the Nth working day (`{ workingDays: N }`).
 */
export type DeadlineSpec = string | { working: string } | { workingDays: number };

/** A request for more time, waiting for the level above (contract §8). */
export interface PendingExtension { extension: DeadlineSpec; by: string; at: string; note: string }

/**
 * `escalated`: deadline|manual|reconfigured (the county's ladder lost the level the incident was at);
 * `reminded`: approaching|overdue; `closed`: verified|verification-window.
 */
export type EventReason = 'deadline' | 'manual' | 'reconfigured' | 'approaching' | 'overdue' | 'verified' | 'verification-window';

export interface TimelineEvent {
  at: string;
  type: EventType;
  /** The incident's level once the event has happened. */
  level: Level;
  /** `sub` of the caller; null for the system (workflow). */
  actor: string | null;
  note: string | null;
  reason: EventReason | null;
  /** §8 extension events: the extension requested. */
  extension?: DeadlineSpec;
  /** `returned` and `reassigned`: the grid the incident was in before. */
  fromGridId?: string;
  /**
   * Not shown by the API: the deadline the level works to from this event on, on every event that sets one
   * (arrival at a level, an approved extension). Messages name it and the stats judge a resolution by it.
   */
  deadline?: string;
}

export interface Location { lat: number; lng: number; address?: string | undefined }
export interface ReporterContact { name?: string | undefined; phone?: string | undefined }
export interface Resolution { note: string; by: string; level: Level; at: string }

/** Deadlines per level and the verification window, frozen on the incident when it is reported. */
export interface FrozenPolicy {
  /** Per ladder level, e.g. { grid: 'PT24H', town: { workingDays: 2 }, city: 'PT72H' }. */
  deadlines: Partial<Record<Level, DeadlineSpec>>;
  verificationWindow: DeadlineSpec;
  ladder: Level[];
}

/** Workflow bookkeeping kept on the record; changing it never bumps `version`. */
export interface WorkflowState {
  /** When the incident reached its current level (deadline runs from here). */
  levelEnteredAt: string;
  /** The 80 % reminder was sent for the current level. */
  approachingReminded: boolean;
  /** Reminders sent at the top level after the deadline passed (at most 3). */
  overdueReminders: number;
  /**
   * When the next overdue reminder at the top is due (null when none is); absent on records older than it,
   * which count reminders from the deadline.
   */
  overdueReminderDue?: string | null;
  /** When the resolved incident closes by itself (resolvedAt + verification window). */
  verificationDue: string | null;
  /** Task token of the waiting workflow stage; answered by supervisor actions. */
  taskToken: string | null;
  /** Execution name of the current workflow run (a resumed run gets a new generation). */
  executionName: string | null;
  /**
   * How many timeline events have been published as notifications. The timeline is the outbox: the
   * workflow publishes events past this mark, then advances it (so a crash re-publishes, never loses).
   */
  notifiedThrough: number;
  /** Executions of this incident that ended in failure one after the other (reset by a healthy run); absent = 0. */
  failedExecutions?: number;
  /** Set once too many executions failed: the reconciler no longer restarts it until ops retry it. */
  stuck?: StuckMark | null;
}

/** Why an incident's workflow is no longer restarted (functions/workflow/reconcile.ts). */
export interface StuckMark {
  at: string;
  /** Failed executions one after the other. */
  failedExecutions: number;
  /** The last failed execution, its error and cause (as Step Functions reports them, cut short). */
  executionName: string;
  error: string;
  cause: string;
}

export interface Incident {
  id: string;
  countyId: string;
  category: string;
  title: string;
  description: string;
  gridId: string;
  communityId: string;
  townId: string;
  location: Location | null;
  /** Personal data: phone visible only to the reporter, the grid leader and the county role. */
  reporter: ReporterContact | null;
  /** `sub` of whoever reported it: may read, verify and reopen it. */
  reportedBy: string;
  occurredAt: string | null;
  status: Status;
  level: Level;
  /** ISO 8601 UTC; null once resolved. */
  deadline: string | null;
  overdue: boolean;
  acknowledgedBy: string | null;
  /** A request for more time waiting for a decision (contract §8); absent on records older than it. */
  pendingExtension?: PendingExtension | null;
  resolution: Resolution | null;
  resolvedOnSpot: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
  timeline: TimelineEvent[];
  policy: FrozenPolicy;
  workflow: WorkflowState;
}

/** Verified JWT claims (contract §3). */
export const ROLES = ['reporter', 'grid', 'town', 'county', 'city'] as const;
export type Role = (typeof ROLES)[number];
export interface Caller { sub: string; name: string; role: Role; scope: string }
