/** GET /incidents/{id} — one incident with its timeline; outside the caller's jurisdiction it does not exist. */
import { notFound } from '#domain/errors.js';
import { canRead } from '#domain/jurisdiction.js';
import { toIncidentView } from '#domain/view.js';
import { now } from '#commons/clock.js';
import { currentCounty } from '#commons/county.js';
import { httpHandler, incidentIdOf, json } from '#commons/http.js';
import { incidents } from '#commons/stores.js';

export const handler = httpHandler({}, async (event) => {
  const id = incidentIdOf(event);
  const incident = await incidents().get(id);
  const { jurisdiction } = currentCounty();
  if (!incident || !canRead(event.caller, incident, jurisdiction)) throw notFound();
  return json(200, toIncidentView(incident, event.caller, now(), jurisdiction));
});
