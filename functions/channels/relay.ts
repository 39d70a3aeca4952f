/**
 * The channel relay (contract §5, §10 "Notifications"): subscribed to the level topics with the jurisdictions
 * of the people it serves, it delivers each message to the channels of the people who must be told at that
 * level — the grid's leader, the town's supervisors, the county's, the city's — by WeCom group robot,
 * DingTalk custom robot or SMS through the county's provider. E-mail and webhooks stay SNS's own.
 *
 * The robots get the message text SNS carries (rendered by functions/domain/messages.ts) as markdown; an SMS
 * fills the provider's approved template for the event with parameters from the incident. Each (message,
 * target) is sent once (delivery-claims.ts); a failed target makes the invocation fail after the others were
 * tried, so Lambda retries only what failed and then parks the event in the failure queue. Locally the
 * runtime calls `relayMessage` for every published message (local/runtime.ts).
 */
import type { SNSEvent } from 'aws-lambda';
import { countyIndex } from '#config/county-index.js';
import type { County, Person } from '#config/county-schema.js';
import type { Channel } from '#config/deployment-schema.js';
import { localName } from '#config/names.js';
import type { Level } from '#domain/incident.js';
import { formatTime } from '#domain/messages.js';
import { pendingNotifications } from '#domain/notifications.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { documentClient, tableName } from '#storage/dynamodb.js';
import { sendAliyunSms } from './aliyun-sms.js';
import { DeliveryClaims } from './delivery-claims.js';
import { toMarkdown } from './markdown.js';
import { DeliveryError, sendDingtalk, sendWecom } from './robots.js';
import { channelSecret, SecretNotConfigured } from './secrets.js';

/** What the relay needs of one published message (an SNS record, or the local sink's record). */
export interface RelayedMessage { message: string; attributes: Readonly<Record<string, string>> }

/** One place a message goes: a robot (shared by everyone in its group) or a phone. */
export type Target = { kind: 'wecom' | 'dingtalk'; secret: string } | { kind: 'sms'; phone: string };

export interface RelayReport { sent: number; skipped: number; failed: string[] }

const LEVELS: readonly string[] = ['grid', 'town', 'county', 'city'];

/** Who must be told at `level` about a message with these attributes, by the county file. */
export function recipientsOf(county: County, level: Level, attributes: Readonly<Record<string, string>>): readonly Person[] {
  switch (level) {
    case 'grid': return countyIndex(county).peopleAt('grid', attributes.gridId ?? '');
    case 'town': return county.towns.find((t) => t.id === attributes.townId)?.supervisors ?? [];
    case 'county': return county.supervisors;
    case 'city': return attributes.countyId === county.id ? county.city.supervisors : [];
  }
}

/** Mainland numbers as Aliyun takes them: 11 digits, no +86. */
export function domesticPhone(phone: string): string {
  return phone.replace(/[\s().-]/g, '').replace(/^(\+86|0086)/, '');
}

/** The distinct targets of these people's channels (a group robot shared by two supervisors is posted once). */
export function targetsOf(people: readonly Person[]): Target[] {
  const out = new Map<string, Target>();
  for (const person of people) {
    for (const channel of person.channels ?? [] as Channel[]) {
      if (channel.type === 'sms') {
        if (person.phone) out.set(`sms:${domesticPhone(person.phone)}`, { kind: 'sms', phone: domesticPhone(person.phone) });
      } else {
        out.set(`${channel.type}:${channel.secret}`, { kind: channel.type, secret: channel.secret });
      }
    }
  }
  return [...out.values()];
}

export const targetKey = (t: Target): string => (t.kind === 'sms' ? `sms:${t.phone}` : `${t.kind}:${t.secret}`);

const cut = (s: string, n: number) => ([...s].length <= n ? s : `${[...s].slice(0, n - 1).join('')}…`);

/**
 * The variables of the SMS template (Aliyun limits a variable to 35 characters): `title`, `place`, `level`,
 * `deadline` ("-" without one) and `id` (the incident id's first 8 characters). The templates the county registers use these names.
 */
