/**
 * Starts AWS's own emulator, DynamoDB Local (the jar shipped by amplify-dynamodb-simulator), with the
 * machine's Java, so the local runtime and the integration tests run on the real DynamoDB engine.
 * Without Java it falls back to dynalite, but only when that package is already installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Directory of the database file (-dbPath); its content survives restarts. */
  dataDir?: string;
  /** Keep everything in memory (-inMemory); wins over dataDir. */
  inMemory?: boolean;
  /** 0 or absent: pick a free port. */
  port?: number;
  /** One database for every credential and region (default true). */
  sharedDb?: boolean;
  /** How long to wait for the first answered ListTables (default 30 s). */
  startTimeoutMs?: number;
  /** Without Java, fall back to dynalite when that package is installed. @default true */
  allowDynalite?: boolean;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Process id of the watchdog shell that runs Java (the current process for the dynalite fallback). */
  pid: number;
  /** Resolves when the engine's process has ended, stopped or not (never for the dynalite fallback). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the engine, as a crash would (the supervisor's remedy for a stalled engine). */
  kill(): void;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;
const STDIO_TAIL_CHARS = 8_000;
/** Emitted by the jar's option parser; older jars (before 1.24) do not know -disableTelemetry. */
const UNKNOWN_TELEMETRY_FLAG = /Unrecognized option: -disableTelemetry/;
/**
 * `$0 "$@"` is java and its arguments; EOF on stdin (the parent is gone) stops it. The shell waits for Java, so
 * it exits when Java does, whether stopped or dead by itself (the supervisor then sees the exit), and only once
 * Java has: stop() resolving means the database files are free for the next start.
 */
// A background job's stdin is /dev/null in a non-interactive shell: the watching cat reads ours through fd 3.
const WATCHDOG = '"$0" "$@" & java=$!; trap \'kill $java 2>/dev/null; wait $java; exit 0\' TERM INT; '
  + 'exec 3<&0; (cat <&3 >/dev/null; kill $java 2>/dev/null) & wait $java';

/** The watchdog, Java and cat share a process group (detached spawn): signal all of them. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Jetty cannot bind: the JVM prints this and then stays alive, so it must be detected and killed. */
const BIND_FAILED = /Failed to bind|Address already in use/;

const require = createRequire(import.meta.url);

export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const java = findJava();
  if (!java) return startDynalite(opts, opts.allowDynalite ?? true);
  const emulatorDir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const jar = join(emulatorDir, 'DynamoDBLocal.jar');
  if (!existsSync(jar)) throw new Error(`DynamoDB Local is missing: ${jar} does not exist (run npm install)`);

  const fixedPort = opts.port !== undefined && opts.port !== 0 ? opts.port : undefined;
  if (fixedPort !== undefined && !(await isPortFree(fixedPort))) {
    throw new Error(`DynamoDB Local cannot use port ${fixedPort}: it is already in use`);
  }
  let telemetryFlag = true;
  // A port picked by us can be taken by someone else before Java binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    const args = javaArgs(emulatorDir, jar, port, opts, telemetryFlag);
    try {
      return await launch(java, args, emulatorDir, port, opts.startTimeoutMs ?? 30_000);
    } catch (e) {
      if (e instanceof LaunchError && e.reason === 'unknown-telemetry-flag' && telemetryFlag) {
        telemetryFlag = false;
        continue;
      }
      if (e instanceof LaunchError && e.reason === 'bind' && fixedPort === undefined && attempt < 4) continue;
      throw e;
    }
  }
}

function javaArgs(emulatorDir: string, jar: string, port: number, opts: DynamoDbLocalOptions, telemetryFlag: boolean): string[] {
  const args = [`-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`, '-jar', jar, '-port', String(port)];
  if (opts.inMemory || opts.dataDir === undefined) {
    args.push('-inMemory');
  } else {
    const dir = resolve(opts.dataDir);
    mkdirSync(dir, { recursive: true });
    args.push('-dbPath', dir);
  }
  if (opts.sharedDb ?? true) args.push('-sharedDb');
  if (telemetryFlag) args.push('-disableTelemetry');
  return args;
}

