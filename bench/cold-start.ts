/**
 * Cold start: every Lambda bundle exactly as the county stack builds it. The esbuild settings are not
 * exported from infra/constructs/gridflow-function.ts, so rather than copy them the bench lets CDK build
 * the bundles: one GridflowFunction per handler of the county stack (HANDLERS) in a throwaway stack, plus the
 * same construct around an empty handler (the floor). Then fresh `node` processes import each bundle until
 * its `handler` export is ready, a few times each: with the NODE_OPTIONS its function has in the stack (none: the
 * bundles map stack traces themselves, functions/commons/stack-traces.ts), and with `--enable-source-maps` for
 * what Node's own mapping would cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { GridflowFunction, ENTRY_METADATA } from '#infra/constructs/gridflow-function.js';
import { HANDLERS } from '#infra/handlers.js';
import { bundleContents } from './bundle-contents.js';
import { note } from './output.js';
import { median, round } from './percentiles.js';

export const EMPTY_ENTRY = 'bench/empty-handler.ts';

export interface Bundle { entry: string; dir: string; file: string; bytes: number; mapBytes: number; /** NODE_OPTIONS of the function in the stack ('' for none). */ nodeOptions: string }

export interface ColdStartRow {
  entry: string;
  bundleKiB: number;
  /** Median ms from process start until `handler` is importable (node's own start-up included). */
  readyMs: number;
  /** Median ms of the import alone. */
  importMs: number;
  /** readyMs above the empty bundle's. */
  overFloorMs: number;
  /** The same with NODE_OPTIONS=--enable-source-maps (Node decoding the source map at load). */
  readyMsSourceMapsFlag: number;
  /**
   * Median CPU time (user + system, ms) of the process until `handler` is ready, and above the empty bundle's:
   * what a cold start costs a function's share of a vCPU, and far less sensitive than wall time to other work on
   * a shared machine (wall time counts the moments the process waited for a core).
   */
  cpuMs: number;
  overFloorCpuMs: number;
  cpuMsSourceMapsFlag: number;
  rssMiB: number;
  /** The biggest packages in the bundle (KiB). */
  largest: { pkg: string; kib: number }[];
}

export interface ColdStartResult {
  runs: number;
  node: string;
  buildSeconds: number;
  floor: ColdStartRow;
  bundles: ColdStartRow[];
}

interface RunRow { readyMs: number; importMs: number; rss: number; cpuMs: number }

type TemplateResource = { Type: string; Metadata?: Record<string, unknown>; Properties?: { Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, unknown> } } };

/** Builds the bundles with the stack's own construct; the caller removes `outdir` when done. */
export function buildBundles(countyFile: string): { bundles: Bundle[]; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'gridflow-bundles-'));
  const app = new App({ outdir, analyticsReporting: false });
  const stack = new Stack(app, 'GridflowBenchBundles');
  for (const [name, entry] of Object.entries(HANDLERS)) new GridflowFunction(stack, name, { entry, countyFile });
  new GridflowFunction(stack, 'empty', { entry: EMPTY_ENTRY });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, TemplateResource> };
  const bundles: Bundle[] = [];
  for (const r of Object.values(template.Resources)) {
    const entry = r.Metadata?.[ENTRY_METADATA];
    const key = r.Properties?.Code?.S3Key;
    if (r.Type !== 'AWS::Lambda::Function' || typeof entry !== 'string' || typeof key !== 'string') continue;
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const file = join(dir, 'index.mjs');
    const nodeOptions = r.Properties?.Environment?.Variables?.NODE_OPTIONS;
    bundles.push({ entry, dir, file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size, nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : '' });
  }
  return { bundles, outdir };
}

const LOADER = [
  'const t0 = performance.now();',
  'const m = await import(process.env.BENCH_BUNDLE_URL);',
  "if (typeof m.handler !== 'function') throw new Error('the bundle exports no handler');",
  'const t1 = performance.now();',
  'const cpu = process.cpuUsage();',
  'process.stdout.write(JSON.stringify({ importMs: t1 - t0, readyMs: t1, rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000 }));',
].join('\n');

