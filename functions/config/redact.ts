/**
 * The county file as the functions that need no contact data get it: every place, category, ladder step and
 * person id stays (jurisdiction and messages work as before), every person is reduced to their id, and what
 * only delivery needs is gone: names, phones, e-mails, channels, webhooks (their URLs may carry tokens) and
 * the deployment block (ops contacts, SMS provider). Only the channel relay is bundled with the full file.
 * Pure, and the result is itself a valid county file.
 */
import type { County, Person } from './county-schema.js';

const redactPerson = (p: Person): Person => ({ id: p.id, name: p.id });

export function redactCounty(county: County): County {
  const { deployment: _deployment, ...rest } = county;
  return {
    ...rest,
    city: { ...county.city, supervisors: county.city.supervisors.map(redactPerson) },
    supervisors: county.supervisors.map(redactPerson),
    towns: county.towns.map((t) => ({
      ...t,
      supervisors: t.supervisors.map(redactPerson),
      communities: t.communities.map((c) => ({ ...c, grids: c.grids.map((g) => ({ ...g, leader: redactPerson(g.leader) })) })),
    })),
    webhooks: [],
  };
}
