/**
 * What the domain wants announced, and to which level's topic. Intents carry ids and codes only,
 * never names or phone numbers: rendering the text (locale, time zone, link) is the notifier's job.
 */
import type { EventReason, Incident, Level } from './incident.js';

export const NOTIFICATION_EVENTS = ['assigned', 'escalated', 'reminded', 'overdue', 'resolved', 'closed'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationIntent {
  event: NotificationEvent;
  /** The level whose topic receives the message. */
  level: Level;
  incidentId: string;
  reason: EventReason | null;
  /** ISO 8601 UTC: when the announced event happened. */
  at: string;
}

export function intent(
  event: NotificationEvent, level: Level, incident: Pick<Incident, 'id'>, at: string, reason: EventReason | null = null,
): NotificationIntent {
  return { event, level, incidentId: incident.id, reason, at };
}

/** The `assigned` message of a new incident: to the level of its `assigned` event (the first rung). */
export function assignedIntent(incident: Incident): NotificationIntent {
  const assigned = incident.timeline.find((e) => e.type === 'assigned');
  const level = assigned?.level ?? incident.policy.ladder[0] ?? incident.level;
  return intent('assigned', level, incident, assigned?.at ?? incident.createdAt);
}
