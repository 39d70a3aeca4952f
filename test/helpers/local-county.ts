/**
 * A local county for integration tests: the real runtime (DynamoDB Local, the synthesized state machine,
 * the handlers behind the API Gateway stand-in) in this process, spoken to over HTTP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
export async function startTestCounty(fixture = 'testville', opts: { inMemory?: boolean; dataDir?: string } = {}): Promise<TestCounty> {
  const configFile = isAbsolute(fixture) ? fixture : join(FIXTURES, `${fixture}.json`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gridflow-test-'));
  const county = await startLocalCounty({ configFile, dataDir, port: 0, inMemory: opts.inMemory ?? true });
  const settled = async (timeoutMs = 15_000) => {
    await until('every workflow waiting at a stage', () => {
      const s = county.stepFunctions.stats();
      return s.executionsRunning === s.waitingTokens;
    }, timeoutMs);
  };
  return { ...countyClient(county.url, dataDir), county, settled, stop: () => county.stop() };
}

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
