/**
 * `npm run -s check-config -- (--county ID | --config FILE) [--data-dir DIR | --table NAME]`
 * Checks a county file before it is used: every schema problem by JSON path (as at load), and, with the
 * incidents at hand, that it removes no grid and no category that still has open incidents (contract §2),
 * listing them. Exit code 0 when the file can be used, 1 when not (2 for a usage error).
 *  - `--data-dir DIR`: the local county's data (the running county's database, or DynamoDB Local started on it);
 *  - `--table NAME`: a deployed county's table (the stack output `TableName`), with the usual AWS credentials and
 *    region (AWS_PROFILE, AWS_REGION): run it before `cdk deploy` of a changed county file.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CountyConfigError, loadCounty, loadCountyFile } from '#config/county-loader.js';
import { checkAgainstTable } from './config-check.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { readRunningCounty } from './runtime-file.js';
import { resolveDataDir } from './tokens.js';

const USAGE = 'usage: npm run -s check-config -- (--county ID | --config FILE) [--data-dir DIR | --table NAME]';
const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: {
      county: { type: 'string' }, config: { type: 'string' }, 'data-dir': { type: 'string' }, table: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ((values.county === undefined) === (values.config === undefined)) throw new UsageError('give one of --county and --config');
  if (values['data-dir'] !== undefined && values.table !== undefined) throw new UsageError('give at most one of --data-dir and --table');
  const source = values.config !== undefined ? resolve(process.env.INIT_CWD ?? process.cwd(), values.config) : `counties/${values.county}.json`;
  const county = values.config !== undefined ? loadCountyFile(source) : loadCounty(values.county!);

  let checked: number | undefined;
  if (values.table !== undefined) {
    const client = new DynamoDBClient({});
    try { checked = await checkAgainstTable(county, client, values.table, source); } finally { client.destroy(); }
  } else if (values['data-dir'] !== undefined) {
    const dataDir = resolveDataDir(values['data-dir']);
    const running = readRunningCounty(dataDir);
    const dbDir = join(dataDir, 'dynamodb');
    if (!running && !existsSync(dbDir)) throw new UsageError(`${dataDir} holds no county data (no ${dbDir})`);
    const local = running ? undefined : await startDynamoDbLocal({ dataDir: dbDir });
    const client = new DynamoDBClient({ endpoint: running?.dynamoDbEndpoint ?? local!.endpoint, ...LOCAL });
    try { checked = await checkAgainstTable(county, client, `gridflow-${county.id}`, source); } finally {
      client.destroy();
      await local?.stop();
    }
  }
  process.stdout.write(`${source}: valid${checked === undefined ? ' (no incidents checked: give --data-dir or --table)' : `; removes nothing ${checked} open incidents need`}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof CountyConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`check-config: ${e instanceof Error ? e.message : String(e)}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    }
  },
);
