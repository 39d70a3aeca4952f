/**
 * `npm run bench [-- --only intake,listing] [--replay-sample 20] [--runs 5] [--scale 10]`: every measurement of
 * docs/performance.md, printed and written to bench/results/latest.json, with its tables in latest.md (the
 * handlers' own log lines go to bench/results/handlers.log). `--scale N` runs a county of the demo's towns
 * repeated N times (bench/bench-county.ts) with N times its incidents: its figures are that county's (record
 * such a run under a name of its own, e.g. `--record 2026-12-02-x10`).
 *
 * Order: the local county starts while the cold-start bundles build; the cold-start processes run while the
 * county idles; then, in one county: listing (100 incidents, then 10,000), intake, deadlines, replay, and the
 * cost model over the replay. `cost` is part of `replay`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBundles, measureColdStarts } from './cold-start.js';
import { runCost } from './cost-run.js';
import { runDeadlines } from './deadlines.js';
import { runIntake } from './intake.js';
import { runListing } from './listing.js';
import { LogTap, muteNodeVersionNotice, note } from './output.js';
import { REPLAY_DEFAULTS, runReplay } from './replay.js';
import { startSession, type Session } from './session.js';
import { toMarkdown } from './markdown.js';
import { printComparison, printSummary, type BenchResults } from './summary.js';
import { comparisonRows, figuresOf, saveRun, type RecordedRun } from './compare.js';

const MEASUREMENTS = ['cold-start', 'listing', 'intake', 'deadlines', 'replay'] as const;
type Measurement = (typeof MEASUREMENTS)[number];
const ALIASES: Record<string, Measurement> = { cost: 'replay', coldstart: 'cold-start' };

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
/** One county day in bench seconds: four months pass in about two minutes. */
const DAY_SECONDS = 1;

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      'replay-sample': { type: 'string' },
      scale: { type: 'string' },
      runs: { type: 'string' },
      record: { type: 'string' },
    },
    strict: true,
  });
  const only = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean).map((v) => ALIASES[v] ?? v);
  for (const o of only) if (!(MEASUREMENTS as readonly string[]).includes(o)) throw new Error(`unknown measurement "${o}" (one of ${MEASUREMENTS.join(', ')}, cost)`);
  const positive = (v: string | undefined, fallback: number, name: string) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
    return n;
  };
  return {
    selected: (m: Measurement) => only.length === 0 || only.includes(m),
    replaySample: positive(values['replay-sample'], REPLAY_DEFAULTS.sample, 'replay-sample'),
    scale: positive(values.scale, 1, 'scale'),
    runs: positive(values.runs, 5, 'runs'),
    record: values.record,
  };
}

async function main(): Promise<void> {
  muteNodeVersionNotice();
  const opts = options();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const results: BenchResults & { startedAt: string; machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string } } & Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
    options: { replaySample: opts.replaySample, scale: opts.scale, coldStartRuns: opts.runs, daySeconds: DAY_SECONDS },
  };
  const timings: Record<string, number> = {};
  const load: Record<string, [number, number]> = {};
  const started = Date.now();
  const logs = new LogTap(join(RESULTS_DIR, 'handlers.log'));
  let session: Session | undefined;
  /** Times a phase and notes the machine's load before and after (other work on the machine skews figures). */
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const before = loadavg()[0]!;
    try {
      return await run();
    } finally {
      timings[name] = (Date.now() - t0) / 1000;
      load[name] = [Math.round(before * 100) / 100, Math.round(loadavg()[0]! * 100) / 100];
    }
  };

  try {
    const needsCounty = MEASUREMENTS.some((m) => m !== 'cold-start' && opts.selected(m));
    // The county boots (DynamoDB Local is a JVM) while CDK builds the bundles in this process.
    const starting = needsCounty ? phase('countyStart', () => startSession({ daySeconds: DAY_SECONDS, logs, scale: opts.scale })) : undefined;
    starting?.catch(() => undefined);
    if (opts.selected('cold-start')) {
      const t0 = Date.now();
      note('cold start: building every bundle with the stack\'s construct (esbuild through CDK)');
      const built = buildBundles('counties/shouyang.json');
      const buildSeconds = (Date.now() - t0) / 1000;
      session = await starting;
      results.coldStart = await phase('coldStart', async () => {
        try {
          return await measureColdStarts(built.bundles, opts.runs, buildSeconds);
        } finally {
          rmSync(built.outdir, { recursive: true, force: true });
        }
      });
    }
    session = await starting;
    const s = session!;
    if (opts.selected('listing')) results.listing = await phase('listing', () => runListing(s));
    if (opts.selected('intake')) results.intake = await phase('intake', () => runIntake(s));
    if (opts.selected('deadlines')) results.deadlines = await phase('deadlines', () => runDeadlines(s));
    if (opts.selected('replay')) {
      const replay = await phase('replay', () => runReplay(s, { ...REPLAY_DEFAULTS, sample: opts.replaySample }));
      results.replay = { ...replay.result, errors: { ...replay.result.errors, problems: logs.problems.slice(0, 10) } };
      results.cost = await phase('cost', () => runCost(s, replay, results.listing));
    }
  } finally {
    await session?.stop();
    results.logs = logs.snapshot();
    results.logProblems = logs.problems;
    await logs.close();
    results.timings = { ...timings, total: (Date.now() - started) / 1000 };
    results.loadAverage = load;
    const now: RecordedRun = {
      run: String(results.startedAt),
      machine: `${results.machine.cpus} vCPU ${results.machine.cpuModel}, Node ${results.machine.node}; one-minute load by phase ${JSON.stringify(load)}`,
      figures: figuresOf(results),
    };
    results.comparison = comparisonRows(now);
    saveRun(RESULTS_DIR, now, opts.record);
    writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, 'latest.md'), toMarkdown(results));
  }
  printSummary(results);
  printComparison(results.comparison as string[][]);
  note(`${((Date.now() - started) / 1000).toFixed(0)} s in all; figures in ${join(RESULTS_DIR, 'latest.json')}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