export async function smsParams(county: County, attributes: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const index = countyIndex(county);
  const name = (n: Parameters<typeof localName>[0] | undefined, fallback: string) => (n === undefined ? fallback : localName(n, county.locale));
  const level = attributes.level as Level;
  const grid = index.grid(attributes.gridId ?? '');
  const gridName = name(grid?.gridName, attributes.gridId ?? '');
  const communityName = name(grid?.communityName, attributes.communityId ?? '');
  const place = level === 'grid' ? (county.locale === 'zh-CN' ? `${communityName}${gridName}` : `${gridName}, ${communityName}`)
    : level === 'town' ? name(grid?.townName, attributes.townId ?? '')
      : name(county.name, county.id);
  const incident = attributes.incidentId ? await incidents().get(attributes.incidentId) : null;
  let deadline: string | null = null;
  if (incident && attributes.notificationId) {
    const eventIndex = Number(attributes.notificationId.split(':').at(-2));
    const owed = pendingNotifications({ ...incident, workflow: { ...incident.workflow, notifiedThrough: eventIndex } })
      .find((n) => n.id === attributes.notificationId);
    deadline = owed?.deadline ?? null;
  }
  return {
    title: cut(incident?.title ?? attributes.category ?? '', 20),
    place: cut(place, 20),
    level: LEVELS.includes(level) ? level : '',
    deadline: deadline ? formatTime(deadline, county).slice(0, 35) : '-',
    // A short reference (the UUID's first block): 36 characters would pass Aliyun's 35-character limit.
    id: (attributes.incidentId ?? '').slice(0, 8),
  };
}

type Send = (at: Date) => Promise<void>;

/** How to send to `target`, or why not: no SMS template for this event, or (locally) a secret not set up. */
async function prepare(target: Target, county: County, msg: RelayedMessage): Promise<Send | 'no-template' | 'not-configured'> {
  try {
    if (target.kind === 'sms') {
      const sms = county.deployment?.sms;
      const templateCode = sms?.templates[(msg.attributes.event ?? '') as keyof typeof sms.templates];
      if (!sms || !templateCode) return 'no-template';
      const secret = await channelSecret(sms.secret);
      if (!secret.accessKeyId || !secret.signingSecret) throw new DeliveryError(`secret ${sms.secret} needs accessKeyId and signingSecret`, false);
      const creds = { accessKeyId: secret.accessKeyId, accessKeySecret: secret.signingSecret, ...(secret.url ? { url: secret.url } : {}) };
      return async (at) => sendAliyunSms(creds, { phone: target.phone, signName: sms.signName, templateCode, params: await smsParams(county, msg.attributes) }, at);
    }
    const secret = await channelSecret(target.secret);
    const url = secret.url;
    if (!url) throw new DeliveryError(`secret ${target.secret} has no url`, false);
    const md = toMarkdown(msg.message);
    if (target.kind === 'wecom') return async () => sendWecom(url, md);
    const signingSecret = secret.signingSecret;
    if (!signingSecret) throw new DeliveryError(`secret ${target.secret} has no signingSecret (DingTalk robots sign)`, false);
    return async (at) => sendDingtalk(url, signingSecret, md, at.getTime());
  } catch (error) {
    if (error instanceof SecretNotConfigured) return 'not-configured';
    throw error;
  }
}

let claims: DeliveryClaims | undefined;

/** Delivers one message to its level's people's channels; throws when a target failed (after trying every one). */
export async function relayMessage(msg: RelayedMessage, county: County = currentCounty().county): Promise<RelayReport> {
  const level = msg.attributes.level;
  const notificationId = msg.attributes.notificationId;
  const report: RelayReport = { sent: 0, skipped: 0, failed: [] };
  if (!level || !LEVELS.includes(level) || !notificationId) {
    logger.warn('relay: message without level or notificationId ignored', { level, notificationId });
    return report;
  }
  claims ??= new DeliveryClaims(documentClient, tableName());
  const targets = targetsOf(recipientsOf(county, level as Level, msg.attributes));
  for (const target of targets) {
    const key = targetKey(target);
    try {
      const send = await prepare(target, county, msg);
      if (typeof send === 'string') {
        report.skipped++;
        logger.warn(send === 'no-template' ? 'relay: no SMS template for this event' : 'relay: channel secret not set up on this machine', { notificationId, channel: target.kind });
        continue;
      }
      const at = now();
      if (!(await claims.claim(notificationId, key, at))) { report.skipped++; continue; }
      try {
        await send(at);
      } catch (error) {
        await claims.release(notificationId, key);
        throw error;
      }
      await claims.sent(notificationId, key, at);
      report.sent++;
    } catch (error) {
      // Logs name the channel kind and the failure, never a phone number or a robot URL.
      logger.error('relay: delivery failed', { notificationId, channel: target.kind, error: (error as Error).message });
      report.failed.push(target.kind);
    }
  }
  if (report.sent > 0) logger.info('relay: delivered', { notificationId, event: msg.attributes.event, level, sent: report.sent, skipped: report.skipped });
  if (report.failed.length > 0) throw new Error(`relay: ${report.failed.length} of ${targets.length} deliveries of ${notificationId} failed (${report.failed.join(', ')})`);
  return report;
}

/** SNS -> Lambda: one record per invocation in practice; each is relayed, a failure fails the invocation. */
export const handler = async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records) {
    const attributes = Object.fromEntries(Object.entries(record.Sns.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]));
    await relayMessage({ message: record.Sns.Message, attributes });
  }
};
