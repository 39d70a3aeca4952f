/**
 * Publishes the notifications the timeline owes (functions/domain/notifications.ts) to the SNS topic of
 * each receiving level; the outbox (outbox.ts) then advances the incident's mark. A crash between the two
 * publishes again on the next run (at least once); every message carries its deterministic
 * `notificationId` so receivers, and the local sink, can drop a repeat.
 *
 * Whatever is stored goes out safely: text is made well-formed and single-line fields stay one line
 * (records written before the edge refused such text may hold a lone surrogate or a forged line break), and
 * the subject is short printable ASCII whatever the ids (SNS: under 100 characters, ASCII).
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Incident } from '#domain/incident.js';
import { messagePlace, renderMessage } from '#domain/messages.js';
import { pendingNotifications, type PendingNotification } from '#domain/notifications.js';
import { publishToSns } from '#commons/clients.js';
import { requiredEnv } from '#commons/env.js';
import { consoleUrl } from '#commons/console-url.js';
import { currentCounty } from '#commons/county.js';
import { logger } from '#commons/logger.js';
import { safeLine, safeLines } from '#commons/text.js';
import { topicEnv } from '#commons/topics.js';

/** SNS refuses a subject of 100 characters or more, or one with anything but printable ASCII. */
export const MAX_SUBJECT_LENGTH = 99;

export function snsSubject(n: Pick<PendingNotification, 'event' | 'level'>, category: string): string {
  const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');
  return printable(`gridflow ${n.event} (${n.level}) ${category}`).slice(0, MAX_SUBJECT_LENGTH).trimEnd();
}

/** The incident as the message shows it: its free text made safe to put on a line of a message. */
function safeForMessages(incident: Incident): Incident {
  return {
    ...incident,
    title: safeLine(incident.title),
    description: safeLines(incident.description),
    reporter: incident.reporter ? {
      ...(incident.reporter.name !== undefined ? { name: safeLine(incident.reporter.name) } : {}),
      ...(incident.reporter.phone !== undefined ? { phone: safeLine(incident.reporter.phone) } : {}),
    } : null,
    timeline: incident.timeline.map((e) => (e.note === null ? e : { ...e, note: safeLines(e.note) })),
  };
}

const attribute = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: safeLine(value) });

/** The attributes a supervisor's subscription filters on (contract §5). */
export function messageAttributes(n: PendingNotification, incident: Incident): Record<string, MessageAttributeValue> {
  return {
    event: attribute(n.event),
    level: attribute(n.level),
    countyId: attribute(incident.countyId),
    townId: attribute(incident.townId),
    communityId: attribute(incident.communityId),
    gridId: attribute(incident.gridId),
    category: attribute(incident.category),
    incidentId: attribute(incident.id),
    notificationId: attribute(n.id),
    ...(n.timelineEvent.reason ? { reason: attribute(n.timelineEvent.reason) } : {}),
  };
}

export async function publishPending(incident: Incident): Promise<number> {
  const pending = pendingNotifications(incident);
  if (pending.length > 0) {
    const { county, index } = currentCounty();
    // Messages are read in the county's language: every name from the county file in that language.
    const place = messagePlace(index, incident, county.locale);
    const ctx = {
      locale: county.locale,
      timeZone: county.timeZone,
      countyName: index.nameOf('county', county.id, county.locale) ?? county.id,
      consoleUrl: consoleUrl(),
    };
    const shown = safeForMessages(incident);
    // An escalation tells two levels: both messages go at once (one failing fails the step, which publishes both again).
    await Promise.all(pending.map(async (n) => {
      const text = renderMessage(n, shown, place, ctx);
      await publishToSns({
        TopicArn: requiredEnv(topicEnv(n.level)),
        // SNS subjects must be ASCII: the localized headline is in the message.
        Subject: snsSubject(n, incident.category),
        Message: safeLines(text.message),
        MessageAttributes: messageAttributes(n, incident),
      });
      logger.info('notification published', { incidentId: incident.id, event: n.event, topicLevel: n.level, notificationId: n.id });
    }));
  }
  return pending.length;
}
