/**
 * Which failures of a dependency (DynamoDB, Step Functions, SNS) are passing: the dependency did not answer in
 * time, could not be reached, was throttled or failed on its side. The API answers them 503/504 with
 * `Retry-After` (functions/commons/http.ts); the workflow retries them with backoff (functions/workflow/sync.ts
 * and the state machine's Retry). Everything else is a bug or bad data and must not be retried blindly.
 */
import { isGridflowError } from '#domain/errors.js';

export type TransientKind = 'timeout' | 'unavailable';

const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const UNAVAILABLE_NAMES = new Set([
  'ThrottlingException', 'Throttling', 'Throttled', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException',
  'InternalServerError', 'InternalFailure', 'InternalError', 'ServiceUnavailable', 'ServiceUnavailableException',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ETIMEDOUT']);

interface SdkErrorShape { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown }; $retryable?: unknown; cause?: unknown }

/** 'timeout', 'unavailable', or null when the failure is not a passing one. */
export function transientKind(error: unknown, depth = 0): TransientKind | null {
  if (typeof error !== 'object' || error === null || depth > 3) return null;
  const e = error as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (TIMEOUT_NAMES.has(name) || code === 'ETIMEDOUT') return 'timeout';
  if (UNAVAILABLE_NAMES.has(name) || NETWORK_CODES.has(code)) return 'unavailable';
  // The SDK wraps what is not an Error of this realm ("AWS SDK error wrapper for Error: connect ECONNREFUSED ...",
  // as under a test VM), keeping only the message.
  const message = typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : '';
  if (/\bETIMEDOUT\b/.test(message)) return 'timeout';
  if (/\b(ECONNREFUSED|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b|socket hang up/.test(message)) return 'unavailable';
  const status = e.$metadata?.httpStatusCode;
  if ((typeof status === 'number' && status >= 500) || (e.$retryable !== undefined && e.$retryable !== null)) return 'unavailable';
  return transientKind(e.cause, depth + 1);
}

/**
 * Error name of a failure that may pass: the state machine retries it with backoff (workflows/); anything else
 * is not retried inside an execution.
 */
export const TRANSIENT_ERROR = 'TransientError';

/** A workflow task's passing failure, named so the state machine's Retry matches it. */
export class TransientError extends Error {
  constructor(cause: unknown) {
    super(`a dependency failed in passing: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
    this.name = TRANSIENT_ERROR;
  }
}

/** Rethrows a passing failure of a dependency as a TransientError, anything else as it is. */
export function asTaskError(error: unknown): unknown {
  return !isGridflowError(error) && transientKind(error) !== null ? new TransientError(error) : error;
}
