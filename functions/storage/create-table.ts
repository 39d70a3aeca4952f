/**
 * CreateTable for the county table, derived from table-design.ts only, so the local runtime's table
 * and the CDK table (compared in a test) cannot drift.
 */
import {
  CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, ResourceInUseException, UpdateTableCommand,
  UpdateTimeToLiveCommand, waitUntilTableExists, type CreateTableCommandInput, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { INDEXES, KEY_ATTRIBUTES, TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from './table-design.js';

export function createTableInput(tableName: string): CreateTableCommandInput & { TableName: string } {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: KEY_ATTRIBUTES.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: TABLE_SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: Object.values(INDEXES).map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: index.projected.length > 0
        ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projected] }
        : { ProjectionType: 'KEYS_ONLY' },
    })),
  };
}

/**
 * Creates the table if it is missing, waits until it is ACTIVE, adds the indexes of the design an older table
 * lacks (as CloudFormation does on deploy; index-backfill.ts then fills them) and enables TTL. Safe to call on
 * every start.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  await ensureIndexes(client, tableName);
  await ensureTtl(client, tableName);
}

/** One UpdateTable per missing index (DynamoDB creates one at a time), each waited for until ACTIVE. */
async function ensureIndexes(client: DynamoDBClient, tableName: string): Promise<void> {
  const input = createTableInput(tableName);
  const existing = await indexStatuses(client, tableName);
  for (const index of input.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName!)) continue;
    await client.send(new UpdateTableCommand({
      TableName: tableName,
      AttributeDefinitions: input.AttributeDefinitions,
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
    }));
    for (let waited = 0; (await indexStatuses(client, tableName)).get(index.IndexName!) !== 'ACTIVE'; waited++) {
      if (waited >= 240) throw new Error(`index ${index.IndexName} of table ${tableName} did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function indexStatuses(client: DynamoDBClient, tableName: string): Promise<Map<string, string | undefined>> {
  const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return new Map((out.Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName!, i.IndexStatus]));
}

async function ensureTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = current.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
    }));
  } catch (e) {
    // TTL only saves storage: readers already treat expired records as absent. Emulators may not
    // implement TTL or may answer "already enabled"; a missing table, though, is a real error.
    const table = await client.send(new DescribeTableCommand({ TableName: tableName })).catch(() => undefined);
    if (!table?.Table) throw e;
  }
}
