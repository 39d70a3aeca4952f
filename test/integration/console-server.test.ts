/**
 * The console's local serving (local/console-server.ts) over real HTTP, on a dist folder of its own: the
 * runtime config, the local sign-in, static files with gzip and caching, and the single-page fallback.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { loadCountyFile } from '#config/county-loader.js';
import { createConsoleServer } from '#local/console-server.js';
import { createLocalVerifier } from '#local/tokens.js';
import { FIXTURES } from '../helpers/local-county.js';

const county = loadCountyFile(join(FIXTURES, 'testville.json'));
let dir: string;
let server: Server;
let base: string;
const APP_JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gridflow-console-server-'));
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
  writeFileSync(join(dist, 'assets', 'app-abc123.js'), APP_JS);
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  const serve = createConsoleServer({ county, dataDir: join(dir, 'data'), distDir: dist });
  server = createServer((req, res) => {
    void serve(req, res).then((handled) => { if (!handled) { res.statusCode = 418; res.end('api'); } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Raw GET: fetch would undo the gzip, and this test wants to see it. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

describe('the console on the local county', () => {
  it('/console/config.json: the API on the same host, local sign-in, the public county view', async () => {
    const res = await fetch(`${base}/console/config.json`, { headers: { host: 'localhost:4321' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const config = await res.json() as Record<string, any>;
    expect(config.apiUrl).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+$/);
    expect(config.auth).toEqual({ kind: 'local' });
    expect(config.county.id).toBe('testville');
    expect(config.county.towns.map((t: { id: string }) => t.id)).toEqual(['north', 'south']);
    expect(JSON.stringify(config)).not.toMatch(/@|15500000/);
  });

  it('lists the county\'s people and signs in as one of them with a token the gateway accepts', async () => {
    const { people } = await (await fetch(`${base}/console/local/people`)).json() as { people: { role: string; scope: string; sub: string; name: string }[] };
    expect(people).toEqual(expect.arrayContaining([
      { role: 'grid', scope: 'north-01', sub: 'north-leader-1', name: 'North Leader 1' },
      { role: 'town', scope: 'south', sub: 'south-sup-1', name: 'South Supervisor' },
      { role: 'city', scope: 'testcity', sub: 'tc-1', name: 'Casey City' },
      expect.objectContaining({ role: 'reporter', scope: 'testville' }),
    ]));
    const res = await fetch(`${base}/console/local/sign-in`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'town', scope: 'south', sub: 'south-sup-1' }),
    });
    expect(res.status).toBe(200);
    const { token } = await res.json() as { token: string };
    const verify = await createLocalVerifier(join(dir, 'data'));
    await expect(verify(token)).resolves.toEqual({ sub: 'south-sup-1', name: 'South Supervisor', role: 'town', scope: 'south' });
  });

  it('signs in only as someone the county file lists, with that person\'s own role and scope', async () => {
    const attempt = (body: unknown) => fetch(`${base}/console/local/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await attempt({ role: 'county', scope: 'testville', sub: 'north-leader-1' })).status).toBe(404);
    expect((await attempt({ role: 'grid', scope: 'north-02', sub: 'north-leader-1' })).status).toBe(404);
    expect((await fetch(`${base}/console/local/sign-in`, { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await fetch(`${base}/console/local/sign-in`)).status).toBe(405);
  });

  it('serves assets gzipped and cached for good, the page itself revalidated', async () => {
    const js = await raw('/console/assets/app-abc123.js', { 'accept-encoding': 'gzip, br' });
    expect(js.status).toBe(200);
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(gunzipSync(js.body).toString()).toBe(APP_JS);
    expect(js.body.length).toBeLessThan(APP_JS.length / 10);
    const plain = await raw('/console/assets/app-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(APP_JS);
    const page = await raw('/console/');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('answers every page of the app with index.html, a missing asset with 404, and nothing outside dist', async () => {
    for (const path of ['/console/', '/console/incidents/0b9e6a8e-1d2c-4f7a-9a51-3c1f0e2d4b5a', '/console/sign-in?next=%2Freport', '/console/dashboard']) {
      const res = await raw(path);
      expect([path, res.status, res.body.toString()]).toEqual([path, 200, expect.stringContaining('<div id="root">')]);
    }
    expect((await raw('/console/assets/missing.js')).status).toBe(404);
    expect((await raw('/console/../secret.txt')).body.toString()).not.toContain('not for the web');
    expect((await raw('/console/%2e%2e/secret.txt')).body.toString()).not.toContain('not for the web');
    const bare = await raw('/console?lang=en');
    expect([bare.status, bare.headers.location]).toEqual([308, '/console/?lang=en']);
    expect((await raw('/incidents')).status).toBe(418); // not the console's: left to the API
  });
});
