/**
 * Notifications derived from the timeline: the timeline is the outbox. Every event past
 * `workflow.notifiedThrough` that contract §5 announces becomes one message per receiving level (an extension
 * decision, a return and a reassignment go to the level now holding it, a request to the level above), with a
 * deterministic id (`<incident>:<event index>:<level>`), so a replay after a crash can be recognised.
 */
import { deadlineAtEvent } from './deadlines.js';
import type { Incident, Level, TimelineEvent } from './incident.js';
import { nextLevel } from './ladder.js';

export { deadlineAtEvent };

export const NOTIFICATION_EVENTS = [
  'assigned', 'escalated', 'reminded', 'overdue', 'resolved', 'closed',
  'extension-requested', 'extension-approved', 'extension-denied', 'returned', 'reassigned',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface PendingNotification {
  /** Deterministic: the same event always yields the same id. */
  id: string;
  event: NotificationEvent;
  /** The level whose topic receives it. */
  level: Level;
  /** Index of the timeline event it announces. */
  eventIndex: number;
  timelineEvent: TimelineEvent;
  /** The deadline the receiving level works to (ISO UTC), when there is one. */
  deadline: string | null;
}

const ANNOUNCED: ReadonlySet<string> = new Set(NOTIFICATION_EVENTS);

/** The level held just before event `index` (for an escalation: the level that missed or passed it on). */
function levelBefore(incident: Incident, index: number): Level {
  return incident.timeline[index - 1]?.level ?? incident.policy.ladder[0] ?? incident.level;
}

export function pendingNotifications(incident: Incident): PendingNotification[] {
  const out: PendingNotification[] = [];
  const grid = incident.policy.ladder[0] ?? 'grid';
  incident.timeline.forEach((e, index) => {
    if (index < incident.workflow.notifiedThrough || !ANNOUNCED.has(e.type)) return;
    const event = e.type as NotificationEvent;
    const add = (level: Level, deadline: string | null) =>
      out.push({ id: `${incident.id}:${index}:${level}`, event, level, eventIndex: index, timelineEvent: e, deadline });
    switch (event) {
      case 'escalated': {
        // Both the level that passed it on and the level that receives it are told (contract §5); a level the
        // county's ladder no longer has (reason `reconfigured`) has nobody left to tell.
        const from = levelBefore(incident, index);
        if (incident.policy.ladder.includes(from)) add(from, null);
        add(e.level, deadlineAtEvent(incident, index));
        break;
      }
      case 'resolved':
      case 'closed':
        add(grid, null); // the reporter's grid hears how it ended
        break;
      case 'extension-requested':
        // The level that decides it; the holder's deadline is what it would move.
        add(nextLevel(incident.policy.ladder, e.level) ?? e.level, deadlineAtEvent(incident, index));
        break;
      default:
        add(e.level, deadlineAtEvent(incident, index));
    }
  });
  return out;
}

/** What a change from `prev` to `next` announces: the notifications owed by the events it appended. */
export function announcementsOf(prev: Incident, next: Incident): PendingNotification[] {
  return pendingNotifications({ ...next, workflow: { ...next.workflow, notifiedThrough: prev.timeline.length } });
}
