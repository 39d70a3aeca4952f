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
import { assertRoomAfterChange } from '#storage/item-size.js';
import { wakeWorkflow } from '#commons/workflow.js';
import { ActionBody } from './action-body.js';

export const handler = httpHandler({ body: ActionBody }, async (event) =>
  idempotent(event, async (commit) => {
    const id = incidentIdOf(event);
    const current = await incidents().get(id);
    if (!current) throw notFound();
    const { county, jurisdiction } = currentCounty();
    const at = now();
    const { incident: next } = applyAction(current, event.caller, event.parsed.body, at, { ...jurisdiction, county });
    // Refused before the write, not by DynamoDB's 400 KB limit (a 409 the contract names, never a 500).
    assertRoomAfterChange(next, event.parsed.body.action);
    // The view shows no workflow bookkeeping: what the write stores is what the caller is answered.
    const response = json(200, toIncidentView(next, event.caller, at, jurisdiction));
    // Conditional on the version we read: a concurrent change makes this a 409, never an overwrite.
    const stored = await incidents().save(next, current, { also: commit(response) });
    logger.info('incident action', { incidentId: id, action: event.parsed.body.action, role: event.caller.role, version: stored.version });
    await wakeWorkflow(id, stored.workflow.taskToken, event.parsed.body.action);
    return response;
  }));
