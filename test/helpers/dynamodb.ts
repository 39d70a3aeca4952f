/**
 * Integration tests' DynamoDB: a real DynamoDB Local (in memory, free port) with the county table
 * created. Clients are built with the endpoint explicitly, never from the module-scope ones.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Incident } from '#domain/incident.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '#local/dynamodb-local.js';
import { ensureTable } from '#storage/create-table.js';
import { translateConfig } from '#storage/dynamodb.js';

export interface TestDynamoDb {
  endpoint: string;
  /** Java process id, to check that stop() left nothing behind. */
  pid: number;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  stop(): Promise<void>;
}

/** Dummy values: DynamoDB Local accepts any credentials, the SDK only needs some. */
export function setLocalAwsEnv(): void {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}

export async function startTestDynamoDb(): Promise<TestDynamoDb> {
  setLocalAwsEnv();
  const local = await startDynamoDbLocal({ inMemory: true });
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = `gridflow-test-${randomUUID().slice(0, 8)}`;
  try {
    await ensureTable(client, tableName);
  } catch (e) {
    client.destroy();
    await local.stop();
    throw e;
  }
  return {
    endpoint: local.endpoint,
    pid: local.pid,
    client,
    documentClient: DynamoDBDocumentClient.from(client, translateConfig),
    tableName,
    stop: async () => {
      client.destroy();
      await local.stop();
    },
  };
}

/** True while a process with that id runs (a zombie nobody reaped yet counts as gone). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux'; // no /proc: trust kill(pid, 0)
  }
}

/** A plausible stored incident; tests override what they look at. */
export function testIncident(over: Partial<Incident> = {}): Incident {
  const id = over.id ?? `inc-${randomUUID().slice(0, 8)}`;
  return {
    id, countyId: 'shouyang', category: 'conflict', title: 'Fence dispute', description: 'Two neighbours argue about a fence.',
    gridId: 'heishui-09', communityId: 'heishui', townId: 'pingtou',
    location: { lat: 37.9, lng: 113.2, address: 'Heishui Village' },
    reporter: { name: 'Resident', phone: '13800000000' }, reportedBy: 'resident-1', occurredAt: null,
    status: 'open', level: 'grid', deadline: '2025-03-02T00:00:00.000Z', overdue: false, acknowledgedBy: null,
    resolution: null, resolvedOnSpot: false, createdAt: '2025-03-01T00:00:00.000Z', updatedAt: '2025-03-01T00:00:00.000Z',
    version: 1,
    timeline: [{ at: '2025-03-01T00:00:00.000Z', type: 'reported', level: 'grid', actor: 'resident-1', note: null, reason: null }],
    policy: { deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] },
    workflow: {
      levelEnteredAt: '2025-03-01T00:00:00.000Z', approachingReminded: false, overdueReminders: 0,
      verificationDue: null, taskToken: null, executionName: null, notifiedThrough: 0,
    },
    ...over,
  };
}
