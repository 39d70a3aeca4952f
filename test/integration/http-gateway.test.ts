import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { GridflowError } from '#domain/errors.js';
import {
  matchRoute, startGateway, toHttpResult, toRouteKey, type GatewayLogger, type RouteDef, type RunningGateway,
} from '#local/http-gateway.js';
import { createLocalVerifier, mintToken } from '#local/tokens.js';

const execFileP = promisify(execFile);

interface Echo { event: APIGatewayProxyEventV2WithJWTAuthorizer; context: { functionName: string; awsRequestId: string; remaining: number } }

const echo = async (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context): Promise<APIGatewayProxyStructuredResultV2> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    event,
    context: { functionName: context.functionName, awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() },
  }),
});

const routes: RouteDef[] = [
  { method: 'GET', path: '/health', auth: false, handler: async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }) },
  { method: 'POST', path: '/incidents', auth: true, handler: echo },
  { method: 'GET', path: '/incidents', auth: true, handler: echo },
  { method: 'GET', path: '/incidents/{id}', auth: true, handler: echo },
  { method: 'POST', path: '/incidents/{id}/actions', auth: true, handler: echo, functionName: 'gridflow-act' },
  { method: 'GET', path: '/boom', auth: false, handler: async () => { throw new Error('kaboom'); } },
  { method: 'GET', path: '/bad-result', auth: false, handler: async () => ({ statusCode: 'two hundred' }) as never },
  { method: 'GET', path: '/plain', auth: false, handler: async () => ({ hello: 'world' }) as never },
  {
    method: 'GET', path: '/binary', auth: false,
    handler: async () => ({
      statusCode: 201, isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64'),
      headers: { 'content-type': 'application/octet-stream', 'x-count': 4 as unknown as string }, cookies: ['a=1; Path=/', 'b=2'],
    }),
  },
];

