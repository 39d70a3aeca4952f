/**
 * At most N of the handlers' requests in flight to DynamoDB Local, the rest waiting in order (first come,
 * first served). Why: in Lambda each client serves one invocation, so a burst of a thousand workflow steps
 * is a thousand clients each with one request; locally every function shares the one client of this process,
 * and a thousand requests at once make DynamoDB Local slower per request than a short queue does (measured in
 * docs/performance.md, *The deadline burst*). The wait happens before the SDK's HTTP handler, so it does not
 * count against the SDK's connection or request timeouts (which start there); it counts, as the engine's own
 * slowness would, against the task's timeout.
 *
 * A fix of the local runtime only: nothing in the functions' bundles changes.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The best of 8, 16, 32 and 64 for a 1,000-deadline burst on a 2-core machine (docs/performance.md, *The deadline burst*). */
export const DATABASE_IN_FLIGHT = 32;

export interface DatabaseGate {
  /** Requests waiting for their turn now. */
  readonly waiting: () => number;
  /** Requests sent and not yet answered now. */
  readonly inFlight: () => number;
}

export function gateDatabase(client: DynamoDBClient, limit: number): DatabaseGate {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`the database gate needs a whole number >= 1, not ${limit}`);
  let inFlight = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else inFlight--;
  };
  client.middlewareStack.add((next, context) => async (args) => {
    if (inFlight < limit) inFlight++;
    else if (!(await turn(queue, abortSignalOf(context)))) return next(args); // aborted: the SDK's handler rejects at once
    try {
      return await next(args);
    } finally {
      release();
    }
  }, { step: 'finalizeRequest', priority: 'low', name: 'gridflowDatabaseGate', override: true });
  return { waiting: () => queue.length, inFlight: () => inFlight };
}

/** True when the request's turn came (its slot handed over by `release`), false when its caller gave up first. */
function turn(queue: (() => void)[], signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const go = () => {
      signal?.removeEventListener('abort', giveUp);
      resolve(true);
    };
    // A caller's bound (/health reads with a 2 s one) holds while it waits here too.
    const giveUp = () => {
      const at = queue.indexOf(go);
      if (at >= 0) queue.splice(at, 1);
      resolve(false);
    };
    signal?.addEventListener('abort', giveUp, { once: true });
    queue.push(go);
  });
}

/** Where the SDK keeps the `abortSignal` a caller passed to `send` (@smithy/types' SMITHY_CONTEXT_KEY). */
function abortSignalOf(context: object): AbortSignal | undefined {
  const smithy = (context as { __smithy_context?: { abortSignal?: AbortSignal } }).__smithy_context;
  return smithy?.abortSignal;
}
