/**
 * The local stand-in for API Gateway HTTP API (payload format 2.0) with a JWT authorizer, so the very
 * handlers deployed behind API Gateway answer HTTP on this machine. It does what API Gateway does
 * before and after the Lambda: route matching, the JWT authorizer, the 10 MB body limit, the 10 KB limit on
 * the request line and header values (431 problem+json, whatever their size), building the
 * v2 event and turning the handler's result into the HTTP response. Nothing product-specific lives here.
 *
 * Deliberate differences from the cloud (the gateway's own answers, never the handler's):
 * - 401 from the authorizer: API Gateway answers `{"message":"Unauthorized"}` (application/json);
 *   here it is application/problem+json with a detail saying why, which makes local debugging easier.
 * - 404/405 for unknown routes: API Gateway answers 404 `{"message":"Not Found"}` for both; here
 *   404 or 405 (with Allow) as problem+json.
 * - a handler that throws or returns garbage: API Gateway answers 500 `{"message":"Internal Server Error"}`;
 *   here 500 problem+json (and a log line, as CloudWatch would have the Lambda's error).
 * - the 30 s integration timeout is not enforced; `getRemainingTimeInMillis` counts down the function's own
 *   timeout (at most 30 s), so middy's early timeout answers as it would in Lambda.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context,
} from 'aws-lambda';
import { decodeJwt } from 'jose';
import { GridflowError, isGridflowError, type ProblemType } from '#domain/errors.js';
import type { Caller } from '#domain/incident.js';

export type HttpMethod = 'GET' | 'POST';

export interface RouteDef {
  method: HttpMethod;
  /** API Gateway style: `/incidents/{id}/actions`; `{name+}` is greedy (one or more segments). */
  path: string;
  /** Behind the JWT authorizer (every route but /health). */
  auth: boolean;
  handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  /** Lambda function name shown in the context; default derived from the route key. */
  functionName?: string;
  /** The function's timeout: what `getRemainingTimeInMillis` counts down from (capped by API Gateway's 30 s). @default 30000 */
  timeoutMs?: number;
}

/** Structurally satisfied by a powertools Logger. */
export interface GatewayLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ProblemResponse { statusCode: number; headers: Record<string, string>; body: string }

export interface GatewayOptions {
  port: number;
  /** Default 127.0.0.1: the local county is not meant to be reachable from the network. */
  host?: string;
  routes: RouteDef[];
  /** Resolves the caller of a bearer token or rejects (a GridflowError 401 carries the detail shown). */
  verify: (token: string) => Promise<Caller>;
  logger?: GatewayLogger;
  /** API Gateway's payload limit is 10 MB; lower only for tests. */
  maxBodyBytes?: number;
  /** How the gateway's own errors are rendered; pass the API's renderer so both look the same. */
  renderProblem?: (error: GridflowError) => ProblemResponse;
  /**
   * Serves what is not the API on the same port (the console, as a CDN would in the cloud): called
   * first, resolves true when it answered the request.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface RunningGateway { url: string; port: number; close(): Promise<void> }

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP API's quota: the request line and the header values together at most 10,240 bytes. */
export const MAX_HEADER_BYTES = 10_240;
/**
 * What Node itself reads of a request's head before it gives up (its default is 16 KiB). Between
 * MAX_HEADER_BYTES and this the handler answers 431; beyond it, the server's clientError handler does.
 */
const NODE_MAX_HEADER_SIZE = 64 * 1024;

/** The bytes API Gateway counts against MAX_HEADER_BYTES. */
function headerBytes(req: IncomingMessage): number {
  let n = Buffer.byteLength(`${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`);
  for (let i = 1; i < req.rawHeaders.length; i += 2) n += Buffer.byteLength(req.rawHeaders[i]!);
  return n;
}
/** HTTP API's maximum integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export const toRouteKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

// ---------------------------------------------------------------------------------------------
// Route matching

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };
interface CompiledRoute { route: RouteDef; segments: Segment[]; routeKey: string }

export type RouteMatch =
  | { kind: 'match'; route: RouteDef; routeKey: string; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

const compiled = new WeakMap<readonly RouteDef[], CompiledRoute[]>();

function compile(routes: readonly RouteDef[]): CompiledRoute[] {
  const cached = compiled.get(routes);
  if (cached) return cached;
  const result = routes.map((route) => {
    if (!route.path.startsWith('/')) throw new Error(`route path must start with "/": ${route.path}`);
    const parts = route.path === '/' ? [] : route.path.slice(1).split('/');
    const segments = parts.map((p, i): Segment => {
      const m = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(p);
      if (!m) return { kind: 'literal', value: p };
      if (m[2] && i !== parts.length - 1) throw new Error(`greedy parameter must be last: ${route.path}`);
      return m[2] ? { kind: 'greedy', name: m[1]! } : { kind: 'param', name: m[1]! };
    });
    return { route, segments, routeKey: toRouteKey(route.method, route.path) };
  });
  // API Gateway prefers the most specific route: literal segments over parameters over greedy ones.
  const rank = { literal: 0, param: 1, greedy: 2 } as const;
  result.sort((a, b) => {
    for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
      const d = rank[a.segments[i]!.kind] - rank[b.segments[i]!.kind];
      if (d !== 0) return d;
    }
    return b.segments.length - a.segments.length;
  });
  compiled.set(routes, result);
  return result;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a stray '%' is kept as sent rather than failing the route
  }
}

function matchPath(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.every((p) => p === '')) return undefined;
      params[seg.name] = decode(rest.join('/'));
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === 'literal') {
      if (part !== seg.value) return undefined;
    } else {
      if (part === '') return undefined;
      params[seg.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

/** Which route answers `method rawPath`; tells a known path with another method (405) from an unknown one (404). */
export function matchRoute(routes: readonly RouteDef[], method: string, rawPath: string): RouteMatch {
  const parts = rawPath === '/' ? [] : rawPath.slice(1).split('/');
  const allowed = new Set<HttpMethod>();
  for (const c of compile(routes)) {
    const params = matchPath(c.segments, parts);
    if (!params) continue;
    if (c.route.method === method.toUpperCase()) {
      return { kind: 'match', route: c.route, routeKey: c.routeKey, pathParameters: params };
    }
    allowed.add(c.route.method);
  }
  return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed].sort() } : { kind: 'not-found' };
}

