/**
 * POST /incidents/{id}/actions — the actions of contract §4 and §8. The waiting workflow stage is woken after
 * every action, so a moved deadline (an approved extension, a return, a reassignment) re-arms its timer.
 */
import { notFound } from '#domain/errors.js';
import { applyAction } from '#domain/lifecycle.js';
import { toIncidentView } from '#domain/view.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, incidentIdOf, json } from '#commons/http.js';
import { idempotent } from '#commons/idempotency.js';
import { logger } from '#commons/logger.js';
import { incidents } from '#commons/stores.js';
import { wakeWorkflow } from '#commons/workflow.js';
import { ActionBody } from './schemas.js';

export const handler = httpHandler({ body: ActionBody }, async (event) =>
  idempotent(event, async () => {
    const id = incidentIdOf(event);
    const current = await incidents().get(id);
    if (!current) throw notFound();
    const { county, jurisdiction } = currentCounty();
    const { incident: next } = applyAction(current, event.caller, event.parsed.body, now(), { ...jurisdiction, county });
    // Conditional on the version we read: a concurrent change makes this a 409, never an overwrite.
    const stored = await incidents().save(next, current);
    logger.info('incident action', { incidentId: id, action: event.parsed.body.action, role: event.caller.role, version: stored.version });
    await wakeWorkflow(id, stored.workflow.taskToken, event.parsed.body.action);
    return json(200, toIncidentView(stored, event.caller, now(), jurisdiction));
  }));
