/**
 * The workflow's decision, derived only from the record and the time. A crashed and resumed
 * workflow, a retried Lambda or a duplicated execution reads the same record and therefore never
 * doubles an escalation or a reminder: every step that happened is written on the record
 * (level, overdue, workflow.approachingReminded, workflow.overdueReminders, status).
 *
 * Each call makes at most one visible change — the most advanced one due — and says which stage to
 * run next and how long to wait before calling again (1 s when more is already due).
 */
import { addDeadline, deadlineAt, nextOverdueReminderAt, reminderAt, specOf, verificationDueAt } from './deadlines.js';
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

function openDeadline(incident: Incident): Date {
  // `deadline` is always set while open; recomputing guards against a hand-edited record.
  return incident.deadline !== null
    ? new Date(incident.deadline)
    : deadlineAt(incident.policy, incident.level, new Date(incident.workflow.levelEnteredAt));
}

function verificationDue(incident: Incident): Date {
  if (incident.workflow.verificationDue !== null) return new Date(incident.workflow.verificationDue);
  return verificationDueAt(incident.policy, new Date(incident.resolution?.at ?? incident.updatedAt));
}

/** 80 % of the way from the level's start to its deadline in force, so an approved extension moves it too. */
function approachingAt(incident: Incident): Date {
  return reminderAt(incident.policy, incident.level, new Date(incident.workflow.levelEnteredAt), openDeadline(incident));
}

/** When the next overdue reminder at the top is due (the record says; older records count from the deadline). */
function overdueReminderAt(incident: Incident): Date {
  const due = incident.workflow.overdueReminderDue;
  if (due !== undefined && due !== null) return new Date(due);
  let at = openDeadline(incident);
  const spec = specOf(incident.policy, incident.level);
  for (let k = 0; k <= incident.workflow.overdueReminders; k++) at = addDeadline(spec, at);
  return at;
}

/** The single most advanced change due at `now`, or null. */
function dueChange(incident: Incident, now: Date): Due | null {
  const t = now.getTime();
  if (incident.status === 'resolved') return t >= verificationDue(incident).getTime() ? 'close' : null;
  if (incident.status !== 'open') return null;
  if (t >= openDeadline(incident).getTime()) {
    if (!isTop(incident.policy.ladder, incident.level)) return 'escalate';
    if (!incident.overdue) return 'overdue';
    const k = incident.workflow.overdueReminders + 1;
    return k <= OVERDUE_REMINDERS && t >= overdueReminderAt(incident).getTime() ? 'remind-overdue' : null;
  }
  return !incident.workflow.approachingReminded && t >= approachingAt(incident).getTime() ? 'remind-approaching' : null;
}

/** The next moment something may become due, or null when nothing ever will (waits are re-armed). */
function nextPoint(incident: Incident): Date | null {
  if (incident.status === 'resolved') return verificationDue(incident);
  if (incident.status !== 'open') return null;
  if (incident.overdue && isTop(incident.policy.ladder, incident.level)) {
    const k = incident.workflow.overdueReminders + 1;
    return k <= OVERDUE_REMINDERS ? overdueReminderAt(incident) : null;
  }
  return incident.workflow.approachingReminded ? openDeadline(incident) : approachingAt(incident);
}

/**
 * How long the workflow may wait at `now` before this record needs it again. The sync task asks once its
 * writes and publishes are done: the wait then starts when the timer does, so their time is not added to
 * every deadline's lag.
 */
export function waitSecondsAt(incident: Incident, now: Date): number {
  return waitSecondsUntil(nextPoint(incident), now);
}

export function waitSecondsUntil(point: Date | null, now: Date): number {
  if (point === null) return MAX_WAIT_SECONDS;
  const seconds = Math.ceil((point.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_WAIT_SECONDS, Math.max(1, seconds));
}

function apply(incident: Incident, due: Due, now: Date): { incident: Incident } {
  const level = incident.level;
  switch (due) {
    case 'escalate':
      return escalateIncident(incident, now, 'deadline', null);
    case 'close':
      return closeIncident(incident, now, 'verification-window', null);
    case 'overdue': {
      // The first reminder is one period after the deadline, even if that has passed already (an outage): it
      // then goes out at once, and the next one period after it (nextOverdueReminderAt).
      const first = addDeadline(specOf(incident.policy, level), openDeadline(incident)).toISOString();
      const next = withChange(incident, now, timelineEvent('overdue', level, null, now), { overdue: true }, { overdueReminderDue: first });
      return { incident: next };
    }
    case 'remind-overdue': {
      const k = incident.workflow.overdueReminders + 1;
      const following = k < OVERDUE_REMINDERS ? nextOverdueReminderAt(incident.policy, level, overdueReminderAt(incident), now).toISOString() : null;
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
 * Run the workflow's stage `stage` for `incident` at `now`. A stage that no longer matches the
 * record (a supervisor escalated, resolved or reopened it) only redirects the workflow.
 */
export function advance(incident: Incident, stage: Stage, now: Date): AdvanceResult {
  const home = stageOf(incident);
  if (home === 'end' || stage !== home) {
    return { incident, changed: false, step: { next: home, waitSeconds: 1 } };
  }
  const due = dueChange(incident, now);
  if (due === null) {
    return { incident, changed: false, step: { next: home, waitSeconds: waitSecondsUntil(nextPoint(incident), now) } };
  }
  const { incident: next } = apply(incident, due, now);
  const nextStage = stageOf(next);
  // If something else is already due (a long outage), nextPoint is in the past: wait 1 s.
  const waitSeconds = nextStage === 'end' ? 1 : waitSecondsUntil(nextPoint(next), now);
  return { incident: next, changed: true, step: { next: nextStage, waitSeconds } };
}
