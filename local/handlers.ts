/**
 * The Lambda handlers the local runtime serves in-process: the same modules the county stack bundles,
 * keyed by the entry path the stack records in each function's `gridflow:entry` metadata. The API routes
 * are the stack's own (infra/handlers.ts), so the local API cannot drift from the cloud's.
 * Import this module only after the runtime has set the environment (table, endpoints, topics):
 * handlers create their SDK clients at module scope, as in Lambda.
 */
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '#commons/http.js';
import { HANDLERS as ENTRIES, ROUTES as STACK_ROUTES } from '#infra/handlers.js';
import { handler as act } from '../functions/api/act.js';
import { handler as getIncident } from '../functions/api/get-incident.js';
import { handler as health } from '../functions/api/health.js';
import { handler as listIncidents } from '../functions/api/list-incidents.js';
import { handler as report } from '../functions/api/report.js';
import { handler as stats } from '../functions/api/stats.js';
import { handler as awaitTask } from '../functions/workflow/await.js';
import { handler as reconcile } from '../functions/workflow/reconcile.js';
import { handler as sync } from '../functions/workflow/sync.js';
import { handler as relay } from '../functions/channels/relay.js';
import { handler as backfill } from '../functions/ops/backfill.js';

export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Every handler by entry path: what the state machine's Lambda ARNs and the routes resolve to. */
export const HANDLERS: Record<string, TaskHandler> = Object.fromEntries(Object.entries({
  report, getIncident, listIncidents, act, stats, health, sync, await: awaitTask, reconcile, relay, backfill,
} satisfies Record<keyof typeof ENTRIES, unknown>).map(([name, handler]) => [ENTRIES[name as keyof typeof ENTRIES], handler as TaskHandler]));

/** API routes as the county stack declares them; only /health goes without the JWT authorizer. */
export const ROUTES = STACK_ROUTES.map((r) => ({
  method: r.method,
  path: r.path,
  auth: r.fn !== 'health',
  entry: ENTRIES[r.fn],
  handler: HANDLERS[ENTRIES[r.fn]] as HttpHandler,
}));
