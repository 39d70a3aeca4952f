/**
 * How long an SDK call may wait for a dependency. Without a bound a stalled dependency holds a request until
 * Lambda or API Gateway gives up (30 s), answering 500 while a write may still happen. With it, a stalled call
 * fails as a TimeoutError: the API answers 504 with Retry-After (functions/commons/http.ts; an API function's
 * own 10 s timeout, middy's early timeout, catches a call that is still retrying), and the workflow retries it
 * with backoff (functions/commons/transient.ts). Cloud DynamoDB answers in milliseconds; 10 s also covers
 * DynamoDB Local on a loaded machine, where a spurious timeout would turn a slow success into an error.
 */
export const REQUEST_TIMEOUTS = {
  connectionTimeout: 2_000,
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
  // The SDK's default pool is 50 sockets a client, and a request waiting for one counts against the connection
  // timeout. In Lambda a client serves one invocation at a time; locally every function of the county runs in
  // one process on these clients, and a burst of a thousand workflow steps would time out in that queue.
  httpAgent: { maxSockets: 1_000 },
  httpsAgent: { maxSockets: 1_000 },
} as const;
