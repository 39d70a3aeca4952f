/**
 * Idempotency-Key records (contract §4): a repeat with the same key and body within 24 h answers
 * the first response again. begin() claims the key with a conditional write, so two concurrent
 * requests with the same key cannot both go on to create an incident.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from './table-design.js';
import { now as clockNow } from '../commons/clock.js';

/** How long a completed response is replayed. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/**
 * How long an in-progress marker blocks its key: beyond any API request's duration (an API function runs at
 * most 10 s), yet short, because a request that timed out against a stalled table may not have been able to
 * release it. A request overtaken after its lease can no longer store anything: its write is conditional on
 * its own attempt (completionItem).
 */
export const IN_PROGRESS_LEASE_SECONDS = 60;
/** URI-encoded keys are ASCII: characters are bytes. Well under DynamoDB's 2,048-byte partition key. */
const MAX_READABLE_KEY_BYTES = 1024;

export interface StoredResponse {
  statusCode: number;
  /** The exact response text: a re-serialized object could differ (DynamoDB maps do not keep key order). */
  body: string;
  headers?: Record<string, string>;
}

export type BeginResult =
  | { kind: 'new'; attempt: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress'; retryAfterSeconds: number };

/** sha256 of what makes two requests "the same": method, path and body. */
export function hashRequest(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method.toUpperCase()}\n${path}\n${body}`).digest('hex');
}

interface IdempotencyRecord {
  requestHash?: string;
  attempt?: string;
  state?: 'in-progress' | 'complete';
  response?: StoredResponse;
  expiresAt?: number;
}

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);
const isConditionFailure = (e: unknown): boolean => e instanceof Error && e.name === 'ConditionalCheckFailedException';

export class IdempotencyStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  /**
   * `sub` and `key` are URI-encoded so that no (sub, key) pair can collide with another through '#'. A pair
   * whose encoding would not fit a partition key (2,048 bytes; a 255-character subject in Chinese encodes to
   * 2,295) is stored under its SHA-256 instead, with a prefix no readable key has.
   */
  static key(sub: string, key: string): Record<string, string> {
    const readable = `IDEM#${encodeURIComponent(sub)}#${encodeURIComponent(key)}`;
    const pk = readable.length <= MAX_READABLE_KEY_BYTES ? readable
      : `IDEMH#${createHash('sha256').update(`${sub}\u0000${key}`).digest('hex')}`;
    return { [TABLE_PARTITION_KEY]: pk, [TABLE_SORT_KEY]: 'IDEM' };
  }

  async begin(sub: string, key: string, requestHash: string, now: Date = clockNow()): Promise<BeginResult> {
    const nowSeconds = epochSeconds(now);
    const mine = randomUUID();
    // A record may vanish (abandon, expiry) between the failed claim and the read: claim again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.doc.send(new PutCommand({
          TableName: this.tableName,
          Item: {
            ...IdempotencyStore.key(sub, key),
            requestHash,
            attempt: mine,
            state: 'in-progress',
            createdAt: now.toISOString(),
            [TABLE_TTL_ATTRIBUTE]: nowSeconds + IN_PROGRESS_LEASE_SECONDS,
          },
          // DynamoDB TTL deletes lazily: an expired record counts as absent.
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#expiresAt': TABLE_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }));
        return { kind: 'new', attempt: mine };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: IdempotencyStore.key(sub, key), ConsistentRead: true }));
      const record = out.Item as IdempotencyRecord | undefined;
      if (!record || (record.expiresAt ?? 0) < nowSeconds) continue;
      if (record.requestHash !== requestHash) return { kind: 'mismatch' };
      if (record.state === 'complete' && record.response) return { kind: 'replay', response: record.response };
      return { kind: 'in-progress', retryAfterSeconds: Math.max(1, (record.expiresAt ?? nowSeconds) - nowSeconds) };
    }
    return { kind: 'in-progress', retryAfterSeconds: 1 };
  }

  /**
   * The write that completes attempt `attempt` with `response`, to go into the same transaction as the change
   * the request makes: the response is stored if and only if the change is, whatever happens to the request
   * afterwards (a timeout, a lost answer). A retry then replays it instead of applying the request again. It
   * fails the transaction when the attempt no longer holds the key (its lease ran out and a retry took over).
   */
  completionItem(sub: string, key: string, attempt: string, response: StoredResponse, now: Date = clockNow()) {
    return {
      Update: {
        TableName: this.tableName,
        Key: IdempotencyStore.key(sub, key),
        UpdateExpression: 'SET #state = :complete, #response = :response, #expiresAt = :expiresAt',
        ConditionExpression: '#attempt = :attempt AND #state = :inProgress',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response', '#expiresAt': TABLE_TTL_ATTRIBUTE, '#attempt': 'attempt' },
        ExpressionAttributeValues: {
          ':complete': 'complete', ':response': response, ':expiresAt': epochSeconds(now) + IDEMPOTENCY_TTL_SECONDS,
          ':attempt': attempt, ':inProgress': 'in-progress',
        },
      },
    };
  }

  /**
   * Stores the response to replay for 24 h. Returns false when the marker was gone (abandoned, or
   * its lease ran out): the response is then not stored rather than stored without its request hash.
   */
  async complete(sub: string, key: string, response: StoredResponse, now: Date = clockNow()): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: IdempotencyStore.key(sub, key),
        UpdateExpression: 'SET #state = :complete, #response = :response, #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#state': 'state', '#response': 'response', '#expiresAt': TABLE_TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':complete': 'complete', ':response': response, ':expiresAt': epochSeconds(now) + IDEMPOTENCY_TTL_SECONDS },
      }));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /**
   * The request failed: release the key so a retry can succeed. A completed record is never deleted, nor the
   * marker of another attempt that took over.
   */
  async abandon(sub: string, key: string, attempt?: string): Promise<void> {
    try {
      await this.doc.send(new DeleteCommand({
        TableName: this.tableName,
        Key: IdempotencyStore.key(sub, key),
        ConditionExpression: `#state = :inProgress${attempt === undefined ? '' : ' AND #attempt = :attempt'}`,
        ExpressionAttributeNames: { '#state': 'state', ...(attempt === undefined ? {} : { '#attempt': 'attempt' }) },
        ExpressionAttributeValues: { ':inProgress': 'in-progress', ...(attempt === undefined ? {} : { ':attempt': attempt }) },
      }));
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }
}
