/**
 * Where SNS messages go on this machine (contract §5): one JSON object a line appended to
 * `<dataDir>/notifications.jsonl`, and an HTTP POST of the same object to every config webhook of the
 * message's level whose filter matches its attributes.
 *
 * When a `relay` is given (the channel relay of functions/channels/relay.ts, as the cloud's SNS subscription
 * runs it), it is called for every message written, retried like Lambda retries an asynchronous invocation.
 *
 * A message with a `notificationId` attribute is written and posted once, even when the runtime replays it
 * after a crash: the ids already written are read back from the file at start. (A crash between the write
 * and the POST loses that POST; the file is the record.)
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { now } from '#commons/clock.js';
import type { County } from '#config/county-schema.js';
import type { Level } from '#domain/incident.js';
import type { PublishRequest } from './aws-endpoints.js';

export const NOTIFICATIONS_FILE = 'notifications.jsonl';
const WEBHOOK_TIMEOUT_MS = 5_000;
const FILTER_KEYS = ['townId', 'communityId', 'gridId', 'category'] as const;

/** One line of notifications.jsonl, and the body POSTed to webhooks. */
export interface NotificationRecord {
  publishedAt: string;
  topic: string;
  level: Level;
  subject: string | null;
  message: string;
  attributes: Record<string, string>;
}

/** Structurally a powertools Logger. */
export interface SinkLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface NotificationSinkOptions {
  dataDir: string;
  webhooks: County['webhooks'];
  /** The level a topic belongs to; undefined for a topic this county does not have (Publish answers NotFound). */
  topicLevel: (topicArn: string) => Level | undefined;
  fetchImpl?: typeof fetch;
  logger?: SinkLogger;
  /** Per POST (default 5 s). */
  webhookTimeoutMs?: number;
  /** Called for every message written (the channel relay); a rejection is retried twice, as Lambda does. */
  relay?: (record: NotificationRecord) => Promise<unknown>;
}

const RELAY_ATTEMPTS = 3;
const RELAY_BACKOFF_MS = 500;

export interface NotificationSink {
  /** Resolves the SNS message id once the line is written; webhooks are posted in the background. */
  publish(msg: PublishRequest): Promise<string>;
  /** Waits for pending writes and webhook POSTs. */
  flush(): Promise<void>;
  /** Refuses further messages and waits for the pending ones. */
  close(): Promise<void>;
}

