/**
 * Stats counter cells in the county table (table-design.ts; what they count: functions/domain/stats.ts):
 *
 * - cohort cell: pk `STATS#<bucket>` (`YYYY-MM-DD`, `YYYY-MM` or `ALL`), sk `<townId>#<gridId>#<category>`
 * - series cell: pk `SERIES#<townId>`, sk `<YYYY-MM-DD>#<gridId>`
 *
 * one numeric attribute per counter. The workflow adds to them in the transaction that records how much of an
 * incident's timeline it has counted (functions/workflow/outbox.ts), so each change counts once. A jurisdiction's cells of one bucket are one Query (a town's or a grid's
 * are a key prefix), a town's days one Query over a key range: never a Scan, never one read per unit.
 */
import {
  QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { CellKey, CellWrite, CohortCell, Counters, SeriesCell } from '../domain/stats.js';
import { inParallel } from '../commons/in-parallel.js';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY } from './table-design.js';

export const STATS_PK_PREFIX = 'STATS#';
export const SERIES_PK_PREFIX = 'SERIES#';
/** Sorts after every id character ([a-z0-9-]): the upper end of a key range. */
const AFTER_IDS = '~';
/** Queries of one read in flight at once. */
const READ_CONCURRENCY = 8;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export function cellKey(cell: CellKey): Record<string, string> {
  return cell.kind === 'cohort'
    ? { [TABLE_PARTITION_KEY]: `${STATS_PK_PREFIX}${cell.bucket}`, [TABLE_SORT_KEY]: `${cell.townId}#${cell.gridId}#${cell.category}` }
    : { [TABLE_PARTITION_KEY]: `${SERIES_PK_PREFIX}${cell.townId}`, [TABLE_SORT_KEY]: `${cell.day}#${cell.gridId}` };
}

/** One unconditional ADD per cell; a cell that does not exist yet starts at 0. */
export function counterUpdates(tableName: string, writes: readonly CellWrite[]): TransactItem[] {
  return writes.map((w) => {
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const terms = Object.entries(w.add).map(([counter, n], i) => {
      names[`#c${i}`] = counter;
      values[`:c${i}`] = n;
      return `#c${i} :c${i}`;
    });
    return {
      Update: {
        TableName: tableName,
        Key: cellKey(w.cell),
        UpdateExpression: `ADD ${terms.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  });
}

function countersOf(item: Record<string, unknown>): Counters {
  const counters: Counters = {};
  for (const [key, value] of Object.entries(item)) {
    if (key !== TABLE_PARTITION_KEY && key !== TABLE_SORT_KEY && typeof value === 'number' && value !== 0) counters[key] = value;
  }
  return counters;
}

const negate = (c: Counters): Counters => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, -v]));

export class StatsRepository {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  /** The additions as transaction items (they commit with the workflow's progress: incident-repository.ts). */
  updates(writes: readonly CellWrite[]): TransactItem[] {
    return counterUpdates(this.tableName, writes);
  }

  /**
   * The cohort cells under `prefix` (`''` the county, `town#` a town, `town#grid#` a grid) of the buckets
   * `add`, and those of `subtract` negated: their sum is the window's.
   */
  async cohortCells(plan: { add: readonly string[]; subtract: readonly string[] }, prefix: string): Promise<CohortCell[]> {
    const read = async (bucket: string, sign: 1 | -1) => {
      const items = await this.queryAll({
        KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, ...(prefix ? { '#sk': TABLE_SORT_KEY } : {}) },
        ExpressionAttributeValues: { ':pk': `${STATS_PK_PREFIX}${bucket}`, ...(prefix ? { ':prefix': prefix } : {}) },
      });
      return items.map((item): CohortCell => {
        const [townId = '', gridId = '', category = ''] = String(item[TABLE_SORT_KEY]).split('#');
        const counters = countersOf(item);
        return { townId, gridId, category, counters: sign === 1 ? counters : negate(counters) };
      });
    };
    const buckets = [...plan.add.map((b) => [b, 1] as const), ...plan.subtract.map((b) => [b, -1] as const)];
    const cells = await inParallel(buckets, READ_CONCURRENCY, ([bucket, sign]) => read(bucket, sign));
    return cells.flat();
  }

  /** The series cells of `townIds` from `fromDay` to `toDay` (both included). */
  async seriesCells(townIds: readonly string[], fromDay: string, toDay: string): Promise<SeriesCell[]> {
    const read = async (townId: string) => {
      const items = await this.queryAll({
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
        ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY },
        ExpressionAttributeValues: { ':pk': `${SERIES_PK_PREFIX}${townId}`, ':first': `${fromDay}#`, ':last': `${toDay}#${AFTER_IDS}` },
      });
      return items.map((item): SeriesCell => {
        const [day = '', gridId = ''] = String(item[TABLE_SORT_KEY]).split('#');
        return { day, gridId, counters: countersOf(item) };
      });
    };
    return (await inParallel(townIds, READ_CONCURRENCY, read)).flat();
  }

  /**
   * The first local day anything was counted in `townIds` (every reported incident counts a series cell on the
   * day it was reported, in its town then), or null when nothing was: one Query of one item per town.
   */
  async firstSeriesDay(townIds: readonly string[]): Promise<string | null> {
    const read = async (townId: string) => {
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tableName, ConsistentRead: true, Limit: 1, ScanIndexForward: true,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY },
        ExpressionAttributeValues: { ':pk': `${SERIES_PK_PREFIX}${townId}` },
        ProjectionExpression: '#sk',
      }));
      const sk = out.Items?.[0]?.[TABLE_SORT_KEY];
      return typeof sk === 'string' ? sk.split('#')[0]! : null;
    };
    const days = (await inParallel(townIds, READ_CONCURRENCY, read)).filter((d): d is string => d !== null);
    return days.length === 0 ? null : days.reduce((a, b) => (a < b ? a : b));
  }

  private async queryAll(q: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tableName, ConsistentRead: true, ...q, ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
