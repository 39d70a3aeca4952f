/**
 * HTTP, tokens and notifications of a local county serving `url` with its data in `dataDir`: the one
 * client of the integration tests, whether the county runs in this process or as a child process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '#domain/incident.js';
import { mintToken } from '#local/tokens.js';

export interface ApiResponse<T = any> { status: number; headers: Headers; body: T; text: string }

export interface NotificationLine {
  publishedAt: string; topic: string; level: string; subject: string; message: string; attributes: Record<string, string>;
}

export interface CallOptions { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }

export interface CountyClient {
  url: string;
  dataDir: string;
  token(role: Role, scope: string, sub?: string): Promise<string>;
  call<T = any>(method: string, path: string, opts?: CallOptions): Promise<ApiResponse<T>>;
  /** Every complete line of notifications.jsonl (a line torn by a SIGKILL is skipped, as the sink skips it). */
  notifications(): NotificationLine[];
  /** Polls GET /incidents/{id} until `until` holds (deadlines in the test counties are seconds long). */
  waitFor<T = any>(id: string, token: string, until: (incident: T) => boolean, timeoutMs?: number): Promise<T>;
}

/** Polls `probe` every 100 ms until it returns a value (truthy), or fails naming `what`. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function readNotifications(file: string): NotificationLine[] {
  if (!existsSync(file)) return [];
  const out: NotificationLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line) as NotificationLine); } catch { /* torn by a kill: never acknowledged */ }
  }
  return out;
}

export function countyClient(url: string, dataDir: string): CountyClient {
  const call: CountyClient['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    return { status: res.status, headers: res.headers, body: parsed as any, text };
  };
  return {
    url,
    dataDir,
    token: (role, scope, sub) => mintToken(dataDir, { role, scope, ...(sub ? { sub } : {}) }),
    call,
    notifications: () => readNotifications(join(dataDir, 'notifications.jsonl')),
    async waitFor(id, token, until, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const res = await call('GET', `/incidents/${id}`, { token });
        if (res.status === 200 && until(res.body)) return res.body;
        if (Date.now() > end) throw new Error(`incident ${id} did not reach the expected state: ${res.text.slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/**
 * The notification ids an incident's timeline owes, written out independently of the product's rule:
 * escalation to both levels, resolution and closing to the grid, the rest to the event's level.
 */
export function expectedNotificationIds(i: { id: string; timeline: { type: string; level: string; reason?: string | null }[] }): string[] {
  const ids: string[] = [];
  i.timeline.forEach((e, index) => {
    const id = (level: string) => ids.push(`${i.id}:${index}:${level}`);
    // A `reconfigured` escalation leaves a level the county no longer has: nobody there to tell.
    if (e.type === 'escalated') { if (e.reason !== 'reconfigured') id(i.timeline[index - 1]!.level); id(e.level); }
    else if (e.type === 'resolved' || e.type === 'closed') id('grid');
    else if (['assigned', 'reminded', 'overdue'].includes(e.type)) id(e.level);
  });
  return ids.sort();
}
