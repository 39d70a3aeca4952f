/**
 * Domain errors carry the HTTP meaning of contract §4; the API edge renders them as
 * application/problem+json (RFC 9457). Precedence when several apply: 401, 413, 415, 400, 422, 404, 403, 409.
 */
export interface FieldError { path: string; message: string }

export type ProblemType =
  | 'unauthorized' | 'payload-too-large' | 'unsupported-media-type' | 'validation'
  | 'unprocessable' | 'not-found' | 'forbidden' | 'conflict' | 'incident-too-large' | 'method-not-allowed'
  | 'header-too-large' | 'internal' | 'service-unavailable' | 'timeout';

const STATUS: Record<ProblemType, number> = {
  unauthorized: 401, 'payload-too-large': 413, 'unsupported-media-type': 415, validation: 400,
  unprocessable: 422, 'not-found': 404, forbidden: 403, conflict: 409, 'incident-too-large': 409,
  'method-not-allowed': 405, 'header-too-large': 431, internal: 500, 'service-unavailable': 503, timeout: 504,
};

const TITLE: Record<ProblemType, string> = {
  unauthorized: 'Unauthorized', 'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type', validation: 'Invalid request',
  unprocessable: 'Unprocessable request', 'not-found': 'Not found', forbidden: 'Forbidden',
  conflict: 'Conflict', 'incident-too-large': 'Incident too large', 'method-not-allowed': 'Method not allowed',
  'header-too-large': 'Request header fields too large', internal: 'Internal error',
  'service-unavailable': 'Service unavailable', timeout: 'Gateway timeout',
};

export class GridflowError extends Error {
  readonly type: ProblemType;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  /** Seconds after which a retry may succeed (the `Retry-After` header of a 409 in flight, 503, 504). */
  readonly retryAfterSeconds: number | undefined;

  constructor(type: ProblemType, detail: string, options?: { errors?: FieldError[]; cause?: unknown; retryAfterSeconds?: number }) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GridflowError';
    this.type = type;
    this.status = STATUS[type];
    this.title = TITLE[type];
    this.errors = options?.errors;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const unauthorized = (detail: string, cause?: unknown) => new GridflowError('unauthorized', detail, { cause });
export const validationFailed = (errors: FieldError[], detail = 'The request does not match the schema.') =>
  new GridflowError('validation', detail, { errors });
export const unprocessable = (detail: string, errors?: FieldError[]) =>
  new GridflowError('unprocessable', detail, errors ? { errors } : undefined);
export const notFound = (detail = 'No such incident in your jurisdiction.') => new GridflowError('not-found', detail);
export const forbidden = (detail: string) => new GridflowError('forbidden', detail);
export const conflict = (detail: string, cause?: unknown) => new GridflowError('conflict', detail, { cause });

export const isGridflowError = (e: unknown): e is GridflowError => e instanceof GridflowError;
