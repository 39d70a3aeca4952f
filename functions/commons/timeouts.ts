/**
 * How long an SDK call may wait for a dependency. Without a bound a stalled dependency holds a request until
 * Lambda or API Gateway gives up (30 s), answering 500 while a write may still happen; with it the SDK's own
 * retries run (3 attempts), then the caller sees a TimeoutError it can answer 503/504 (functions/commons/http.ts)
 * or the workflow can retry (functions/commons/transient.ts). Cloud DynamoDB answers in milliseconds; a few
 * seconds also cover DynamoDB Local on a busy machine.
 */
export const REQUEST_TIMEOUTS = {
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
  // The SDK's default pool is 50 sockets a client, and a request waiting for one counts against the connection
  // timeout. In Lambda a client serves one invocation at a time; locally every function of the county runs in
  // one process on these clients, and a burst of a thousand workflow steps would time out in that queue.
  httpAgent: { maxSockets: 1_000 },
  httpsAgent: { maxSockets: 1_000 },
} as const;