// ---------------------------------------------------------------------------------------------
// Event building

const TEXTUAL = [/^text\//, /^application\/(.+\+)?json$/, /^application\/(.+\+)?xml$/, /^application\/javascript$/,
  /^application\/x-www-form-urlencoded$/];

/** API Gateway passes textual bodies as strings and everything else (no content type included) as base64. */
export function isTextualContentType(contentType: string | undefined): boolean {
  const mime = contentType?.split(';')[0]?.trim().toLowerCase();
  return !!mime && TEXTUAL.some((re) => re.test(mime));
}

function splitUrl(url: string): { rawPath: string; rawQueryString: string } {
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form request target (proxies); '*' and junk fall through to a path that matches nothing
    try {
      const u = new URL(target);
      target = u.pathname + u.search;
    } catch {
      return { rawPath: target, rawQueryString: '' };
    }
  }
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQueryString: '' } : { rawPath: target.slice(0, q), rawQueryString: target.slice(q + 1) };
}

/** Multi-valued headers and parameters are joined with ',' as API Gateway does in payload 2.0. */
function eventHeaders(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] | undefined } {
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      // payload 2.0 moves cookies out of the headers into their own array
      cookies.push(...value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
      continue;
    }
    const seen = headers.get(name);
    headers.set(name, seen === undefined ? value : `${seen},${value}`);
  }
  return { headers: Object.fromEntries(headers), cookies: cookies.length > 0 ? cookies : undefined };
}

/**
 * Own properties only, as the Lambda runtime's JSON.parse makes them: a parameter named `__proto__` or
 * `constructor` is a parameter like any other (an assignment to a plain object would drop or merge it).
 */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const params = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    if (k === '') continue;
    const seen = params.get(k);
    params.set(k, seen === undefined ? v : `${seen},${v}`);
  }
  return params.size > 0 ? Object.fromEntries(params) : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** API Gateway's `requestContext.time`: `12/Mar/2020:19:03:58 +0000`. */
export function formatRequestTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The JWT authorizer hands claims over as strings; arrays become `[a b]`, as API Gateway renders them. */
function claimsForEvent(token: string, caller: Caller): Record<string, string> {
  let payload: Record<string, unknown> = {};
  try {
    payload = decodeJwt(token);
  } catch {
    // a verifier that accepts non-JWT tokens (tests) still yields the caller's claims
  }
  const claims: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (v === null || v === undefined) continue;
    claims[k] = typeof v === 'string' ? v
      : Array.isArray(v) ? `[${v.map(String).join(' ')}]`
      : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return { ...claims, sub: caller.sub, name: caller.name, role: caller.role, scope: caller.scope };
}