/** What a function's environment holds in the stack (values are placeholders; nothing is called). */
const FUNCTION_ENV = {
  AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'cold', AWS_SECRET_ACCESS_KEY: 'cold',
  TABLE_NAME: 'gridflow-bench', COUNTY_ID: 'shouyang', POWERTOOLS_SERVICE_NAME: 'gridflow', CURSOR_SECRET: 'cold-start',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
  TOPIC_ARN_GRID: 'arn:aws:sns:us-east-1:000000000000:grid', TOPIC_ARN_TOWN: 'arn:aws:sns:us-east-1:000000000000:town',
  TOPIC_ARN_CITY: 'arn:aws:sns:us-east-1:000000000000:city',
};

/** `asDeployed`: the function's own NODE_OPTIONS; else NODE_OPTIONS=--enable-source-maps. */
function runOnce(bundle: Bundle, asDeployed: boolean): Promise<RunRow> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOADER], {
      cwd: bundle.dir,
      env: {
        PATH: process.env.PATH ?? '', ...FUNCTION_ENV,
        LAMBDA_TASK_ROOT: bundle.dir, BENCH_BUNDLE_URL: pathToFileURL(bundle.file).href,
        NODE_OPTIONS: asDeployed ? bundle.nodeOptions : '--enable-source-maps',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${bundle.entry}: exited ${code}: ${err.slice(-500)}`));
      try { resolve(JSON.parse(out) as RunRow); } catch { reject(new Error(`${bundle.entry}: no timing in "${out.slice(0, 200)}" ${err.slice(-300)}`)); }
    });
  });
}

export async function measureColdStarts(bundles: Bundle[], runs: number, buildSeconds: number): Promise<ColdStartResult> {
  // `deployed`: as the stack runs the bundle; `flag`: with Node's own source-map support.
  const samples = new Map<string, { deployed: RunRow[]; flag: RunRow[] }>(bundles.map((b) => [b.entry, { deployed: [], flag: [] }]));
  // Round-robin, so a slow moment of the machine spreads over every bundle instead of hitting one.
  for (let r = 0; r < runs; r++) {
    for (const b of bundles) {
      samples.get(b.entry)!.deployed.push(await runOnce(b, true));
      samples.get(b.entry)!.flag.push(await runOnce(b, false));
    }
    note(`cold start: round ${r + 1}/${runs} done`);
  }
  const row = (b: Bundle, floorReady: number, floorCpu: number): ColdStartRow => {
    const s = samples.get(b.entry)!;
    const ready = median(s.deployed.map((x) => x.readyMs));
    const cpu = median(s.deployed.map((x) => x.cpuMs));
    return {
      entry: b.entry,
      bundleKiB: round(b.bytes / 1024, 1),
      readyMs: round(ready, 1),
      importMs: round(median(s.deployed.map((x) => x.importMs)), 1),
      overFloorMs: round(ready - floorReady, 1),
      readyMsSourceMapsFlag: round(median(s.flag.map((x) => x.readyMs)), 1),
      cpuMs: round(cpu, 1),
      overFloorCpuMs: round(cpu - floorCpu, 1),
      cpuMsSourceMapsFlag: round(median(s.flag.map((x) => x.cpuMs)), 1),
      rssMiB: round(median(s.deployed.map((x) => x.rss)) / 2 ** 20, 1),
      largest: bundleContents(b.file, `${b.file}.map`).slice(0, 6).map((e) => ({ pkg: e.pkg, kib: round(e.bytes / 1024, 1) })),
    };
  };
  const empty = bundles.find((b) => b.entry === EMPTY_ENTRY)!;
  const floorReady = median(samples.get(empty.entry)!.deployed.map((x) => x.readyMs));
  const floorCpu = median(samples.get(empty.entry)!.deployed.map((x) => x.cpuMs));
  return {
    runs,
    node: process.version,
    buildSeconds: round(buildSeconds, 1),
    floor: row(empty, floorReady, floorCpu),
    bundles: bundles.filter((b) => b !== empty).map((b) => row(b, floorReady, floorCpu)).sort((a, b) => a.entry.localeCompare(b.entry)),
  };
}

export async function runColdStart(countyFile: string, runs = 5): Promise<ColdStartResult> {
  const t0 = performance.now();
  note('cold start: building every bundle with the stack\'s construct (esbuild through CDK)');
  const { bundles, outdir } = buildBundles(countyFile);
  try {
    return await measureColdStarts(bundles, runs, (performance.now() - t0) / 1000);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
