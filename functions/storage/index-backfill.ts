/**
 * The backfill of an index added after counties were deployed (`backfilled` in table-design.ts: `gridCategory`),
 * and the marker that says it is done. This module is the whole protocol:
 *
 * - Incidents written before the index existed lack its partition attribute, so they are not in it. Every write
 *   of the current code sets it (incident-item.ts `indexAttributes`), so only old items need it.
 * - The backfill Scans the incident items and sets the attribute where it is missing or wrong, each with a
 *   conditional UpdateItem on the fields it is made of (a concurrent reassignment wins; the item is read again).
 *   Idempotent: a second run writes nothing. Resumable: after each page the Scan's position is saved on the
 *   marker item, and a run that stopped (a timeout, a crash) resumes there.
 * - When the Scan has reached the end, the marker item records `completedAt`. Lists read the index only once
 *   the marker says so (`isBackfilled`), so no older incident vanishes from a list meanwhile.
 *
 * Run by the local runtime at every start (a no-op once done) and in the cloud by the backfill function, which
 * the county stack invokes on deploy (functions/ops/backfill.ts).
 */
import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { now } from '../commons/clock.js';
import { inParallel } from '../commons/in-parallel.js';
import { compositeKey, INCIDENT_SK } from './incident-item.js';
import { INDEXES, TABLE_PARTITION_KEY, TABLE_SORT_KEY } from './table-design.js';

/** The indexes a backfill fills: their design names the fields of their partition key. */
export type BackfilledIndex = { [K in keyof typeof INDEXES]: (typeof INDEXES)[K] extends { backfilled: true } ? K : never }[keyof typeof INDEXES];

/** The backfill function's wait before a first scan, in seconds (functions/ops/backfill.ts; set by the county stack). */
export const BACKFILL_SETTLE_ENV = 'BACKFILL_SETTLE_SECONDS';

export const backfillMarkerKey = (index: BackfilledIndex) => ({ [TABLE_PARTITION_KEY]: `SCHEMA#${index}`, [TABLE_SORT_KEY]: 'BACKFILL' });

export interface BackfillOptions {
  /** Items per Scan page (the unit of resumption). @default 500 */
  readonly pageSize?: number;
  /** Asked before each page: false stops the run (resumable) without completing. @default always true */
  readonly continueWhile?: (pagesDone: number) => boolean;
  /** Conditional updates in flight. @default 16 */
  readonly concurrency?: number;
}

export interface BackfillReport {
  readonly index: BackfilledIndex;
  /** The marker already said done: nothing was read but the marker. */
  readonly alreadyDone: boolean;
  /** The marker says done now. */
  readonly done: boolean;
  /** Started from a saved position of an earlier run. */
  readonly resumed: boolean;
  readonly scanned: number;
  readonly written: number;
}

/** Whether the table's backfill of `index` has completed (a consistent read of the marker). */
export async function isBackfilled(doc: DynamoDBDocumentClient, tableName: string, index: BackfilledIndex): Promise<boolean> {
  const out = await doc.send(new GetCommand({ TableName: tableName, Key: backfillMarkerKey(index), ConsistentRead: true }));
  return typeof out.Item?.completedAt === 'string';
}

/** Fills `index`'s partition attribute on every incident item lacking it (or holding a stale one), then marks it done. */
export async function backfill(
  doc: DynamoDBDocumentClient, tableName: string, index: BackfilledIndex, opts: BackfillOptions = {},
): Promise<BackfillReport> {
  const design = INDEXES[index];
  const marker = backfillMarkerKey(index);
  const stored = (await doc.send(new GetCommand({ TableName: tableName, Key: marker, ConsistentRead: true }))).Item;
  if (typeof stored?.completedAt === 'string') return { index, alreadyDone: true, done: true, resumed: false, scanned: 0, written: 0 };
  let startKey = stored?.position as Record<string, unknown> | undefined;
  const resumed = startKey !== undefined;
  const names: Record<string, string> = { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY, '#attr': design.partitionKey };
  design.partitionOf.forEach((field, i) => { names[`#f${i}`] = field; });
  let scanned = 0;
  let written = 0;
  for (let page = 0; ; page++) {
    if (opts.continueWhile && !opts.continueWhile(page)) return { index, alreadyDone: false, done: false, resumed, scanned, written };
    const out = await doc.send(new ScanCommand({
      TableName: tableName,
      FilterExpression: '#sk = :incident',
      ProjectionExpression: ['#pk', '#sk', '#attr', ...design.partitionOf.map((_, i) => `#f${i}`)].join(', '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':incident': INCIDENT_SK },
      Limit: opts.pageSize ?? 500,
      ConsistentRead: true,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }));
    const items = out.Items ?? [];
    scanned += items.length;
    const stale = items.filter((item) => item[design.partitionKey] !== compositeKey(item, design.partitionOf));
    written += (await inParallel(stale, opts.concurrency ?? 16, (item) => fill(doc, tableName, design, item))).filter(Boolean).length;
    startKey = out.LastEvaluatedKey;
    // The position is saved only once its page is written: a resumed run never skips an item.
    await doc.send(new UpdateCommand({
      TableName: tableName, Key: marker,
      UpdateExpression: startKey ? 'SET #position = :position' : 'SET #completedAt = :at REMOVE #position',
      ExpressionAttributeNames: startKey ? { '#position': 'position' } : { '#completedAt': 'completedAt', '#position': 'position' },
      ExpressionAttributeValues: startKey ? { ':position': startKey } : { ':at': now().toISOString() },
    }));
    if (!startKey) return { index, alreadyDone: false, done: true, resumed, scanned, written };
  }
}

type Design = (typeof INDEXES)[BackfilledIndex];

/**
 * Sets the attribute from the item's fields if they are still those fields: a reassignment meanwhile (which writes
 * the attribute itself) makes the condition fail, and the item is read again. False when nothing needed writing.
 */
async function fill(doc: DynamoDBDocumentClient, tableName: string, design: Design, seen: Record<string, unknown>): Promise<boolean> {
  const key = { [TABLE_PARTITION_KEY]: seen[TABLE_PARTITION_KEY], [TABLE_SORT_KEY]: seen[TABLE_SORT_KEY] };
  let item: Record<string, unknown> | undefined = seen;
  for (let attempt = 1; item && item[design.partitionKey] !== compositeKey(item, design.partitionOf); attempt++) {
    const names: Record<string, string> = { '#pk': TABLE_PARTITION_KEY, '#attr': design.partitionKey };
    const values: Record<string, unknown> = { ':value': compositeKey(item, design.partitionOf) };
    const conditions = ['attribute_exists(#pk)'];
    design.partitionOf.forEach((field, i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = item![field];
      conditions.push(`#f${i} = :f${i}`);
    });
    try {
      await doc.send(new UpdateCommand({
        TableName: tableName, Key: key, UpdateExpression: 'SET #attr = :value',
        ConditionExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
      }));
      return true;
    } catch (e) {
      if (!(e instanceof Error && e.name === 'ConditionalCheckFailedException') || attempt >= 5) throw e;
      item = (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
    }
  }
  return false;
}
