/**
 * Per-message idempotency of the channel relay: SNS may deliver a message twice, Lambda retries a failed
 * invocation, and the local runtime replays after a crash. Every (notificationId, target) pair is claimed with
 * a conditional write in the county table before the send and marked sent after it; a failed send releases
 * its claim so the retry sends again, and a claim whose sender died expires after a lease.
 *
 * Items: pk `NOTIFY#<notificationId>`, sk `TARGET#<hash of the target>` (no phone number or robot URL in a
 * key), removed by the table's TTL a week later.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from '#storage/table-design.js';

export const CLAIM_LEASE_SECONDS = 120;
export const CLAIM_TTL_SECONDS = 7 * 24 * 3600;

const isConditionFailure = (e: unknown) => e instanceof Error && e.name === 'ConditionalCheckFailedException';
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export class DeliveryClaims {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  static key(notificationId: string, target: string): Record<string, string> {
    return {
      [TABLE_PARTITION_KEY]: `NOTIFY#${notificationId}`,
      [TABLE_SORT_KEY]: `TARGET#${createHash('sha256').update(target).digest('base64url').slice(0, 22)}`,
    };
  }

  /** True when this caller may send now; false when it was sent already or another sender holds it. */
  async claim(notificationId: string, target: string, now: Date): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...DeliveryClaims.key(notificationId, target), state: 'sending', leaseUntil: seconds(now) + CLAIM_LEASE_SECONDS, [TABLE_TTL_ATTRIBUTE]: seconds(now) + CLAIM_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(#pk) OR (#state = :sending AND #lease < :now)',
        ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#state': 'state', '#lease': 'leaseUntil' },
        ExpressionAttributeValues: { ':sending': 'sending', ':now': seconds(now) },
      }));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async sent(notificationId: string, target: string, now: Date): Promise<void> {
    await this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: DeliveryClaims.key(notificationId, target),
      UpdateExpression: 'SET #state = :sent, sentAt = :at REMOVE leaseUntil',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sent': 'sent', ':at': now.toISOString() },
    }));
  }

  /** After a failed send: the next attempt (Lambda's retry, SNS's redelivery) sends again. */
  async release(notificationId: string, target: string): Promise<void> {
    await this.doc.send(new DeleteCommand({
      TableName: this.tableName,
      Key: DeliveryClaims.key(notificationId, target),
      ConditionExpression: '#state = :sending',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sending': 'sending' },
    })).catch((e: unknown) => { if (!isConditionFailure(e)) throw e; });
  }
}
