/**
 * The workflow's decision, derived only from the record and the time. A crashed and resumed
 * workflow, a retried Lambda or a duplicated execution reads the same record and therefore never
 * doubles an escalation or a reminder: every step that happened is written on the record
 * (level, overdue, workflow.approachingReminded, workflow.overdueReminders, status).
 *
 * Each call makes at most one visible change — the most advanced one due — and says which stage to
 * run next and how long to wait before calling again (1 s when more is already due).
 */
import { addDeadline, deadlineAt, nextOverdueReminderAt, reminderAt, specOf, verificationDueAt, type Calendar } from './deadlines.js';
import type { Incident, Level } from './incident.js';
import { isTop } from './ladder.js';
import { closeIncident, escalateIncident, timelineEvent, withChange } from './lifecycle.js';

export type Stage = Level | 'verification';
export interface AdvanceStep { next: Stage | 'end'; waitSeconds: number }
export interface AdvanceResult {
  incident: Incident;
  changed: boolean;
  step: AdvanceStep;
}

/** Longest single wait; a longer one is re-armed (advance simply waits again). */
export const MAX_WAIT_SECONDS = 86_400 * 30;
/** Reminders at the top level after its deadline passed, one per deadline period. */
export const OVERDUE_REMINDERS = 3;

type Due = 'escalate' | 'overdue' | 'remind-overdue' | 'remind-approaching' | 'close';

/** Where the workflow should be for this record. */
export function stageOf(incident: Incident): Stage | 'end' {
  switch (incident.status) {
    case 'open': return incident.level;
    case 'resolved': return 'verification';
    default: return 'end';
  }
}

function openDeadline(incident: Incident, calendar: Calendar): Date {
  // `deadline` is always set while open; recomputing guards against a hand-edited record.
  return incident.deadline !== null
    ? new Date(incident.deadline)
    : deadlineAt(incident.policy, incident.level, new Date(incident.workflow.levelEnteredAt), calendar);
}

function verificationDue(incident: Incident, calendar: Calendar): Date {
  if (incident.workflow.verificationDue !== null) return new Date(incident.workflow.verificationDue);
  return verificationDueAt(incident.policy, new Date(incident.resolution?.at ?? incident.updatedAt), calendar);
}

/** 80 % of the way from the level's start to its deadline in force, so an approved extension moves it too. */
function approachingAt(incident: Incident, calendar: Calendar): Date {
  return reminderAt(incident.policy, incident.level, new Date(incident.workflow.levelEnteredAt), openDeadline(incident, calendar), calendar);
}

/** When the next overdue reminder at the top is due (the record says; older records count from the deadline). */
function overdueReminderAt(incident: Incident, calendar: Calendar): Date {
  const due = incident.workflow.overdueReminderDue;
  if (due !== undefined && due !== null) return new Date(due);
  let at = openDeadline(incident, calendar);
  const spec = specOf(incident.policy, incident.level);
  for (let k = 0; k <= incident.workflow.overdueReminders; k++) at = addDeadline(spec, at, calendar);
  return at;
}

/** The single most advanced change due at `now`, or null. */
function dueChange(incident: Incident, now: Date, calendar: Calendar): Due | null {
  const t = now.getTime();
  if (incident.status === 'resolved') return t >= verificationDue(incident, calendar).getTime() ? 'close' : null;
  if (incident.status !== 'open') return null;
  if (t >= openDeadline(incident, calendar).getTime()) {
    if (!isTop(incident.policy.ladder, incident.level)) return 'escalate';
    if (!incident.overdue) return 'overdue';
    const k = incident.workflow.overdueReminders + 1;
    return k <= OVERDUE_REMINDERS && t >= overdueReminderAt(incident, calendar).getTime() ? 'remind-overdue' : null;
  }
  return !incident.workflow.approachingReminded && t >= approachingAt(incident, calendar).getTime() ? 'remind-approaching' : null;
}

/** The next moment something may become due, or null when nothing ever will (waits are re-armed). */
function nextPoint(incident: Incident, calendar: Calendar): Date | null {
  if (incident.status === 'resolved') return verificationDue(incident, calendar);
  if (incident.status !== 'open') return null;
  if (incident.overdue && isTop(incident.policy.ladder, incident.level)) {
    const k = incident.workflow.overdueReminders + 1;
    return k <= OVERDUE_REMINDERS ? overdueReminderAt(incident, calendar) : null;
  }
  return incident.workflow.approachingReminded ? openDeadline(incident, calendar) : approachingAt(incident, calendar);
}

/**
 * How long the workflow may wait at `now` before this record needs it again. The sync task asks once its
 * writes and publishes are done: the wait then starts when the timer does, so their time is not added to
 * every deadline's lag.
 */
export function waitSecondsAt(incident: Incident, now: Date, calendar: Calendar): number {
  return waitSecondsUntil(nextPoint(incident, calendar), now);
}

export function waitSecondsUntil(point: Date | null, now: Date): number {
  if (point === null) return MAX_WAIT_SECONDS;
  const seconds = Math.ceil((point.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_WAIT_SECONDS, Math.max(1, seconds));
}

function apply(incident: Incident, due: Due, now: Date, calendar: Calendar): { incident: Incident } {
  const level = incident.level;
  switch (due) {
    case 'escalate':
      return escalateIncident(incident, now, 'deadline', null, null, calendar);
    case 'close':
      return closeIncident(incident, now, 'verification-window', null);
    case 'overdue': {
      // The first reminder is one period after the deadline, even if that has passed already (an outage): it
      // then goes out at once, and the next one period after it (nextOverdueReminderAt).
      const first = addDeadline(specOf(incident.policy, level), openDeadline(incident, calendar), calendar).toISOString();
      const next = withChange(incident, now, timelineEvent('overdue', level, null, now), { overdue: true }, { overdueReminderDue: first });
      return { incident: next };
    }
    case 'remind-overdue': {
      const k = incident.workflow.overdueReminders + 1;
      const following = k < OVERDUE_REMINDERS ? nextOverdueReminderAt(incident.policy, level, overdueReminderAt(incident, calendar), now, calendar).toISOString() : null;
      const next = withChange(
        incident, now, timelineEvent('reminded', level, null, now, null, 'overdue'), {},
        { overdueReminders: k, overdueReminderDue: following },
      );
      return { incident: next };
    }
    case 'remind-approaching': {
      const next = withChange(incident, now, timelineEvent('reminded', level, null, now, null, 'approaching'), {}, { approachingReminded: true });
      return { incident: next };
    }
  }
}

/**
 * Run the workflow's stage `stage` for `incident` at `now`, with the county's working calendar (null for a
 * county without one). A stage that no longer matches the record (a supervisor escalated, resolved or
 * reopened it) only redirects the workflow.
 */
export function advance(incident: Incident, stage: Stage, now: Date, calendar: Calendar): AdvanceResult {
  const home = stageOf(incident);
  if (home === 'end' || stage !== home) {
    return { incident, changed: false, step: { next: home, waitSeconds: 1 } };
  }
  const due = dueChange(incident, now, calendar);
  if (due === null) {
    return { incident, changed: false, step: { next: home, waitSeconds: waitSecondsUntil(nextPoint(incident, calendar), now) } };
  }
  const { incident: next } = apply(incident, due, now, calendar);
  const nextStage = stageOf(next);
  // If something else is already due (a long outage), nextPoint is in the past: wait 1 s.
  const waitSeconds = nextStage === 'end' ? 1 : waitSecondsUntil(nextPoint(next, calendar), now);
  return { incident: next, changed: true, step: { next: nextStage, waitSeconds } };
}
