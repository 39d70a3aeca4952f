/**
 * The HTTP edge of every API handler: API Gateway HTTP API (payload 2.0) events in, JSON or
 * application/problem+json (RFC 9457) out. Small middy middlewares, applied in the contract's order of
 * precedence: 401 (caller), 413 (size), 415 (content type), 400 (JSON and schema).
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { GridflowError, isGridflowError, unauthorized, validationFailed, type FieldError } from '#domain/errors.js';
import { ROLES, type Caller, type Role } from '#domain/incident.js';
import { logger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** The event once the middlewares ran: who calls, and the validated body and query. */
export type ParsedEvent<B, Q> = HttpEvent & { caller: Caller; parsed: { body: B; query: Q }; rawBody: string };

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': JSON_TYPE, ...headers },
  body: JSON.stringify(body),
});

export function problem(error: GridflowError, instance?: string): HttpResult {
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({
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

/** Any error becomes problem+json; only unexpected ones are logged as errors (and answer 500). */
export const problemJson = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    const { error } = request;
    if (isGridflowError(error)) {
      request.response = problem(error, request.event.rawPath);
      return;
    }
    logger.error('unhandled error', { error: error as Error, routeKey: request.event.routeKey });
    request.response = problem(new GridflowError('internal', 'Something went wrong on our side; the request may be retried.'));
  },
});

/** The JWT authorizer put verified claims on the event; turn them into a Caller or answer 401. */
export const authenticatedCaller = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    const claims = request.event.requestContext.authorizer?.jwt?.claims ?? {};
    const sub = claims.sub, role = claims.role, scope = claims.scope;
    if (typeof sub !== 'string' || !sub) throw unauthorized('The token carries no subject.');
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw unauthorized(`The token's role claim must be one of ${ROLES.join(', ')}.`);
    }
    if (typeof scope !== 'string' || !scope) throw unauthorized('The token carries no scope claim.');
    const name = typeof claims.name === 'string' && claims.name ? claims.name : sub;
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

export interface HttpHandlerOptions<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  /** Zod schema of the JSON body; absent for GET routes. */
  body?: B;
  /** Zod schema of the query string. */
  query?: Q;
  /** @default true — only /health is public. */
  auth?: boolean;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A thin API handler: the middlewares validate, `core` calls the domain and maps the result. */
export function httpHandler<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  options: HttpHandlerOptions<B, Q>,
  core: (event: ParsedEvent<Out<B>, Out<Q>>, context: Context) => Promise<HttpResult>,
) {
  const chain = middy<HttpEvent, HttpResult>().use(problemJson());
  if (options.auth ?? true) chain.use(authenticatedCaller());
  if (options.body) chain.use(jsonBody(options.body));
  if (options.query) chain.use(queryParams(options.query));
  return chain.handler((event, context) => core(event as ParsedEvent<Out<B>, Out<Q>>, context));
}
