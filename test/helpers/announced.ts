/** What a domain change announces, in a compact shape for assertions (the rule: functions/domain/notifications.ts). */
import type { Incident } from '#domain/incident.js';
import { announcementsOf } from '#domain/notifications.js';

export const announced = (prev: Incident, next: Incident) =>
  announcementsOf(prev, next).map((n) => ({ event: n.event, level: n.level, incidentId: next.id, reason: n.timelineEvent.reason, at: n.timelineEvent.at }));
