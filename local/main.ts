/**
 * `npm start`: the county running on this machine (contract §6).
 *   npm start -- [--port 3000] [--data-dir .gridflow] [--county shouyang | --config FILE] [--clock ISO]
 * Prints one line containing `ready` once /health answers; stops cleanly on SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDataDir } from './tokens.js';
import { localName } from '#config/names.js';
import { now } from '#commons/clock.js';
import { yearsWithoutCalendarData } from '#domain/deadlines.js';

// The SDK's notice that its 2027 releases need Node 22 says nothing about this run; keep the console for it.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes('NodeVersionSupportWarning')) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const USAGE = 'usage: npm start -- [--port N] [--data-dir DIR] [--county ID | --config FILE] [--clock ISO-DATE-TIME]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        county: { type: 'string' },
        config: { type: 'string' },
        clock: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a port number, not ${values.port ?? process.env.PORT}\n${USAGE}\n`);
    process.exit(2);
  }
  // Drills (contract §7): the county's clock starts at this instant and runs on at normal speed.
  const clock = values.clock === undefined ? undefined : new Date(values.clock);
  if (clock !== undefined && (Number.isNaN(clock.getTime()) || !/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(values.clock!))) {
    process.stderr.write(`--clock must be an ISO 8601 date-time such as 2026-09-30T16:00:00+08:00, not ${values.clock}\n${USAGE}\n`);
    process.exit(2);
  }
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const dataDir = resolveDataDir(values['data-dir']);
  // Tests of the runtime that never open the console set GRIDFLOW_CONSOLE_BUILD=skip (a build takes a minute).
  if (process.env.GRIDFLOW_CONSOLE_BUILD !== 'skip') {
    const { ensureConsoleBuilt } = await import('./console-build.js');
    await ensureConsoleBuilt((line) => process.stdout.write(`gridflow: ${line}\n`));
  }
  const { startLocalCounty } = await import('./runtime.js');
  const started = Date.now();
  let running = false;
  const county = await startLocalCounty({
    dataDir,
    port,
    ...(values.config ? { configFile: resolve(cwd, values.config) } : { countyId: values.county ?? 'shouyang' }),
    ...(clock ? { clock } : {}),
    onFatal: (error) => {
      process.stderr.write(`gridflow: ${error.message}; stopping\n`);
      // Before start-up completed there is nothing to stop yet.
      void (running ? county.stop() : Promise.resolve()).finally(() => process.exit(1));
    },
  });

  running = true;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`gridflow: ${signal}, stopping\n`);
    county.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // /health asks the database: a machine under load may need a moment more than the start-up took.
  let health = await fetch(`${county.url}/health`);
  for (let attempt = 1; !health.ok && attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 1_000));
    health = await fetch(`${county.url}/health`);
  }
  if (!health.ok) throw new Error(`/health answered ${health.status}: ${await health.text()}`);
  const countyName = localName(county.county.name, county.county.locale);
  const missing = yearsWithoutCalendarData(county.county, now());
  if (missing.length > 0) {
    process.stderr.write(
      `gridflow: warning: the calendar of ${countyName} names no holidays or make-up workdays for ${missing.join(' and ')}: ` +
      'only the weekend applies then; add the State Council\'s schedule to the county file\n',
    );
  }
  if (clock) process.stdout.write(`gridflow: the county's clock started at ${clock.toISOString()} (tokens and their expiry keep real time)\n`);
  process.stdout.write(
    `gridflow: ${countyName} (${county.county.id}) ready at ${county.url} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    `console: ${county.consoleUrl}/ ; ` +
    `data in ${dataDir}; tokens: npm run -s token -- --role grid --scope <gridId>\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`gridflow: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