function lambdaContext(functionName: string, requestId: string, startedAt: number, timeoutMs: number): Context {
  const unsupported = () => {
    throw new Error('callback-style Lambda context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, startedAt + Math.min(timeoutMs, INTEGRATION_TIMEOUT_MS) - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

const defaultFunctionName = (routeKey: string) =>
  `gridflow-local-${routeKey.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

// ---------------------------------------------------------------------------------------------
// Responses

const defaultRenderProblem = (e: GridflowError): ProblemResponse => ({
  statusCode: e.status,
  headers: { 'content-type': 'application/problem+json' },
  body: JSON.stringify({ type: `urn:gridflow:problem:${e.type}`, title: e.title, status: e.status, detail: e.message }),
});

interface HttpResult { statusCode: number; headers: Record<string, string>; cookies: string[]; body: Buffer }

class BadLambdaResponse extends Error {}

/** The v2 payload rules: a result with a statusCode is taken as is; anything else becomes a 200 JSON body. */
export function toHttpResult(result: unknown): HttpResult {
  // The Lambda runtime serializes the result: what does not survive JSON does not reach API Gateway.
  const json = JSON.stringify(result === undefined ? null : result);
  const value: unknown = JSON.parse(json);
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'statusCode' in value) {
    const r = value as Record<string, unknown>;
    const { statusCode } = r;
    if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
      throw new BadLambdaResponse(`invalid statusCode ${JSON.stringify(statusCode)}`);
    }
    if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') throw new BadLambdaResponse('body is not a string');
    const headers: Record<string, string> = {};
    if (r.headers !== undefined && r.headers !== null) {
      if (typeof r.headers !== 'object') throw new BadLambdaResponse('headers is not an object');
      for (const [k, v] of Object.entries(r.headers)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new BadLambdaResponse(`header ${k} is not a scalar`);
        headers[k.toLowerCase()] = String(v);
      }
    }
    const cookies = Array.isArray(r.cookies) ? r.cookies.map(String) : [];
    const text = typeof r.body === 'string' ? r.body : '';
    const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    return { statusCode, headers, cookies, body };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(typeof value === 'string' ? value : json, 'utf8'),
  };
}

/** Node computes these itself; a handler's value would only corrupt the framing. */
const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

// ---------------------------------------------------------------------------------------------
// Server

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return m?.[1];
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const host = opts.host ?? '127.0.0.1';
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const logger: GatewayLogger = opts.logger ?? new Logger({ serviceName: 'gridflow-local-gateway' });
  const renderProblem = opts.renderProblem ?? defaultRenderProblem;
  compile(opts.routes); // fail at start, not on the first request, for a malformed route path
  let closing = false;
  let port = opts.port;

  const send = (res: ServerResponse, requestId: string, r: HttpResult, closeConnection = false) => {
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(r.headers)) if (!HOP_BY_HOP.has(k)) res.setHeader(k, v);
    if (r.cookies.length > 0) res.setHeader('set-cookie', r.cookies);
    res.setHeader('apigw-requestid', requestId);
    if (closing || closeConnection) res.setHeader('connection', 'close');
    res.statusCode = r.statusCode;
    res.end(r.body);
  };
  const sendProblem = (res: ServerResponse, requestId: string, type: ProblemType, detail: string,
    extraHeaders: Record<string, string> = {}, closeConnection = false) => {
    const p = renderProblem(new GridflowError(type, detail));
    send(res, requestId, { statusCode: p.statusCode, headers: { ...p.headers, ...extraHeaders }, cookies: [], body: Buffer.from(p.body) }, closeConnection);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = Date.now();
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    if (headerBytes(req) > MAX_HEADER_BYTES) {
      return sendProblem(res, requestId, 'header-too-large', `The request line and header values exceed ${MAX_HEADER_BYTES} bytes.`, {}, true);
    }
    if (opts.intercept && await opts.intercept(req, res)) return;
    const { rawPath, rawQueryString } = splitUrl(req.url ?? '/');
    const match = matchRoute(opts.routes, method, rawPath);
    res.on('finish', () => logger.debug('request', {
      requestId, method, path: rawPath, status: res.statusCode, durationMs: Date.now() - startedAt,
    }));

    if (match.kind === 'not-found') return sendProblem(res, requestId, 'not-found', `No route for ${method} ${rawPath}.`);
    if (match.kind === 'method-not-allowed') {
      return sendProblem(res, requestId, 'method-not-allowed', `${rawPath} does not answer ${method}.`, { allow: match.allowed.join(', ') });
    }
    const { route, routeKey, pathParameters } = match;

    let authorizer: APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer'] | undefined;
    if (route.auth) {
      const token = bearerToken(req.headers.authorization);
      if (!token) {
        return sendProblem(res, requestId, 'unauthorized',
          req.headers.authorization ? 'The Authorization header is not "Bearer <token>".' : 'The bearer token is missing.',
          { 'www-authenticate': 'Bearer' });
      }
      let caller: Caller;
      try {
        caller = await opts.verify(token);
      } catch (e) {
        if (!isGridflowError(e)) logger.warn('token verifier failed', { requestId, error: describeError(e) });
        const detail = isGridflowError(e) && e.status === 401 ? e.message : 'The token could not be verified.';
        return sendProblem(res, requestId, 'unauthorized', detail, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      authorizer = { jwt: { claims: claimsForEvent(token, caller), scopes: null } };
    }

    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        // Stop reading: the rest of an oversized body is not worth draining, so the connection goes.
        return sendProblem(res, requestId, 'payload-too-large', `The request body exceeds ${limit} bytes.`, {}, true);
      }
      req.destroy(); // the client went away mid-body; nobody is left to answer
      return;
    }

    const { headers, cookies } = eventHeaders(req);
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']},${sourceIp}` : sourceIp;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = String(port);
    const domainName = (headers.host ?? `${host}:${port}`).replace(/:\d+$/, '');
    const textual = isTextualContentType(headers['content-type']);
    const queryStringParameters = queryParameters(rawQueryString);

    const event = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString,
      ...(cookies ? { cookies } : {}),
      headers,
      ...(queryStringParameters ? { queryStringParameters } : {}),
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        // Unauthenticated routes have no authorizer block, exactly as in the cloud; the type says otherwise.
        ...(authorizer ? { authorizer } : {}),
        domainName,
        domainPrefix: domainName.split('.')[0] ?? domainName,
        http: { method, path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
        requestId,
        routeKey,
        stage: '$default',
        time: formatRequestTime(new Date(startedAt)),
        timeEpoch: startedAt,
      },
      ...(body.length > 0 ? { body: body.toString(textual ? 'utf8' : 'base64') } : {}),
      isBase64Encoded: body.length > 0 && !textual,
    } as APIGatewayProxyEventV2WithJWTAuthorizer;

    const functionName = route.functionName ?? defaultFunctionName(routeKey);
    let result: HttpResult;
    try {
      result = toHttpResult(await route.handler(event, lambdaContext(functionName, requestId, startedAt, route.timeoutMs ?? INTEGRATION_TIMEOUT_MS)));
    } catch (e) {
      logger.error(e instanceof BadLambdaResponse ? 'handler returned an invalid response' : 'handler failed', {
        requestId, routeKey, functionName, error: describeError(e),
      });
      return sendProblem(res, requestId, 'internal', 'The request could not be handled.');
    }
    send(res, requestId, result);
  };

  const server: Server = createServer({ maxHeaderSize: NODE_MAX_HEADER_SIZE }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      logger.error('gateway failed', { error: describeError(e) });
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/problem+json');
        res.end(JSON.stringify({ type: 'urn:gridflow:problem:internal', title: 'Internal error', status: 500, detail: 'The gateway failed.' }));
      } else {
        res.destroy();
      }
    });
  });

  // A head Node will not read at all: the same 431 problem+json, written by hand (there is no request object).
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    if (error.code !== 'HPE_HEADER_OVERFLOW') return socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    const p = renderProblem(new GridflowError('header-too-large', `The request line and header values exceed ${MAX_HEADER_BYTES} bytes.`));
    const head = Object.entries({ ...p.headers, 'content-length': String(Buffer.byteLength(p.body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${p.statusCode} Request Header Fields Too Large\r\n${head}\r\n${p.body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => (closed ??= new Promise<void>((resolve, reject) => {
      closing = true; // responses still in flight tell their clients not to reuse the connection
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeIdleConnections();
    })),
  };
}

function describeError(e: unknown): Record<string, unknown> {
  return e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { message: String(e) };
}
