/**
 * Where and how a county is deployed, and how its people are reached (contract §2, §5, §10 "Notifications"):
 * the `deployment` block (account, region, identity, ops contacts, SMS provider) and the `channels` a person
 * may carry (a WeCom group robot, a DingTalk custom robot, SMS through the county's provider). Secrets are
 * only named here; their values live in Secrets Manager (locally `<data-dir>/secrets.json`).
 *
 * `deploymentProblems` is the cross-field check: a county that names a region names its ops contacts, an
 * `sms` channel needs a phone and a provider, and in a China region everyone who must be told (every grid
 * leader, town supervisor and city supervisor) has a channel that works there. The county schema runs it on
 * every load with the file's region; the CDK app runs it again with the region the county is deployed to.
 */
import * as z from 'zod';
import { NOTIFICATION_EVENTS } from '#domain/notifications.js';

const id = z.string().regex(/^[a-z0-9-]+$/, 'ids are lowercase letters, digits and hyphens');
/** A Secrets Manager secret name (letters, digits and /_+=.@-). */
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'a secret name: letters, digits and /_+=.@-');

export const CHANNEL_TYPES = ['wecom', 'dingtalk', 'sms'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const ChannelSchema = z.discriminatedUnion('type', [
  /** A WeCom (企业微信) group robot: the secret holds `{"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."}`. */
  z.strictObject({ type: z.literal('wecom'), secret: secretName }),
  /** A DingTalk (钉钉) custom robot with signing: the secret holds `{"url": ".../robot/send?access_token=...", "signingSecret": "SEC..."}`. */
  z.strictObject({ type: z.literal('dingtalk'), secret: secretName }),
  /** An SMS to the person's `phone` through `deployment.sms`. */
  z.strictObject({ type: z.literal('sms') }),
], { error: (issue) => (issue.code === 'invalid_union' ? `a channel is { "type": ${CHANNEL_TYPES.map((t) => `"${t}"`).join(' | ')}, ... }` : undefined) });
export type Channel = z.infer<typeof ChannelSchema>;

/** Per person (and wired into PersonSchema by county-schema.ts). */
export const ChannelsSchema = z.array(ChannelSchema).min(1);

/** SMS providers implemented in functions/channels/ (one documented HTTP API each). */
export const SMS_PROVIDERS = ['aliyun'] as const;

export const SmsSchema = z.strictObject({
  provider: z.enum(SMS_PROVIDERS),
  /** Secret holding `{"accessKeyId": "...", "signingSecret": "<AccessKey secret>", "url"?: "https://dysmsapi.aliyuncs.com/"}`. */
  secret: secretName,
  /** The approved SMS signature (签名), e.g. 寿阳县网格化服务. */
  signName: z.string().min(1).max(40),
  /** The approved template (模板 code) per notification event; an event without one is not sent by SMS. */
  templates: z.partialRecord(z.enum(NOTIFICATION_EVENTS), z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'a template code such as SMS_123456789')),
});
export type SmsSettings = z.infer<typeof SmsSchema>;

export const DeploymentSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'an AWS account is 12 digits').optional(),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as cn-north-1').optional(),
  identity: z.strictObject({
    issuer: z.url(),
    audience: z.string().min(1),
    /** The identity provider's public client (code + PKCE) the console signs in with; its tokens are accepted too. */
    consoleClientId: z.string().min(1).optional(),
  }).optional(),
  /** The console's own domain (README "The console in the cloud"); required in the China regions. */
  console: z.strictObject({
    domain: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase host name such as gridflow.shouyang.gov.cn'),
    certificate: z.string().min(1),
  }).optional(),
  /** Who hears the county's alarms: subscribed by e-mail to its ops topic. Required with `region`. */
  ops: z.strictObject({ emails: z.array(z.email()).min(1) }).optional(),
  sms: SmsSchema.optional(),
});
export type Deployment = z.infer<typeof DeploymentSchema>;

/** The China regions (partition aws-cn): no SNS SMS there. */
export const isChinaRegion = (region: string): boolean => region.startsWith('cn-');

type Path = (string | number)[];
export interface DeploymentProblem { path: Path; message: string }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A person as the file holds it, read defensively (the check also runs on files with malformed fields). */
interface RawPerson { id?: unknown; email?: unknown; phone?: unknown; channels?: unknown }

/** One person the county must tell, with where they sit and the webhook filter values that cover them. */
export interface MustBeTold { path: Path; role: 'grid leader' | 'town supervisor' | 'city supervisor'; person: RawPerson; level: 'grid' | 'town' | 'city'; townId?: string; communityId?: string; gridId?: string }