let dataDir: string;
let gw: RunningGateway;
let token: string;
const logged: { level: string; message: string; extra: Record<string, unknown>[] }[] = [];
const logger: GatewayLogger = {
  debug: () => undefined,
  info: (message, ...extra) => logged.push({ level: 'info', message, extra }),
  warn: (message, ...extra) => logged.push({ level: 'warn', message, extra }),
  error: (message, ...extra) => logged.push({ level: 'error', message, extra }),
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gridflow-gw-'));
  gw = await startGateway({ port: 0, routes, verify: await createLocalVerifier(dataDir), logger, maxBodyBytes: 4096 });
  token = await mintToken(dataDir, { role: 'town', scope: 'pingtou', sub: 'pt-1', name: 'Supervisor' });
});
afterAll(async () => {
  await gw.close();
  await rm(dataDir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${token}` });
async function echoed(res: Response): Promise<Echo> {
  expect(res.status).toBe(200);
  return (await res.json()) as Echo;
}
async function problem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return body;
}

describe('local API gateway', () => {
  it('listens on an ephemeral port of 127.0.0.1', () => {
    expect(gw.port).toBeGreaterThan(0);
    expect(gw.url).toBe(`http://127.0.0.1:${gw.port}`);
  });

  it('answers /health without a token', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('builds the payload 2.0 event with route key, path parameters and the JWT claims', async () => {
    const res = await fetch(`${gw.url}/incidents/inc%2042/actions?x=1&y=a%20b&x=2`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', 'x-custom': 'one', 'Idempotency-Key': 'k-1', cookie: 'c1=v1; c2=v2' },
      body: JSON.stringify({ action: 'comment', note: '已处理' }),
    });
    const { event, context } = await echoed(res);
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /incidents/{id}/actions');
    expect(event.rawPath).toBe('/incidents/inc%2042/actions');
    expect(event.rawQueryString).toBe('x=1&y=a%20b&x=2');
    expect(event.pathParameters).toEqual({ id: 'inc 42' });
    expect(event.queryStringParameters).toEqual({ x: '1,2', y: 'a b' });
    expect(event.headers).toMatchObject({ 'x-custom': 'one', 'idempotency-key': 'k-1', 'content-type': 'application/json' });
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.cookies).toEqual(['c1=v1', 'c2=v2']);
    expect(event.isBase64Encoded).toBe(false);
    expect(JSON.parse(event.body ?? '')).toEqual({ action: 'comment', note: '已处理' });

    const claims = event.requestContext.authorizer.jwt.claims;
    expect(claims).toMatchObject({ sub: 'pt-1', name: 'Supervisor', role: 'town', scope: 'pingtou', iss: 'gridflow-local', aud: 'gridflow' });
    expect(claims.exp).toMatch(/^\d+$/);
    expect(claims.iat).toMatch(/^\d+$/);
    expect(event.requestContext.authorizer.jwt.scopes).toBeNull();

    const rc = event.requestContext;
    expect(rc).toMatchObject({ accountId: 'local', apiId: 'local', stage: '$default', routeKey: 'POST /incidents/{id}/actions', domainName: '127.0.0.1' });
    expect(rc.http).toMatchObject({ method: 'POST', path: '/incidents/inc%2042/actions', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' });
    expect(rc.requestId).toBe(res.headers.get('apigw-requestid'));
    expect(rc.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(rc.timeEpoch - Date.now())).toBeLessThan(10_000);

    expect(context.functionName).toBe('gridflow-act');
    expect(context.awsRequestId).toBe(rc.requestId);
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(30_000);
  });

  it('omits query and path parameters, cookies and body when there are none', async () => {
    const { event } = await echoed(await fetch(`${gw.url}/incidents`, { headers: auth() }));
    expect(event.routeKey).toBe('GET /incidents');
    expect(event.rawQueryString).toBe('');
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.pathParameters).toBeUndefined();
    expect(event.cookies).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('joins repeated request headers with commas', async () => {
    // fetch merges repeated headers itself; a raw header list reaches the server as sent
    const rawHeaders = ['Host', `127.0.0.1:${gw.port}`, 'Authorization', `Bearer ${token}`, 'X-Multi', 'a', 'x-multi', 'b'];
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/incidents/a1`, { headers: rawHeaders as unknown as Record<string, string> }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve(body)).on('error', reject);
      });
      req.on('error', reject).end();
    });
    const { event } = JSON.parse(text) as Echo;
    expect(event.headers['x-multi']).toBe('a,b');
    expect(event.pathParameters).toEqual({ id: 'a1' });
  });

  it('answers 431 problem+json when the request line and header values pass 10 KB, however large they are', async () => {
    // Just under the quota (10,240 bytes with the request line and the token): the handler runs.
    const room = 10_240 - Buffer.byteLength(`GET /incidents HTTP/1.1`) - Buffer.byteLength(auth().authorization) - 200;
    await echoed(await fetch(`${gw.url}/incidents`, { headers: { ...auth(), 'x-pad': 'a'.repeat(room) } }));
    for (const size of [10_300, 20_000, 200_000]) {
      const body = await problem(await fetch(`${gw.url}/incidents`, { headers: { ...auth(), 'x-pad': 'a'.repeat(size) } }), 431);
      expect(body).toMatchObject({ title: 'Request header fields too large', detail: expect.stringMatching(/exceed 10240 bytes/) });
    }
    // The gateway serves on: the next request is answered as usual.
    await echoed(await fetch(`${gw.url}/incidents`, { headers: auth() }));
  });

  it('passes a non-textual body as base64', async () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]);
    const { event } = await echoed(await fetch(`${gw.url}/incidents`, {
      method: 'POST', headers: { ...auth(), 'content-type': 'application/octet-stream' }, body: bytes,
    }));
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('passes a text/plain body through as a string', async () => {
    const { event } = await echoed(await fetch(`${gw.url}/incidents`, {
      method: 'POST', headers: { ...auth(), 'content-type': 'text/plain; charset=utf-8' }, body: 'hello 世界',
    }));
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('hello 世界');
  });

  describe('JWT authorizer', () => {
    it('answers 401 problem+json without a token and never calls the handler', async () => {
      const body = await problem(await fetch(`${gw.url}/incidents`), 401);
      expect(body.detail).toMatch(/missing/);
    });

    it('answers 401 for a non-Bearer Authorization header', async () => {
      const body = await problem(await fetch(`${gw.url}/incidents`, { headers: { authorization: `Basic ${token}` } }), 401);
      expect(body.detail).toMatch(/Bearer/);
    });

    it('answers 401 with the reason for an expired or forged token', async () => {
      const expired = await mintToken(dataDir, { role: 'town', scope: 'pingtou' }, { expiresIn: '-5m' });
      const res = await fetch(`${gw.url}/incidents/x`, { headers: { authorization: `Bearer ${expired}` } });
      expect((await problem(res, 401)).detail).toMatch(/expired/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);

      const foreign = await mintToken(join(dataDir, 'elsewhere'), { role: 'county', scope: 'shouyang' });
      const res2 = await fetch(`${gw.url}/incidents/x`, { headers: { authorization: `Bearer ${foreign}` } });
      expect((await problem(res2, 401)).detail).toMatch(/"kid" names no key/);
    });
  });

  describe('routing', () => {
    it('answers 404 problem+json for an unknown path', async () => {
      const body = await problem(await fetch(`${gw.url}/nowhere`, { headers: auth() }), 404);
      expect(body.detail).toMatch(/GET \/nowhere/);
      await problem(await fetch(`${gw.url}/incidents/a/b/c`, { headers: auth() }), 404);
      await problem(await fetch(`${gw.url}/incidents/`, { headers: auth() }), 404);
    });

    it('answers 405 with Allow for a known path and another method, before checking the token', async () => {
      const res = await fetch(`${gw.url}/incidents/abc`, { method: 'POST' });
      await problem(res, 405);
      expect(res.headers.get('allow')).toBe('GET');
      const res2 = await fetch(`${gw.url}/health`, { method: 'DELETE' });
      await problem(res2, 405);
    });
  });

  describe('body limit', () => {
    it('answers 413 problem+json for a body over the limit', async () => {
      const res = await fetch(`${gw.url}/incidents`, {
        method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: 'x'.repeat(5000),
      });
      await problem(res, 413);
    });

    it('answers 413 for a chunked body that grows over the limit, and keeps serving', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${gw.url}/incidents`, {
          method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.write('z'.repeat(3000));
        req.end('z'.repeat(3000));
      });
      expect(status).toBe(413);
      expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    });

    it('accepts a body right at the limit', async () => {
      const { event } = await echoed(await fetch(`${gw.url}/incidents`, {
        method: 'POST', headers: { ...auth(), 'content-type': 'text/plain' }, body: 'y'.repeat(4096),
      }));
      expect(event.body).toHaveLength(4096);
    });
  });

  describe('handler results', () => {
    it('turns a thrown error into 500 problem+json and a log line', async () => {
      logged.length = 0;
      const body = await problem(await fetch(`${gw.url}/boom`), 500);
      expect(JSON.stringify(body)).not.toMatch(/kaboom/); // internals stay in the log
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 'error', message: 'handler failed' });
      expect(JSON.stringify(logged[0]!.extra)).toMatch(/kaboom/);
      expect(JSON.stringify(logged[0]!.extra)).toMatch(/GET \/boom/);
    });

    it('turns a malformed result into 500', async () => {
      logged.length = 0;
      await problem(await fetch(`${gw.url}/bad-result`), 500);
      expect(logged[0]).toMatchObject({ level: 'error', message: 'handler returned an invalid response' });
    });

    it('maps a result without statusCode to 200 JSON', async () => {
      const res = await fetch(`${gw.url}/plain`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ hello: 'world' });
    });

    it('maps status, headers, cookies and a base64 body', async () => {
      const res = await fetch(`${gw.url}/binary`);
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('x-count')).toBe('4');
      expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    });
  });

  it('renders its own errors with a given renderer', async () => {
    const custom = await startGateway({
      port: 0, routes, verify: async () => { throw new GridflowError('unauthorized', 'nope'); }, logger,
      renderProblem: (e) => ({ statusCode: e.status, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify({ type: `https://x/${e.type}`, title: e.title, status: e.status, detail: e.message }) }),
    });
    try {
      const body = await problem(await fetch(`${custom.url}/incidents`, { headers: { authorization: 'Bearer whatever' } }), 401);
      expect(body).toMatchObject({ type: 'https://x/unauthorized', detail: 'nope' });
    } finally {
      await custom.close();
    }
  });

  it('closes promptly while a client holds an idle keep-alive connection', async () => {
    const other = await startGateway({ port: 0, routes, verify: await createLocalVerifier(dataDir), logger });
    const res = await fetch(`${other.url}/health`); // undici keeps the socket open afterwards
    expect(res.status).toBe(200);
    await res.text();
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await other.close(); // a second close is harmless
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
  });
});

