/**
 * `npm run -s stuck -- list | retry [INCIDENT_ID...] [--data-dir DIR] [--json]`
 * Incidents whose workflow failed too often to be restarted (functions/workflow/reconcile.ts), on the local county
 * running with that data dir: `list` prints them, `retry` clears their mark after a fix and starts a fresh
 * execution of each (all of them without ids). It invokes the reconcile function through the local Lambda Invoke
 * endpoint, exactly as ops do in the cloud:
 *   aws lambda invoke --function-name <ReconcileFunctionName> --cli-binary-format raw-in-base64-out \
 *     --payload '{"stuck":"list"}' out.json        # or {"stuck":"retry"} / {"stuck":"retry","incidentIds":[...]}
 */
import { parseArgs } from 'node:util';
import type { StuckIncident } from '#workflow/reconcile.js';
import { readRunningCounty } from './runtime-file.js';
import { resolveDataDir } from './tokens.js';

const USAGE = 'usage: npm run -s stuck -- list | retry [INCIDENT_ID...] [--data-dir DIR] [--json]';

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...ids] = positionals;
  if (command !== 'list' && command !== 'retry') throw new UsageError(`unknown command ${command ?? '(none)'}`);
  if (command === 'list' && ids.length > 0) throw new UsageError('list takes no incident ids');
  const dataDir = resolveDataDir(values['data-dir']);
  const county = readRunningCounty(dataDir);
  if (!county?.reconcileFunction) {
    process.stderr.write(`stuck: no local county is running with data dir ${dataDir} (start it with npm start -- --data-dir ${dataDir})\n`);
    return 1;
  }
  const payload = command === 'list' ? { stuck: 'list' } : { stuck: 'retry', ...(ids.length > 0 ? { incidentIds: ids } : {}) };
  const res = await fetch(`${county.awsEndpoint}/2015-03-31/functions/${encodeURIComponent(county.reconcileFunction)}/invocations`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload),
  });
  const body = await res.json() as Record<string, unknown>;
  if (!res.ok || res.headers.get('x-amz-function-error')) {
    process.stderr.write(`stuck: the reconcile function failed: ${JSON.stringify(body)}\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  if (command === 'list') {
    const stuck = body.stuck as StuckIncident[];
    if (stuck.length === 0) process.stdout.write('no stuck incidents\n');
    for (const s of stuck) {
      process.stdout.write(`${s.incidentId}  ${s.status} at ${s.level}  ${s.failedExecutions} failed executions, last ${s.executionName} (${s.at}): ${s.error}${s.cause ? `: ${s.cause}` : ''}\n`);
    }
  } else {
    const { retried, notStuck } = body as { retried: string[]; notStuck: string[] };
    for (const id of retried) process.stdout.write(`retried ${id}\n`);
    for (const id of notStuck) process.stdout.write(`not stuck: ${id}\n`);
    if (retried.length === 0 && notStuck.length === 0) process.stdout.write('no stuck incidents\n');
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`stuck: ${e instanceof Error ? e.message : String(e)}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
