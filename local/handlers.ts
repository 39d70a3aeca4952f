/**
 * The Lambda handlers the local runtime serves in-process: the same modules the county stack bundles,
 * keyed by the entry path the stack records in each function's `gridflow:entry` metadata.
 * Import this module only after the runtime has set the environment (table, endpoints, topics):
 * handlers create their SDK clients at module scope, as in Lambda.
 */
import type { HttpEvent, HttpResult } from '#commons/http.js';
import type { Context } from 'aws-lambda';
import { handler as act } from '../functions/api/act.js';
import { handler as getIncident } from '../functions/api/get-incident.js';
import { handler as health } from '../functions/api/health.js';
import { handler as listIncidents } from '../functions/api/list-incidents.js';
import { handler as report } from '../functions/api/report.js';
import { handler as stats } from '../functions/api/stats.js';
import { handler as awaitTask } from '../functions/workflow/await.js';
import { handler as reconcile } from '../functions/workflow/reconcile.js';
import { handler as sync } from '../functions/workflow/sync.js';

export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

/** API routes, as the county stack's HTTP API declares them. */
export const ROUTES: { method: 'GET' | 'POST'; path: string; auth: boolean; entry: string; handler: HttpHandler }[] = [
  { method: 'GET', path: '/health', auth: false, entry: 'functions/api/health.ts', handler: health as HttpHandler },
  { method: 'POST', path: '/incidents', auth: true, entry: 'functions/api/report.ts', handler: report as HttpHandler },
  { method: 'GET', path: '/incidents', auth: true, entry: 'functions/api/list-incidents.ts', handler: listIncidents as HttpHandler },
  { method: 'GET', path: '/incidents/{id}', auth: true, entry: 'functions/api/get-incident.ts', handler: getIncident as HttpHandler },
  { method: 'POST', path: '/incidents/{id}/actions', auth: true, entry: 'functions/api/act.ts', handler: act as HttpHandler },
  { method: 'GET', path: '/stats', auth: true, entry: 'functions/api/stats.ts', handler: stats as HttpHandler },
];

/** Every handler by entry path: what the state machine's Lambda ARNs resolve to. */
export const HANDLERS: Record<string, TaskHandler> = {
  ...Object.fromEntries(ROUTES.map((r) => [r.entry, r.handler as TaskHandler])),
  'functions/workflow/sync.ts': sync as TaskHandler,
  'functions/workflow/await.ts': awaitTask as TaskHandler,
  'functions/workflow/reconcile.ts': reconcile as TaskHandler,
};
