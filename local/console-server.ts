/**
 * The console on the local county's port (contract §9), as CloudFront and S3 serve it in the cloud:
 * `/console/*` from console/dist (gzip, immutable hashed assets, SPA fallback to index.html), the runtime
 * config `/console/config.json` (sign-in `local`), and the local sign-in: `GET /console/local/people` lists
 * the county's people and `POST /console/local/sign-in` mints a token for one of them. The sign-in exists
 * only here: the cloud stack never deploys it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { County } from '#config/county-schema.js';
import { consoleConfig } from '#config/public-county.js';
import { CONSOLE_DIST } from './console-build.js';
import { localPeople, type LocalPerson } from './console-people.js';
import { mintToken } from './tokens.js';

export const CONSOLE_BASE = '/console/';

export interface ConsoleServerOptions {
  county: County;
  /** Where the token signing key lives. */
  dataDir: string;
  /** @default console/dist */
  distDir?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.webmanifest', '.txt']);

/** What the cloud's response-headers policy sends too; antd writes its styles at run time, hence inline styles. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    + "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Body { status: number; type: string; body: Buffer; cache: string; compressible: boolean }

const MAX_SIGN_IN_BODY = 4096;

export function createConsoleServer(opts: ConsoleServerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const dist = opts.distDir ?? CONSOLE_DIST;
  const people = localPeople(opts.county);
  const gzipped = new Map<string, { mtimeMs: number; body: Buffer }>();

  const send = (req: IncomingMessage, res: ServerResponse, b: Body, key?: { file: string; mtimeMs: number }) => {
    let body = b.body;
    const gzip = b.compressible && body.length > 512 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) {
      const cached = key && gzipped.get(key.file);
      if (cached && key && cached.mtimeMs === key.mtimeMs) body = cached.body;
      else {
        body = gzipSync(body, { level: 9 });
        if (key) gzipped.set(key.file, { mtimeMs: key.mtimeMs, body });
      }
      res.setHeader('content-encoding', 'gzip');
    }
    res.statusCode = b.status;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.setHeader('content-type', b.type);
    res.setHeader('cache-control', b.cache);
    res.setHeader('vary', 'accept-encoding');
    res.setHeader('content-length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const json = (status: number, value: unknown, type = 'application/json; charset=utf-8'): Body =>
    ({ status, type, body: Buffer.from(JSON.stringify(value)), cache: 'no-store', compressible: true });
  const problem = (status: number, title: string, detail: string) =>
    json(status, { type: `urn:gridflow:problem:console`, title, status, detail }, 'application/problem+json');

  const signIn = async (req: IncomingMessage): Promise<Body> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_SIGN_IN_BODY) return problem(413, 'Payload too large', 'The sign-in body is too large.');
      chunks.push(c as Buffer);
    }
    let body: unknown;
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch {
      return problem(400, 'Invalid request', 'The body is not JSON.');
    }
    const { role, scope, sub } = (typeof body === 'object' && body !== null ? body : {}) as Partial<LocalPerson>;
    const person = people.find((p) => p.role === role && p.scope === scope && p.sub === sub);
    if (!person) return problem(404, 'Not found', 'Nobody with this role, scope and id in the county file.');
    const token = await mintToken(opts.dataDir, { role: person.role, scope: person.scope, sub: person.sub, name: person.name });
    return json(200, { token });
  };

  const staticFile = (path: string): { body: Body; key: { file: string; mtimeMs: number } } | undefined => {
    const file = normalize(join(dist, path));
    if (!file.startsWith(dist + sep) || !existsSync(file)) return undefined;
    const st = statSync(file);
    if (!st.isFile()) return undefined;
    const ext = extname(file);
    const hashed = path.startsWith('assets/');
    return {
      key: { file, mtimeMs: st.mtimeMs },
      body: {
        status: 200, type: TYPES[ext] ?? 'application/octet-stream', body: readFileSync(file),
        cache: hashed ? 'public, max-age=31536000, immutable' : 'no-cache', compressible: COMPRESSIBLE.has(ext),
      },
    };
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/console') {
      res.statusCode = 308;
      res.setHeader('location', `${CONSOLE_BASE}${url.search}`);
      res.end();
      return true;
    }
    if (!path.startsWith(CONSOLE_BASE)) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    let rest: string;
    try { rest = decodeURIComponent(path.slice(CONSOLE_BASE.length)); } catch {
      send(req, res, problem(400, 'Invalid request', 'The path is not valid percent-encoding.'));
      return true;
    }

    if (rest === 'local/sign-in') {
      if (method !== 'POST') { res.setHeader('allow', 'POST'); send(req, res, problem(405, 'Method not allowed', 'Use POST.')); return true; }
      send(req, res, await signIn(req));
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(req, res, problem(405, 'Method not allowed', `${path} answers GET.`));
      return true;
    }
    if (rest === 'config.json') {
      // The API is this very server, under whichever name the browser used for it.
      const apiUrl = `http://${req.headers.host ?? 'localhost'}`;
      send(req, res, json(200, consoleConfig(opts.county, { apiUrl, auth: { kind: 'local' } })));
      return true;
    }
    if (rest === 'local/people') {
      send(req, res, json(200, { people }));
      return true;
    }
    if (!existsSync(join(dist, 'index.html'))) {
      send(req, res, { status: 503, type: 'text/plain; charset=utf-8', cache: 'no-store', compressible: false,
        body: Buffer.from('The console is not built yet: npm start builds it, or run `npm run build -w console`.\n') });
      return true;
    }
    const found = rest === '' ? undefined : staticFile(rest);
    if (found) { send(req, res, found.body, found.key); return true; }
    // A missing asset is a 404; any other path is a page of the single-page app.
    if (rest.startsWith('assets/') || /\.[a-z0-9]+$/i.test(rest)) {
      send(req, res, { status: 404, type: 'text/plain; charset=utf-8', cache: 'no-store', compressible: false, body: Buffer.from('Not found\n') });
      return true;
    }
    const index = staticFile('index.html')!;
    send(req, res, index.body, index.key);
    return true;
  };
}
