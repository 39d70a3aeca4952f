/**
 * A local county for integration tests: the real runtime (DynamoDB Local, the synthesized state machine,
 * the handlers behind the API Gateway stand-in) in this process, spoken to over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalCounty, type LocalCounty } from '#local/runtime.js';
import { countyClient, until, type CountyClient } from './county-client.js';

export type { ApiResponse, NotificationLine } from './county-client.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/counties/', import.meta.url));

export interface TestCounty extends CountyClient {
  county: LocalCounty;
  /**
   * Waits until every running workflow waits at a stage: each change has then been published and counted in
   * the stats (the workflow's outbox runs before its stage waits).
   */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `fixture`: a county of test/fixtures/counties by name, or the absolute path of a county file. */
export async function startTestCounty(fixture = 'testville', opts: { inMemory?: boolean; dataDir?: string; databaseInFlight?: number } = {}): Promise<TestCounty> {
  const configFile = isAbsolute(fixture) ? fixture : join(FIXTURES, `${fixture}.json`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gridflow-test-'));
  const inMemory = opts.inMemory ?? true;
  const shared = inMemory ? sharedEngine() : undefined;
  const county = await startLocalCounty({
    configFile, dataDir, port: 0, inMemory, ...(shared ? { dynamoDb: shared } : {}),
    ...(opts.databaseInFlight === undefined ? {} : { databaseInFlight: opts.databaseInFlight }),
  });
  const settled = async (timeoutMs = 15_000) => {
    await until('every workflow waiting at a stage', () => {
      const s = county.stepFunctions.stats();
      return s.executionsRunning === s.waitingTokens;
    }, timeoutMs);
  };
  const stop = async () => {
    await county.stop();
    // The shared engine outlives this file: give its memory back.
    if (shared) await dropTable(shared).catch(() => undefined);
  };
  return { ...countyClient(county.url, dataDir), county, settled, stop };
}

/**
 * This worker's engine of test/global-setup.mjs with a table of this county's own, or undefined when the run
 * has none (a file run by another runner).
 */
function sharedEngine(): { endpoint: string; tableName: string } | undefined {
  const endpoints = (process.env.GRIDFLOW_TEST_DYNAMODB ?? '').split(',').filter(Boolean);
  if (endpoints.length === 0) return undefined;
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  return { endpoint: endpoints[(worker - 1) % endpoints.length]!, tableName: `gridflow-test-${randomUUID().slice(0, 8)}` };
}

async function dropTable({ endpoint, tableName }: { endpoint: string; tableName: string }): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } finally {
    client.destroy();
  }
}

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
