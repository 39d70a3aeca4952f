/**
 * One local county for every measurement that needs one: `startLocalCounty` (DynamoDB Local with its files in
 * a temp data dir, as `npm start` runs it; the synthesized state machine; the same handlers behind the API
 * Gateway stand-in), metered (./meter.ts), with an HTTP client, cached tokens and a direct DynamoDB client for
 * seeding and for the database floor. Starting a county costs tens of seconds, so the measurements share it.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Role } from '#domain/incident.js';
import { startLocalCounty, type LocalCounty } from '#local/runtime.js';
import { mintToken } from '#local/tokens.js';
import { writeBenchCounty, type BenchCounty } from './bench-county.js';
import { Meter } from './meter.js';
import type { LogTap } from './output.js';

export interface ApiResponse<T = unknown> { status: number; body: T; ms: number }

export interface Session {
  local: LocalCounty;
  bench: BenchCounty;
  meter: Meter;
  /** The handlers' table, written directly (seeding, the floor): not metered. */
  doc: DynamoDBDocumentClient;
  tableName: string;
  token(role: Role, scope: string, sub?: string): Promise<string>;
  /** Every running execution is parked in an await task: nothing happens until a timer or an action. */
  settled(): boolean;
  /** One API request; metered, and attributed to the incident in its path (or the one it created). */
  call<T = unknown>(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

/** One route key per handler, as API Gateway would invoke it. */
export function routeKeyOf(method: string, path: string): string {
  const bare = path.split('?')[0]!;
  if (bare === '/incidents') return `${method} /incidents`;
  if (/^\/incidents\/[^/]+\/actions$/.test(bare)) return `${method} /incidents/{id}/actions`;
  if (/^\/incidents\/[^/]+$/.test(bare)) return `${method} /incidents/{id}`;
  return `${method} ${bare}`;
}

export async function startSession(opts: { daySeconds: number; logs: LogTap; scale?: number }): Promise<Session> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-bench-'));
  const bench = writeBenchCounty(dataDir, opts.daySeconds, opts.scale ?? 1);
  // The periodic reconciler would resume seeded history; the bench starts the workflows it needs itself.
  const local = await startLocalCounty({ configFile: bench.file, dataDir, port: 0, reconcileEverySeconds: 10 * 86_400 });

  // The same module instances the runtime imported (its environment is set now).
  const { dynamoDb } = await import('#storage/dynamodb.js');
  const clients = await import('#commons/clients.js');
  const { HANDLERS } = await import('#local/handlers.js');
  const meter = new Meter({ transitions: () => local.stepFunctions.stats(), logs: () => opts.logs.snapshot() });
  meter.instrumentDynamo(dynamoDb);
  meter.instrumentSfn(clients.stepFunctions);
  meter.instrumentSns(clients.sns);
  meter.instrumentHandlers(HANDLERS as Record<string, (event: unknown, context: never) => Promise<unknown>>);

  const raw = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!, region: process.env.AWS_REGION!, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { translateConfig } = await import('#storage/dynamodb.js');
  const doc = DynamoDBDocumentClient.from(raw, translateConfig);

  const tokens = new Map<string, Promise<string>>();
  const token = (role: Role, scope: string, sub?: string) => {
    const key = `${role}|${scope}|${sub ?? ''}`;
    let t = tokens.get(key);
    if (!t) { t = mintToken(dataDir, { role, scope, ...(sub ? { sub } : {}) }); tokens.set(key, t); }
    return t;
  };

  // Keep-alive sockets, as a busy API Gateway would reuse connections; node:http keeps the client cheap.
  // Idle sockets are dropped after 4 s, before the server's 5 s keep-alive timeout closes them under the client.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });
  const { hostname, port } = new URL(local.url);
  const call = <T>(method: 'GET' | 'POST', path: string, bearer: string, body?: unknown): Promise<ApiResponse<T>> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const t0 = performance.now();
    const attempt = (retry: boolean): Promise<ApiResponse<T>> => new Promise((resolve, reject) => {
      const req = request({
        // The retry takes a new connection: the pool's other idle sockets may have been closed by the server too.
        agent: retry ? agent : false, hostname, port, method, path,
        headers: { authorization: `Bearer ${bearer}`, ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - t0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
          const status = res.statusCode ?? 0;
          const created = method === 'POST' && status === 201 ? (parsed as { id?: string } | undefined)?.id : undefined;
          meter.countHttp(routeKeyOf(method, path), status, ms, created ?? /^\/incidents\/([^/?]+)/.exec(path)?.[1]);
          resolve({ status, body: parsed as T, ms });
        });
        res.on('error', reject);
      });
      // A kept-alive socket the server closed meanwhile (its keep-alive timeout) fails before any response: the
      // request never reached it, so send it once more on a fresh socket (as Node's documentation advises).
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && error.code === 'ECONNRESET') attempt(false).then(resolve, reject);
        else reject(error);
      });
      req.end(payload);
    });
    return attempt(true);
  };

  return {
    local, bench, meter, doc, tableName: process.env.TABLE_NAME!, token, call,
    settled: () => { const st = local.stepFunctions.stats(); return st.executionsRunning === st.waitingTokens; },
    stop: async () => {
      agent.destroy();
      raw.destroy();
      await local.stop();
    },
  };
}
