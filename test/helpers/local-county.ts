/**
 * A local county for integration tests: the real runtime (DynamoDB Local, the synthesized state machine,
 * the handlers behind the API Gateway stand-in) in this process, and a small HTTP client speaking to it.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '#domain/incident.js';
import { startLocalCounty, type LocalCounty } from '#local/runtime.js';
import { mintToken } from '#local/tokens.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/counties/', import.meta.url));

export interface ApiResponse<T = any> { status: number; headers: Headers; body: T; text: string }

export interface TestCounty {
  county: LocalCounty;
  url: string;
  dataDir: string;
  token(role: Role, scope: string, sub?: string): Promise<string>;
  call<T = any>(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  notifications(): Array<{ publishedAt: string; topic: string; level: string; subject: string; message: string; attributes: Record<string, string> }>;
  /** Polls GET /incidents/{id} until `until` holds (deadlines in the test county are seconds long). */
  waitFor<T = any>(id: string, token: string, until: (incident: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startTestCounty(fixture = 'testville', opts: { inMemory?: boolean; dataDir?: string } = {}): Promise<TestCounty> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `gridflow-${fixture}-`));
  const county = await startLocalCounty({
    configFile: join(FIXTURES, `${fixture}.json`), dataDir, port: 0, inMemory: opts.inMemory ?? true,
  });
  const call: TestCounty['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${county.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = undefined;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    return { status: res.status, headers: res.headers, body: parsed as any, text };
  };
  return {
    county,
    url: county.url,
    dataDir,
    token: (role, scope, sub) => mintToken(dataDir, { role, scope, ...(sub ? { sub } : {}) }),
    call,
    notifications: () => existsSync(county.notificationsFile)
      ? readFileSync(county.notificationsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      : [],
    async waitFor(id, token, until, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const res = await call('GET', `/incidents/${id}`, { token });
        if (res.status === 200 && until(res.body)) return res.body;
        if (Date.now() > end) throw new Error(`incident ${id} did not reach the expected state: ${res.text.slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => county.stop(),
  };
}

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
