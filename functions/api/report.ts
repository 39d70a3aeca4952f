/** POST /incidents — report an incident (contract §4). */
import { randomUUID } from 'node:crypto';
import { reportIncident } from '#domain/lifecycle.js';
import { toIncidentView } from '#domain/view.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, json } from '#commons/http.js';
import { idempotent } from '#commons/idempotency.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { executionName, startWorkflow } from '#commons/workflow.js';
import { ReportBody } from './report-body.js';

export const handler = httpHandler({ body: ReportBody }, async (event) =>
  idempotent(event, async (commit) => {
    const { county, jurisdiction } = currentCounty();
    const id = randomUUID();
    const at = now();
    const incident = reportIncident(event.parsed.body, event.caller, county, at, id);
    // Recorded before the execution starts: if StartExecution fails or never happens, the reconciler starts
    // exactly this name (functions/workflow/reconcile.ts).
    incident.workflow.executionName = executionName(id, 1);
    const response = json(201, toIncidentView(incident, event.caller, at, jurisdiction), { location: `/incidents/${id}` });
    await incidents().create(incident, commit(response));
    logger.info('incident reported', { incidentId: id, gridId: incident.gridId, category: incident.category, status: incident.status });
    await startWorkflow(id, incident.workflow.executionName);
    return response;
  }));