/** Every grid leader, town supervisor and city supervisor, each individually (contract §10). */
export function mustBeTold(county: Record<string, unknown>): MustBeTold[] {
  const out: MustBeTold[] = [];
  list(county.towns).forEach((t, ti) => {
    if (!isRecord(t)) return;
    const townId = typeof t.id === 'string' ? t.id : undefined;
    list(t.supervisors).forEach((p, pi) => {
      if (isRecord(p)) out.push({ path: ['towns', ti, 'supervisors', pi], role: 'town supervisor', person: p, level: 'town', ...(townId ? { townId } : {}) });
    });
    list(t.communities).forEach((c, ci) => {
      if (!isRecord(c)) return;
      const communityId = typeof c.id === 'string' ? c.id : undefined;
      list(c.grids).forEach((g, gi) => {
        if (!isRecord(g) || !isRecord(g.leader)) return;
        out.push({
          path: ['towns', ti, 'communities', ci, 'grids', gi, 'leader'], role: 'grid leader', person: g.leader, level: 'grid',
          ...(townId ? { townId } : {}), ...(communityId ? { communityId } : {}), ...(typeof g.id === 'string' ? { gridId: g.id } : {}),
        });
      });
    });
  });
  if (isRecord(county.city)) {
    list(county.city.supervisors).forEach((p, pi) => {
      if (isRecord(p)) out.push({ path: ['city', 'supervisors', pi], role: 'city supervisor', person: p, level: 'city' });
    });
  }
  return out;
}

/** A config webhook of the person's level whose filter lets through every message of their unit. */
function coveredByWebhook(who: MustBeTold, webhooks: unknown[]): boolean {
  return webhooks.some((w) => {
    if (!isRecord(w) || w.level !== who.level) return false;
    const filter = isRecord(w.filter) ? w.filter : {};
    if (filter.category !== undefined) return false; // only some categories: not everything reaches them
    const allows = (key: 'townId' | 'communityId' | 'gridId') => {
      const values = filter[key];
      if (values === undefined) return true;
      const mine = who[key];
      return mine !== undefined && list(values).includes(mine);
    };
    return allows('townId') && allows('communityId') && allows('gridId');
  });
}

/** The ways a person is reached in `region`'s partition: e-mail, webhook, wecom, dingtalk, sms with a provider. */
export function workingChannels(who: MustBeTold, county: Record<string, unknown>, region: string | undefined): string[] {
  const p = who.person;
  const deployment = isRecord(county.deployment) ? county.deployment : {};
  const out: string[] = [];
  if (typeof p.email === 'string') out.push('e-mail');
  // SNS SMS (phone without channels) outside China only.
  if (typeof p.phone === 'string' && region !== undefined && !isChinaRegion(region)) out.push('SNS SMS');
  if (coveredByWebhook(who, list(county.webhooks))) out.push('webhook');
  for (const c of list(p.channels)) {
    if (!isRecord(c)) continue;
    if (c.type === 'wecom' || c.type === 'dingtalk') out.push(c.type);
    if (c.type === 'sms' && typeof p.phone === 'string' && isRecord(deployment.sms)) out.push('sms');
  }
  return out;
}

/**
 * Problems of the deployment block and the channels, against the region the county deploys to
 * (`region`, default the file's own `deployment.region`). Written against `unknown`: it runs on malformed
 * files too, skipping what the field rules already report.
 */
export function deploymentProblems(county: unknown, region?: string): DeploymentProblem[] {
  if (!isRecord(county)) return [];
  const problems: DeploymentProblem[] = [];
  const deployment = isRecord(county.deployment) ? county.deployment : undefined;
  const fileRegion = typeof deployment?.region === 'string' ? deployment.region : undefined;
  const target = region ?? fileRegion;

  if (fileRegion !== undefined && !(isRecord(deployment?.ops) && list(deployment.ops.emails).length > 0)) {
    problems.push({ path: ['deployment', 'ops', 'emails'], message: `a county that names a region (${fileRegion}) must name the ops contacts who hear its alarms` });
  }

  const everyone: { path: Path; person: RawPerson }[] = [
    ...mustBeTold(county),
    ...list(county.supervisors).flatMap((p, i) => (isRecord(p) ? [{ path: ['supervisors', i] as Path, person: p }] : [])),
  ];
  const hasSms = isRecord(deployment?.sms);
  for (const { path, person } of everyone) {
    list(person.channels).forEach((c, ci) => {
      if (!isRecord(c) || c.type !== 'sms') return;
      if (typeof person.phone !== 'string') problems.push({ path: [...path, 'channels', ci], message: 'an sms channel needs the person\'s phone' });
      else if (!hasSms) problems.push({ path: [...path, 'channels', ci], message: 'an sms channel needs deployment.sms (the county\'s SMS provider)' });
    });
  }

  if (target !== undefined && isChinaRegion(target)) {
    for (const who of mustBeTold(county)) {
      if (workingChannels(who, county, target).length > 0) continue;
      const name = typeof who.person.id === 'string' ? ` ${who.person.id}` : '';
      problems.push({
        path: who.path,
        message: `${who.role}${name} has no channel that works in ${target} (SNS has no SMS in China): give an e-mail, a wecom or dingtalk channel, `
          + 'an sms channel with deployment.sms, or a webhook of their level that covers them',
      });
    }
  }
  return problems;
}

/** Channels the relay function delivers (e-mail and webhooks are SNS's own subscriptions). */
export const RELAYED_CHANNELS: readonly ChannelType[] = CHANNEL_TYPES;
