/**
 * The HTTP edge of every API handler: API Gateway HTTP API (payload 2.0) events in, JSON or
 * application/problem+json (RFC 9457) out. Small middy middlewares, applied in the contract's order of
 * precedence: 401 (caller), 413 (size), 415 (content type), 400 (JSON, schema and query string).
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { GridflowError, isGridflowError, notFound, unauthorized, validationFailed, type FieldError } from '#domain/errors.js';
import { ROLES, type Caller, type Role } from '#domain/incident.js';
import { logger } from './logger.js';
import { textProblem, wellFormedJson } from './text.js';
import { transientKind } from './transient.js';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** The event once the middlewares ran: who calls, and the validated body and query. */
export type ParsedEvent<B, Q> = HttpEvent & { caller: Caller; parsed: { body: B; query: Q }; rawBody: string };

export const MAX_BODY_BYTES = 64 * 1024;
/** OpenID Connect: "It MUST NOT exceed 255 ASCII characters in length" (sub); the same bound for scope and name. */
export const MAX_CLAIM_LENGTH = 255;
/** Seconds a client should wait before retrying after a 503 or 504. */
export const RETRY_AFTER_SECONDS = 5;
const JSON_TYPE = 'application/json; charset=utf-8';

/** JSON out; strings are made well-formed on the way (old records may hold a lone surrogate). */
export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': JSON_TYPE, ...headers },
  body: wellFormedJson(body),
});

export function problem(error: GridflowError, instance?: string): HttpResult {
  return {
    statusCode: error.status,
    headers: {
      'content-type': 'application/problem+json; charset=utf-8',
      ...(error.retryAfterSeconds !== undefined ? { 'retry-after': String(error.retryAfterSeconds) } : {}),
    },
    body: wellFormedJson({
      type: `https://gridflow.dev/problems/${error.type}`,
      title: error.title,
      status: error.status,
      detail: error.message,
      ...(instance ? { instance } : {}),
      ...(error.errors ? { errors: error.errors } : {}),
    }),
  };
}

export const zodErrors = (issues: readonly z.core.$ZodIssue[], prefix = ''): FieldError[] =>
  issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return { path: path || '(root)', message: i.message };
  });

/**
 * A dependency that did not answer in time (504) or could not answer (503). A write may or may not have
 * happened: the detail says so, and that a retry with the same Idempotency-Key is safe (it answers the first
 * outcome, or applies the request once).
 */
export function outageProblem(error: unknown, method: string): GridflowError | undefined {
  const kind = transientKind(error);
  if (kind === null) return undefined;
  const what = kind === 'timeout' ? 'The database did not answer in time' : 'The database cannot answer at the moment';
  const detail = method === 'GET'
    ? `${what}. Retry shortly.`
    : `${what}; whether this request took effect is unknown. Retrying it with the same Idempotency-Key is safe: `
      + 'the retry answers the first outcome if there was one, and applies the request once otherwise.';
  return new GridflowError(kind === 'timeout' ? 'timeout' : 'service-unavailable', detail, { cause: error, retryAfterSeconds: RETRY_AFTER_SECONDS });
}

/** Any error becomes problem+json; only unexpected ones are logged as errors (and answer 500). */
export const problemJson = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    const { error } = request;
    if (isGridflowError(error)) {
      request.response = problem(error, request.event.rawPath);
      return;
    }
    const outage = outageProblem(error, request.event.requestContext?.http?.method ?? 'GET');
    if (outage) {
      logger.warn('a dependency failed; answered with a retryable status', { status: outage.status, error: error as Error, routeKey: request.event.routeKey });
      request.response = problem(outage, request.event.rawPath);
      return;
    }
    logger.error('unhandled error', { error: error as Error, routeKey: request.event.routeKey });
    request.response = problem(new GridflowError('internal', 'Something went wrong on our side; the request may be retried.'));
  },
});

