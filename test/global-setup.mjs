/**
 * One in-memory DynamoDB Local per jest worker, started once for the whole run: a test file's local county
 * uses its worker's engine with a table of its own (test/helpers/local-county.ts) instead of starting a JVM
 * of its own (seconds of CPU, and a cold engine, for every file). Tests that kill, stall or restart their
 * database (outage, crash-restart, storage's engine tests, spawned counties) still start their own.
 * Plain ESM run by jest itself: the engine's launcher is the runtime's own, loaded through tsx.
 */
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup(globalConfig) {
  const { startDynamoDbLocal } = await tsImport('../local/dynamodb-local.ts', import.meta.url);
  const engines = await Promise.all(Array.from({ length: Math.max(1, globalConfig.maxWorkers) }, () => startDynamoDbLocal({ inMemory: true })));
  globalThis.gridflowTestEngines = engines;
  process.env.GRIDFLOW_TEST_DYNAMODB = engines.map((e) => e.endpoint).join(',');
}