describe('route helpers', () => {
  const h = async () => ({ statusCode: 204 });
  const table: RouteDef[] = [
    { method: 'GET', path: '/incidents/{id}', auth: true, handler: h },
    { method: 'GET', path: '/incidents/stats', auth: true, handler: h },
    { method: 'GET', path: '/files/{path+}', auth: false, handler: h },
    { method: 'POST', path: '/incidents', auth: true, handler: h },
  ];

  it('builds API Gateway route keys', () => {
    expect(toRouteKey('post', '/incidents/{id}/actions')).toBe('POST /incidents/{id}/actions');
  });

  it('prefers literal segments over parameters regardless of declaration order', () => {
    expect(matchRoute(table, 'GET', '/incidents/stats')).toMatchObject({ kind: 'match', routeKey: 'GET /incidents/stats', pathParameters: {} });
    expect(matchRoute(table, 'GET', '/incidents/i-1')).toMatchObject({ kind: 'match', routeKey: 'GET /incidents/{id}', pathParameters: { id: 'i-1' } });
  });

  it('matches greedy parameters over several segments', () => {
    expect(matchRoute(table, 'GET', '/files/a/b%20c')).toMatchObject({ kind: 'match', pathParameters: { path: 'a/b c' } });
    expect(matchRoute(table, 'GET', '/files/')).toEqual({ kind: 'not-found' });
  });

  it('tells 405 from 404', () => {
    expect(matchRoute(table, 'DELETE', '/incidents')).toEqual({ kind: 'method-not-allowed', allowed: ['POST'] });
    expect(matchRoute(table, 'GET', '/stats')).toEqual({ kind: 'not-found' });
  });

  it('applies the payload 2.0 result rules', () => {
    expect(toHttpResult('hi')).toMatchObject({ statusCode: 200, body: Buffer.from('hi') });
    expect(toHttpResult({ a: 1 })).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}') });
    expect(toHttpResult({ statusCode: 204 })).toMatchObject({ statusCode: 204, headers: {}, body: Buffer.alloc(0) });
    expect(() => toHttpResult({ statusCode: 42 })).toThrow(/statusCode/);
    expect(() => toHttpResult({ statusCode: 200, body: { not: 'a string' } })).toThrow(/body/);
  });
});