/** A claim the API relies on: 1–255 characters of single-line, well-formed text. */
function textClaim(value: unknown, claim: string): string {
  if (typeof value !== 'string' || value === '') throw unauthorized(`The token carries no ${claim} claim.`);
  const issue = value.length > MAX_CLAIM_LENGTH ? `is longer than ${MAX_CLAIM_LENGTH} characters` : textProblem(value);
  if (issue) throw unauthorized(`The token's ${claim} claim ${issue}.`);
  return value;
}

/** The JWT authorizer put verified claims on the event; turn them into a Caller or answer 401. */
export const authenticatedCaller = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    const claims = request.event.requestContext.authorizer?.jwt?.claims ?? {};
    const sub = textClaim(claims.sub, 'subject');
    const role = claims.role;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw unauthorized(`The token's role claim must be one of ${ROLES.join(', ')}.`);
    }
    const scope = textClaim(claims.scope, 'scope');
    const name = claims.name === undefined || claims.name === '' ? sub : textClaim(claims.name, 'name');
    Object.assign(request.event, { caller: { sub, name, role: role as Role, scope } satisfies Caller });
  },
});

/** 413, 415 and 400 for the body; the validated value is `event.parsed.body`. */
export const jsonBody = <S extends z.ZodType>(schema: S, maxBytes = MAX_BODY_BYTES): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    const { event } = request;
    const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    if (Buffer.byteLength(raw, 'utf8') > maxBytes) {
      throw new GridflowError('payload-too-large', `The body is over ${maxBytes / 1024} KiB.`);
    }
    const type = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !type.endsWith('+json')) {
      throw new GridflowError('unsupported-media-type', `Send the body as application/json, not ${type || 'no content type'}.`);
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new GridflowError('validation', 'The body is not valid JSON.', { errors: [{ path: '(body)', message: (cause as Error).message }], cause });
    }
    const result = schema.safeParse(value);
    if (!result.success) throw validationFailed(zodErrors(result.error.issues));
    const parsed = (event as Partial<ParsedEvent<unknown, unknown>>).parsed ?? { body: undefined, query: undefined };
    Object.assign(event, { rawBody: raw, parsed: { ...parsed, body: result.data } });
  },
});

/** 400 for the query string; the validated value is `event.parsed.query`. */
export const queryParams = <S extends z.ZodType>(schema: S): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    const { event } = request;
    const result = schema.safeParse(event.queryStringParameters ?? {});
    if (!result.success) throw validationFailed(zodErrors(result.error.issues), 'The query string does not match the API.');
    const parsed = (event as Partial<ParsedEvent<unknown, unknown>>).parsed ?? { body: undefined, query: undefined };
    Object.assign(event, { parsed: { ...parsed, query: result.data } });
  },
});

const INCIDENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The `{id}` of the path: incident ids are UUIDs, so anything else (however long) is an incident that does not exist. */
export function incidentIdOf(event: HttpEvent): string {
  const id = event.pathParameters?.id ?? '';
  if (!INCIDENT_ID.test(id)) throw notFound();
  return id;
}

export interface HttpHandlerOptions<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  /** Zod schema of the JSON body; absent for GET routes. */
  body?: B;
  /** Zod schema of the query string. @default no parameter at all (any is a 400) */
  query?: Q;
  /** @default true — only /health is public. */
  auth?: boolean;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

const NO_QUERY = z.strictObject({});

/** A thin API handler: the middlewares validate, `core` calls the domain and maps the result. */
export function httpHandler<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  options: HttpHandlerOptions<B, Q>,
  core: (event: ParsedEvent<Out<B>, Out<Q>>, context: Context) => Promise<HttpResult>,
) {
  const chain = middy<HttpEvent, HttpResult>().use(problemJson());
  if (options.auth ?? true) chain.use(authenticatedCaller());
  if (options.body) chain.use(jsonBody(options.body));
  chain.use(queryParams(options.query ?? NO_QUERY));
  return chain.handler((event, context) => core(event as ParsedEvent<Out<B>, Out<Q>>, context));
}
