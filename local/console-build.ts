/**
 * Keeps console/dist built from its sources, so `npm start` serves the console without another command:
 * the build runs when the output is missing or older than any input (the console's sources and the API
 * description its client is generated from). One build at a time: a lock directory makes a second caller
 * (another test file, a second `npm start`) wait for the first and then find the output fresh.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CONSOLE_DIR = join(REPO_ROOT, 'console');
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

export interface BuildPaths {
  /** The build's output folder; its index.html is written last. */
  dist: string;
  /** Files and folders whose change calls for a new build. */
  inputs: string[];
  /** Files under the inputs that the build itself writes. */
  generated: string[];
}

export const CONSOLE_BUILD: BuildPaths = {
  dist: CONSOLE_DIST,
  inputs: [
    join(CONSOLE_DIR, 'src'), join(CONSOLE_DIR, 'public'), join(CONSOLE_DIR, 'index.html'), join(CONSOLE_DIR, 'vite.config.ts'),
    join(CONSOLE_DIR, 'tsconfig.json'), join(CONSOLE_DIR, 'package.json'), join(REPO_ROOT, 'docs', 'openapi.json'),
    join(REPO_ROOT, 'functions', 'config', 'console-config.ts'), join(REPO_ROOT, 'functions', 'config', 'local-name.ts'),
    join(REPO_ROOT, 'functions', 'domain', 'incident.ts'),
  ],
  // Generated from docs/openapi.json (an input) by the build.
  generated: [join(CONSOLE_DIR, 'src', 'api', 'schema.d.ts')],
};
const LOCK = join(CONSOLE_DIR, '.build-lock');
const LOCK_WAIT_MS = 10 * 60_000;

export type BuildState = { state: 'fresh' } | { state: 'missing' } | { state: 'stale'; newer: string };

function newest(path: string, generated: ReadonlySet<string>): { file: string; mtimeMs: number } | undefined {
  if (!existsSync(path) || generated.has(path)) return undefined;
  const st = statSync(path);
  if (!st.isDirectory()) return { file: path, mtimeMs: st.mtimeMs };
  let best: { file: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(path)) {
    const n = newest(join(path, entry), generated);
    if (n && (!best || n.mtimeMs > best.mtimeMs)) best = n;
  }
  return best;
}

export function consoleBuildState(paths: BuildPaths = CONSOLE_BUILD): BuildState {
  const index = join(paths.dist, 'index.html');
  if (!existsSync(index)) return { state: 'missing' };
  const built = statSync(index).mtimeMs;
  const generated = new Set(paths.generated);
  for (const input of paths.inputs) {
    const n = newest(input, generated);
    if (n && n.mtimeMs > built) return { state: 'stale', newer: relative(REPO_ROOT, n.file) };
  }
  return { state: 'fresh' };
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** Takes the lock, or waits for its holder; a lock left by a process that died is taken over. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const end = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = NaN;
      try { holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written or removed */ }
      if (Number.isInteger(holder) && !alive(holder)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > end) throw new Error(`the console build lock ${LOCK} is held for too long`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function runBuild(): Promise<void> {
  return new Promise((resolve, reject) => {
    // A production build whatever the caller runs under (jest sets NODE_ENV=test, which makes React's development build).
    const { NODE_OPTIONS: _jest, ...inherited } = process.env;
    const env = { ...inherited, NODE_ENV: 'production' };
    const child = spawn('npm', ['run', '-s', 'build', '-w', 'console'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve()
      : reject(new Error(`the console build failed (${code ?? signal}):\n${output.slice(-4000)}`))));
  });
}

/** Builds console/dist when it is missing or stale; resolves once it is fresh. */
export async function ensureConsoleBuilt(log: (line: string) => void = () => undefined): Promise<void> {
  if (consoleBuildState().state === 'fresh') return;
  await withLock(async () => {
    const before = consoleBuildState(); // another process may have built it while this one waited
    if (before.state === 'fresh') return;
    log(before.state === 'missing' ? 'console/dist is missing: building the console'
      : `console/dist is older than ${before.newer}: building the console`);
    const started = Date.now();
    await runBuild();
    log(`console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}