class LaunchError extends Error {
  constructor(readonly reason: 'unknown-telemetry-flag' | 'bind' | 'exited' | 'timeout', message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

async function launch(java: string, args: string[], cwd: string, port: number, timeoutMs: number): Promise<DynamoDbLocal> {
  // DDB_LOCAL_TELEMETRY=0 also silences telemetry where the -disableTelemetry flag is unknown.
  // Java runs under a small shell watchdog in its own process group: when this process dies, even by
  // SIGKILL, the watchdog's stdin reaches EOF and it stops Java, so no emulator outlives its runtime.
  const child = spawn('/bin/sh', ['-c', WATCHDOG, java, ...args], {
    cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  guard(child);
  // The runtime keeps the event loop alive on its own; a forgotten stop() must not hang the process
  // (the 'exit' handler still kills Java).
  child.unref();

  let output = '';
  const collect = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-STDIO_TAIL_CHARS); };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

  let spawnError: Error | undefined;
  // A process that could not be spawned emits 'error' and never 'exit'.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (e) => { spawnError = e; done({ code: null, signal: null }); });
  }).then((how) => {
    release(child);
    child.stdin?.end(); // the watchdog's background cat ends with its stdin
    return how;
  });

  const stop = async () => {
    if (isRunning(child)) {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => { if (isRunning(child)) signalGroup(child, 'SIGKILL'); }, STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    release(child);
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({
    endpoint, region: 'local', maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const failure = launchFailure(child, output, spawnError);
      if (failure) throw failure;
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        // Answered, but if our JVM could not bind, someone else answered on that port.
        const late = launchFailure(child, output, spawnError);
        if (late) throw late;
        break;
      } catch (e) {
        if (e instanceof LaunchError) throw e;
      }
      if (Date.now() > deadline) {
        throw new LaunchError('timeout', `DynamoDB Local did not answer ListTables on ${endpoint} within ${timeoutMs} ms. Output:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    probe.destroy();
  }
  return { endpoint, port, pid: child.pid ?? -1, exited, kill: () => signalGroup(child, 'SIGKILL'), stop };
}

function launchFailure(child: ChildProcess, output: string, spawnError: Error | undefined): LaunchError | undefined {
  if (spawnError) return new LaunchError('exited', `DynamoDB Local could not start: ${spawnError.message}`);
  if (UNKNOWN_TELEMETRY_FLAG.test(output)) return new LaunchError('unknown-telemetry-flag', output);
  if (BIND_FAILED.test(output)) return new LaunchError('bind', `DynamoDB Local could not bind its port. Output:\n${output}`);
  if (!isRunning(child)) {
    return new LaunchError('exited', `DynamoDB Local exited (code ${child.exitCode}, signal ${child.signalCode}). Output:\n${output}`);
  }
  return undefined;
}

const isRunning = (child: ChildProcess) => child.pid !== undefined && child.exitCode === null && child.signalCode === null;

/**
 * Java processes still running, killed when this process ends. A signal ends Node without the 'exit'
 * event: when nobody else handles it, kill Java and re-raise it so termination stays the default;
 * when the application handles it, that handler calls stop() or exits (which fires 'exit').
 */
const running = new Set<ChildProcess>();
const GUARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAll(): void {
  for (const child of running) if (isRunning(child)) signalGroup(child, 'SIGKILL');
  running.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  if (process.listeners(sig).some((l) => l !== onSignal)) return;
  killAll();
  unguard();
  process.kill(process.pid, sig);
}

function guard(child: ChildProcess): void {
  if (running.size === 0) {
    process.on('exit', killAll);
    for (const sig of GUARDED_SIGNALS) process.on(sig, onSignal);
  }
  running.add(child);
}

function release(child: ChildProcess): void {
  running.delete(child);
  if (running.size === 0) unguard();
}

function unguard(): void {
  process.off('exit', killAll);
  for (const sig of GUARDED_SIGNALS) process.off(sig, onSignal);
}

/** JAVA_HOME first, then PATH; undefined when there is no Java at all. */
function findJava(): string | undefined {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'java'));
  return candidates.find((c) => {
    try { accessSync(c, constants.X_OK); return true; } catch { return false; }
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, () => {
      const address = server.address();
      ok(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server, 0);
  await new Promise((r) => server.close(r));
  return port;
}

async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port);
    await new Promise((r) => server.close(r));
    return true;
  } catch {
    return false;
  }
}

/** Minimal view of dynalite's CommonJS API (it ships no types). */
type Dynalite = (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

async function startDynalite(opts: DynamoDbLocalOptions, allowed: boolean): Promise<DynamoDbLocal> {
  let dynalite: Dynalite;
  try {
    if (!allowed) throw new Error('dynalite not allowed');
    dynalite = require('dynalite') as Dynalite;
  } catch {
    throw new Error(
      'DynamoDB Local needs Java 17 or later: no `java` was found on PATH or in JAVA_HOME. ' +
      'Install a JDK (e.g. `apt-get install openjdk-17-jre-headless`) or, as a fallback, the dynalite package.',
    );
  }
  const dataDir = !opts.inMemory && opts.dataDir !== undefined ? resolve(opts.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const server = dynalite({ ...(dataDir ? { path: dataDir } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, opts.port ?? 0);
  server.unref();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: process.pid,
    exited: new Promise(() => undefined),
    kill: () => server.close(),
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Supervision: the local county notices a dead or stalled engine and starts it again.

export interface SupervisionOptions {
  /** How often the engine is asked whether it answers (ListTables). @default 5000 */
  probeEveryMs?: number;
  /** How long a probe may take. @default 5000 */
  probeTimeoutMs?: number;
  /** Unanswered probes in a row after which a live but stalled engine is killed and started again. @default 3 */
  stalledAfter?: number;
  /**
   * Requests the engine has answered so far, counted by its users (the local runtime counts its handlers' client).
   * A probe left unanswered while this count grew is a busy engine, not a stalled one: a deadline burst queues
   * thousands of writes ahead of the probe, and killing the engine then turns a slow burst into aborted workflows.
   * @default - the probes alone decide
   */
  answered?: () => number;
  /** Failed restarts in a row after which supervision gives up (onGiveUp). @default 3 */
  maxRestartAttempts?: number;
  /** Told of each restart and why. */
  onRestart?: (reason: string) => void;
  /** The engine cannot be brought back: the caller decides (the local runtime exits non-zero). */
  onGiveUp?: (error: Error) => void;
}

export interface SupervisedDynamoDbLocal extends Omit<DynamoDbLocal, 'exited'> {
  /** Restarts so far. */
  restarts(): number;
}

/**
 * DynamoDB Local that comes back: started again on the same port and data dir (so every client's endpoint stays
 * right and the data is kept) when its process dies, or when it stops answering while alive (it is killed
 * first). The data survives only with a data dir; in memory a restart starts empty.
 */
export async function superviseDynamoDbLocal(opts: DynamoDbLocalOptions, sup: SupervisionOptions = {}): Promise<SupervisedDynamoDbLocal> {
  let current = await startDynamoDbLocal(opts);
  const port = current.port;
  let stopping = false;
  let restarting = false;
  let restarts = 0;
  let misses = 0;
  const probe = new DynamoDBClient({
    endpoint: current.endpoint, region: 'local', maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  const restart = async (reason: string) => {
    if (stopping || restarting) return;
    restarting = true;
    sup.onRestart?.(reason);
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= (sup.maxRestartAttempts ?? 3) && !stopping; attempt++) {
      try {
        // The old process may hold the port for a moment after it died.
        await new Promise((r) => setTimeout(r, 200 * attempt));
        current = await startDynamoDbLocal({ ...opts, port });
        restarts++;
        misses = 0;
        watch(current);
        restarting = false;
        return;
      } catch (e) {
        lastError = e as Error;
      }
    }
    restarting = false;
    if (!stopping) sup.onGiveUp?.(new Error(`DynamoDB Local ${reason} and could not be started again on port ${port}: ${lastError?.message ?? 'stopped'}`));
  };

  const watch = (db: DynamoDbLocal) => {
    void db.exited.then((how) => {
      if (!stopping && db === current) void restart(`exited by itself (code ${how.code}, signal ${how.signal})`);
    });
  };
  watch(current);

  const timer = setInterval(() => {
    if (stopping || restarting) return;
    const answeredBefore = sup.answered?.();
    probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(sup.probeTimeoutMs ?? 5_000) }).then(
      () => { misses = 0; },
      () => {
        // Others' requests were answered meanwhile: busy, not stalled.
        if (answeredBefore !== undefined && sup.answered!() > answeredBefore) { misses = 0; return; }
        misses++;
        // Killed, it exits, and the exit restarts it.
        if (misses >= (sup.stalledAfter ?? 3) && !restarting) {
          misses = 0;
          sup.onRestart?.(`stopped answering (${sup.stalledAfter ?? 3} probes unanswered); killing it`);
          current.kill();
        }
      },
    );
  }, sup.probeEveryMs ?? 5_000);
  timer.unref();

  return {
    endpoint: current.endpoint,
    port,
    get pid() { return current.pid; },
    kill: () => current.kill(),
    restarts: () => restarts,
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      probe.destroy();
      await current.stop();
    },
  };
}
