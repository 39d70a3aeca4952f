/**
 * Stats counters in the county table (table-design.ts): pk `STATS#<scope>`, sk an hour bucket
 * `yyyy-mm-ddThh` (UTC, by when the incident was reported) or `ALL`, one numeric attribute per counter.
 * Written only inside the incident's own transaction (incident-repository.ts), read here: one GetItem
 * for all time, one Query over a range of hours for a window — never a Scan.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ALL_TIME_BUCKET, type BucketRange, type CounterWrite, type Counters } from '../domain/stats.js';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY } from './table-design.js';

export const STATS_PK_PREFIX = 'STATS#';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const statsKey = (scope: string, bucket: string) => ({ [TABLE_PARTITION_KEY]: `${STATS_PK_PREFIX}${scope}`, [TABLE_SORT_KEY]: bucket });

/** One unconditional ADD per counter item; an item that does not exist yet starts at 0. */
export function counterUpdates(tableName: string, writes: readonly CounterWrite[]): TransactItem[] {
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
        Key: statsKey(w.scope, w.bucket),
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
    if (key === TABLE_PARTITION_KEY || key === TABLE_SORT_KEY) continue;
    if (typeof value === 'number') counters[key] = value;
  }
  return counters;
}

export class StatsRepository {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  /** The counter items of `scope` over `range` (all time: the single all-time item). */
  async read(scope: string, range: BucketRange['range']): Promise<Counters[]> {
    if (range === null) {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: statsKey(scope, ALL_TIME_BUCKET), ConsistentRead: true }));
      return out.Item ? [countersOf(out.Item)] : [];
    }
    const items: Counters[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
        ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY },
        ExpressionAttributeValues: { ':pk': `${STATS_PK_PREFIX}${scope}`, ':first': range.first, ':last': range.last },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      for (const item of out.Items ?? []) items.push(countersOf(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
