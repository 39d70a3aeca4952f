/**
 * Publishes the notifications the timeline owes (functions/domain/notifications.ts) to the SNS topic of
 * each receiving level, then advances the incident's `notifiedThrough` mark. A crash between the two
 * publishes again on the next run (at least once); every message carries its deterministic
 * `notificationId` so receivers, and the local sink, can drop a repeat.
 */
import { PublishCommand, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Incident } from '#domain/incident.js';
import { messagePlace, renderMessage } from '#domain/messages.js';
import { pendingNotifications, type PendingNotification } from '#domain/notifications.js';
import { requiredEnv, sns } from '#commons/clients.js';
import { consoleUrl } from '#commons/console-url.js';
import { currentCounty } from '#commons/county.js';
import { logger } from '#commons/logger.js';
import { topicEnv } from '#commons/topics.js';
import { incidents } from '#commons/stores.js';


const attribute = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

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
    for (const n of pending) {
      const text = renderMessage(n, incident, place, ctx);
      await sns.send(new PublishCommand({
        TopicArn: requiredEnv(topicEnv(n.level)),
        // SNS subjects must be ASCII: the localized headline is in the message.
        Subject: `gridflow ${n.event} (${n.level}) ${incident.category}`,
        Message: text.message,
        MessageAttributes: messageAttributes(n, incident),
      }));
      logger.info('notification published', { incidentId: incident.id, event: n.event, topicLevel: n.level, notificationId: n.id });
    }
  }
  if (incident.workflow.notifiedThrough < incident.timeline.length) {
    await incidents().markNotified(incident.id, incident.timeline.length);
  }
  return pending.length;
}
