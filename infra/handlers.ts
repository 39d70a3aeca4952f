/**
 * The county's handlers and API routes as plain data (no CDK): the stack builds its functions and routes from
 * them, and the local runtime serves the same handlers on the same routes without loading aws-cdk-lib.
 */

export type ApiFunctionName = 'report' | 'getIncident' | 'listIncidents' | 'act' | 'stats' | 'health';
export type FunctionName = ApiFunctionName | 'sync' | 'await' | 'reconcile' | 'relay' | 'backfill';

/** Handler files, relative to the repository root (also the `gridflow:entry` metadata the local runtime reads). */
export const HANDLERS: Readonly<Record<FunctionName, string>> = {
  report: 'functions/api/report.ts',
  getIncident: 'functions/api/get-incident.ts',
  listIncidents: 'functions/api/list-incidents.ts',
  act: 'functions/api/act.ts',
  stats: 'functions/api/stats.ts',
  health: 'functions/api/health.ts',
  sync: 'functions/workflow/sync.ts',
  await: 'functions/workflow/await.ts',
  reconcile: 'functions/workflow/reconcile.ts',
  relay: 'functions/channels/relay.ts',
  backfill: 'functions/ops/backfill.ts',
};

/** The routes of contract §4 and the handler that serves each. */
export const ROUTES: readonly { method: 'GET' | 'POST'; path: string; fn: ApiFunctionName }[] = [
  { method: 'POST', path: '/incidents', fn: 'report' },
  { method: 'GET', path: '/incidents', fn: 'listIncidents' },
  { method: 'GET', path: '/incidents/{id}', fn: 'getIncident' },
  { method: 'POST', path: '/incidents/{id}/actions', fn: 'act' },
  { method: 'GET', path: '/stats', fn: 'stats' },
  { method: 'GET', path: '/health', fn: 'health' },
];
