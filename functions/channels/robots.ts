/**
 * Group robots (contract §5): a WeCom (企业微信) group robot and a DingTalk (钉钉) custom robot, both by HTTPS
 * POST of JSON `msgtype: markdown` to the webhook URL held in the channel's secret.
 *
 * - WeCom: `{"msgtype":"markdown","markdown":{"content":"..."}}`, content at most 4096 bytes of UTF-8; the
 *   answer is `{"errcode":0,"errmsg":"ok"}`.
 * - DingTalk with signing (加签): the URL gets `timestamp` (epoch milliseconds) and `sign` = URL-encoded
 *   base64 of HMAC-SHA256 over `timestamp + "\n" + secret`, keyed with the secret; the body is
 *   `{"msgtype":"markdown","markdown":{"title":"...","text":"..."}}`; the answer is `{"errcode":0,...}`.
 */
import { createHmac } from 'node:crypto';
import { truncateUtf8, type RobotMarkdown } from './markdown.js';

const TIMEOUT_MS = 10_000;
export const WECOM_MAX_BYTES = 4096;

export class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** `sign` of DingTalk's signed URL for a timestamp in milliseconds (already URL-encoded). */
export function dingtalkSign(timestampMs: number, signingSecret: string): string {
  const mac = createHmac('sha256', signingSecret).update(`${timestampMs}\n${signingSecret}`).digest('base64');
  return encodeURIComponent(mac);
}

export function dingtalkSignedUrl(url: string, signingSecret: string, timestampMs: number): string {
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}timestamp=${timestampMs}&sign=${dingtalkSign(timestampMs, signingSecret)}`;
}

/** POSTs JSON and checks the robots' `errcode` answer (both platforms answer HTTP 200 with an error code). */
async function postRobot(url: string, body: unknown, platform: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new DeliveryError(`${platform} robot unreachable (${(error as Error).name})`, true);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new DeliveryError(`${platform} robot answered HTTP ${res.status}`, res.status >= 500 || res.status === 429);
  let answer: { errcode?: unknown; errmsg?: unknown } = {};
  try { answer = JSON.parse(text) as typeof answer; } catch { /* judged below */ }
  if (answer.errcode !== 0) {
    // Rate limits (WeCom 45009, DingTalk 130101) pass; a bad key or signature does not.
    const retryable = answer.errcode === 45009 || answer.errcode === 130101;
    throw new DeliveryError(`${platform} robot refused the message (errcode ${String(answer.errcode)}: ${String(answer.errmsg ?? '')})`, retryable);
  }
}

export function sendWecom(url: string, md: RobotMarkdown): Promise<void> {
  return postRobot(url, { msgtype: 'markdown', markdown: { content: truncateUtf8(md.text, WECOM_MAX_BYTES) } }, 'WeCom');
}

export function sendDingtalk(url: string, signingSecret: string, md: RobotMarkdown, nowMs: number): Promise<void> {
  return postRobot(dingtalkSignedUrl(url, signingSecret, nowMs), { msgtype: 'markdown', markdown: { title: md.title, text: md.text } }, 'DingTalk');
}