export function createNotificationSink(opts: NotificationSinkOptions): NotificationSink {
  const file = join(opts.dataDir, NOTIFICATIONS_FILE);
  const fetchImpl = opts.fetchImpl ?? fetch;
  const logger = opts.logger ?? new Logger({ serviceName: 'gridflow-local-notifications' });
  const timeoutMs = opts.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const deliveries = new Set<Promise<void>>();
  let state: { published: Set<string>; needsNewline: boolean } | undefined;
  /** Messages waiting for the writer, in call order. */
  const queue: Pending[] = [];
  let writer: Promise<void> | undefined;
  let closed = false;

  const load = async () => {
    await mkdir(opts.dataDir, { recursive: true });
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    const published = new Set<string>();
    for (const line of text.split('\n')) {
      const id = notificationIdOf(line);
      if (id !== undefined) published.add(id);
    }
    // A crash can leave a torn last line; the next line must not be glued to it.
    return { published, needsNewline: text.length > 0 && !text.endsWith('\n') };
  };

  const post = async (url: string, body: string) => {
    const where = safeUrl(url);
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined); // release the connection
      if (!res.ok) logger.warn('webhook answered with an error', { webhook: where, status: res.status });
    } catch (error) {
      logger.warn('webhook delivery failed', { webhook: where, error: (error as Error)?.name ?? String(error) });
    }
  };

  const relayWithRetries = async (record: NotificationRecord, relay: NonNullable<NotificationSinkOptions['relay']>) => {
    for (let attempt = 1; attempt <= RELAY_ATTEMPTS; attempt++) {
      try {
        await relay(record);
        return;
      } catch (error) {
        logger.warn('channel relay failed', { notificationId: record.attributes.notificationId, attempt, error: (error as Error).message });
        if (attempt < RELAY_ATTEMPTS) await new Promise((r) => setTimeout(r, RELAY_BACKOFF_MS * attempt));
      }
    }
  };

  const deliver = (record: NotificationRecord) => {
    if (opts.relay) {
      const relayed: Promise<void> = relayWithRetries(record, opts.relay).finally(() => deliveries.delete(relayed));
      deliveries.add(relayed);
    }
    const body = JSON.stringify(record);
    for (const hook of opts.webhooks) {
      if (hook.level !== record.level || !filterMatches(hook.filter, record.attributes)) continue;
      const delivery: Promise<void> = post(hook.url, body).finally(() => deliveries.delete(delivery));
      deliveries.add(delivery);
    }
  };

  /**
   * One writer drains the queue: every message queued meanwhile goes into one append, so a burst of a thousand
   * escalations is a few writes of the file rather than two thousand one after the other. Lines never
   * interleave, and the duplicate check sees every message before it (the ones of the same batch included).
   */
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.splice(0);
      try {
        state ??= await load();
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      const written: Pending[] = [];
      const lines: string[] = [];
      // Published when written: the time a reader of the file (and the bench) sees it.
      const at = now().toISOString();
      for (const p of batch) {
        const id = p.record.attributes.notificationId;
        if (id && state.published.has(id)) {
          logger.info('notification already published; replay skipped', { notificationId: id, topic: p.record.topic });
          p.resolve(p.messageId);
          continue;
        }
        if (id) state.published.add(id);
        p.record.publishedAt = at;
        lines.push(JSON.stringify(p.record));
        written.push(p);
      }
      if (lines.length === 0) continue;
      try {
        await appendFile(file, `${state.needsNewline ? '\n' : ''}${lines.join('\n')}\n`);
        state.needsNewline = false;
      } catch (error) {
        // Not written: not published either, so a retry may write them.
        for (const p of written) {
          const id = p.record.attributes.notificationId;
          if (id) state.published.delete(id);
          p.reject(error);
        }
        continue;
      }
      for (const p of written) {
        deliver(p.record);
        p.resolve(p.messageId);
      }
    }
  };
  const kick = () => {
    writer ??= drain().finally(() => { writer = undefined; if (queue.length > 0) kick(); });
  };

  const flush = async () => {
    while (writer) await writer;
    while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
  };

  return {
    publish(msg) {
      if (closed) return Promise.reject(new Error('the notification sink is closed'));
      const level = opts.topicLevel(msg.topicArn);
      if (level === undefined) return Promise.reject(Object.assign(new Error('Topic does not exist'), { name: 'NotFound' }));
      const notificationId = msg.attributes.notificationId;
      const record: NotificationRecord = {
        publishedAt: now().toISOString(),
        topic: msg.topicArn,
        level,
        subject: msg.subject ?? null,
        message: msg.message,
        attributes: { ...msg.attributes },
      };
      return new Promise<string>((resolve, reject) => {
        queue.push({ record, messageId: notificationId ? stableMessageId(notificationId) : randomUUID(), resolve, reject });
        kick();
      });
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}

interface Pending {
  record: NotificationRecord;
  messageId: string;
  resolve: (messageId: string) => void;
  reject: (error: unknown) => void;
}

/** Every filter list present must contain the message's attribute of that name. */
export function filterMatches(filter: County['webhooks'][number]['filter'], attributes: Record<string, string>): boolean {
  if (!filter) return true;
  return FILTER_KEYS.every((key) => {
    const allowed = filter[key];
    const value = attributes[key];
    return allowed === undefined || (value !== undefined && allowed.includes(value));
  });
}

function notificationIdOf(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  try {
    const record = JSON.parse(line) as { attributes?: { notificationId?: unknown } };
    const id = record?.attributes?.notificationId;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined; // a torn line from a crash: its message was never acknowledged
  }
}

/** A replay answers the message id of the first publish: a UUID derived from the notification id. */
function stableMessageId(notificationId: string): string {
  const h = createHash('sha256').update(notificationId).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Webhook URLs may carry secrets in their query: logs get the origin and path only. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
