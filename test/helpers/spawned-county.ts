/**
 * The real `npm start` runtime as a child process, for tests that need a second county next to the
 * in-process one, or that kill the runtime: spawn it, wait for its `ready` line, speak HTTP to it,
 * read its notifications.jsonl, and find the DynamoDB Local JVM it owns.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countyClient, type CountyClient } from './county-client.js';
import { FIXTURES } from './local-county.js';

export { readNotifications, type NotificationLine } from './county-client.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));


export interface SpawnedCounty extends CountyClient {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGINT (Ctrl-C), then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  configFile: string;
  dataDir: string;
  /**
   * `node` runs `node --import tsx local/main.ts`; `npm` runs `npm start`. Either in its own process group,
   * as a terminal runs a command, so that stop() is Ctrl-C: SIGINT to the whole group.
   */
  via?: 'node' | 'npm';
  readyTimeoutMs?: number;
  /** More command-line options (e.g. `--clock ISO`). */
  args?: string[];
}

/** Starts the runtime with `--port 0` and resolves once it printed its `ready` line. */
export async function spawnCounty(opts: SpawnOptions): Promise<SpawnedCounty> {
  const args = ['--config', opts.configFile, '--data-dir', opts.dataDir, '--port', '0', ...(opts.args ?? [])];
  // jest's NODE_OPTIONS (--experimental-vm-modules) are not the runtime's business.
  const { NODE_OPTIONS: _jestOptions, ...inherited } = process.env;
  // These tests never open the console: no console build inside their ready timeout.
  const env: NodeJS.ProcessEnv = {
    ...inherited, POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN', AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    GRIDFLOW_CONSOLE_BUILD: 'skip',
  };
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  const child = opts.via === 'npm'
    ? spawn('npm', ['start', '--silent', '--', ...args], { cwd: REPO_ROOT, env, detached: true, stdio })
    : spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], { cwd: REPO_ROOT, env, detached: true, stdio });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { stopAll(); reject(new Error(`no ready line within ${opts.readyTimeoutMs ?? 90_000} ms:\n${output}`)); }, opts.readyTimeoutMs ?? 90_000);
    const check = () => {
      const m = /ready at (http:\/\/[^\s;]+)/.exec(output);
      if (m) { clearTimeout(timer); child.stdout!.off('data', check); resolve(m[1]!); }
    };
    const stopAll = () => { child.stdout!.off('data', check); signal(child, 'SIGKILL'); };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal: s }) => { clearTimeout(timer); reject(new Error(`runtime exited (${code ?? s}) before ready:\n${output}`)); });
  });
  return {
    ...countyClient(url, opts.dataDir),
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) signal(child, 'SIGINT');
      return exited;
    },
  };
}

/** The child leads its own process group: signal the group, as Ctrl-C in a terminal does. */
function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, sig);
  } catch { /* already gone */ }
}

/** Pids of DynamoDB Local JVMs whose command line names `dataDir` (each runtime's database lives under its data dir). */
export function javaProcessesOf(dataDir: string): number[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n')
    .filter((l) => l.includes('DynamoDBLocal.jar') && l.includes(dataDir) && /\bjava\b/.test(l) && !l.includes('/bin/sh'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** Polls until no JVM of `dataDir` is left (the watchdog needs a moment after its parent died). */
export async function expectNoJavaLeft(dataDir: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (javaProcessesOf(dataDir).length > 0) {
    if (Date.now() > end) throw new Error(`DynamoDB Local of ${dataDir} still runs: pids ${javaProcessesOf(dataDir).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A copy of a test county file, edited, in a fresh temp directory; returns its path. */
export function writeCountyCopy(fixture: string, edit: (county: any) => void, name = fixture): string {
  const county = JSON.parse(readFileSync(join(FIXTURES, `${fixture}.json`), 'utf8'));
  edit(county);
  const file = join(mkdtempSync(join(tmpdir(), `gridflow-${name}-config-`)), `${name}.json`);
  writeFileSync(file, JSON.stringify(county, null, 2));
  return file;
}