describe('token CLI', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'gridflow-cli-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('prints exactly one JWT line that the local verifier accepts', async () => {
    const { stdout, stderr } = await execFileP('npx', ['tsx', 'local/token-cli.ts', '--role', 'grid', '--scope', 'heishui-09', '--data-dir', dir], { cwd: process.cwd() });
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    expect(stderr).toBe('');
    const verify = await createLocalVerifier(dir);
    await expect(verify(stdout.trim())).resolves.toEqual({ sub: 'grid-heishui-09', name: 'grid-heishui-09', role: 'grid', scope: 'heishui-09' });
  });

  it('exits 2 with a message on stderr for an unknown role or a missing scope', async () => {
    const run = (args: string[]) => execFileP('npx', ['tsx', 'local/token-cli.ts', ...args, '--data-dir', dir]).then(
      () => { throw new Error('expected a non-zero exit'); },
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    const [badRole, noScope] = await Promise.all([run(['--role', 'mayor', '--scope', 'x']), run(['--role', 'town'])]);
    for (const err of [badRole, noScope]) {
      expect(err.code).toBe(2);
      expect(err.stdout).toBe('');
    }
    expect(badRole.stderr).toMatch(/unknown role "mayor"/);
    expect(noScope.stderr).toMatch(/--scope is required/);
  });
});
