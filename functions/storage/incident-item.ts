/**
 * Incident <-> stored item. The item is the incident plus its keys and the sparse index attributes
 * of table-design.ts: an attribute exists only while the incident belongs to that index.
 */
import type { Incident } from '../domain/incident.js';
import { CREATED_SORT, DEADLINE_SORT, INDEXES, KEY_ATTRIBUTES, TABLE_PARTITION_KEY, TABLE_SORT_KEY } from './table-design.js';

export const INCIDENT_PK_PREFIX = 'INC#';
export const INCIDENT_SK = 'INCIDENT';

/**
 * An open incident always has a deadline; should one ever lack it, it still belongs in the open
 * lists (last), never silently out of them.
 */
const NO_DEADLINE = '9999-12-31T23:59:59.999Z';

export const incidentKey = (id: string) => ({ [TABLE_PARTITION_KEY]: `${INCIDENT_PK_PREFIX}${id}`, [TABLE_SORT_KEY]: INCIDENT_SK });

/** The key and index attributes an incident has in its current state (sparse: absent ones are omitted). */
export function indexAttributes(incident: Incident): Record<string, string> {
  const attrs: Record<string, string> = {
    [INDEXES.gridAll.partitionKey]: incident.gridId,
    [INDEXES.townAll.partitionKey]: incident.townId,
    [INDEXES.countyAll.partitionKey]: incident.countyId,
    [INDEXES.reporterAll.partitionKey]: incident.reportedBy,
    [CREATED_SORT]: `${incident.createdAt}#${incident.id}`,
  };
  if (incident.status === 'open') {
    attrs[INDEXES.gridOpen.partitionKey] = incident.gridId;
    attrs[INDEXES.townOpen.partitionKey] = incident.townId;
    attrs[INDEXES.countyOpen.partitionKey] = incident.countyId;
    attrs[INDEXES.reporterOpen.partitionKey] = incident.reportedBy;
    attrs[DEADLINE_SORT] = `${incident.deadline ?? NO_DEADLINE}#${incident.id}`;
  }
  if (incident.status === 'open' || incident.status === 'resolved') {
    attrs[INDEXES.active.partitionKey] = incident.countyId;
  }
  return attrs;
}

export function toItem(incident: Incident): Record<string, unknown> {
  return { ...incident, ...indexAttributes(incident), ...incidentKey(incident.id) };
}

export function fromItem(item: Record<string, unknown>): Incident {
  const pk = item[TABLE_PARTITION_KEY];
  if (typeof pk !== 'string' || !pk.startsWith(INCIDENT_PK_PREFIX) || item[TABLE_SORT_KEY] !== INCIDENT_SK) {
    throw new Error(`Not an incident item: ${String(pk)}`);
  }
  const incident: Record<string, unknown> = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete incident[attribute];
  return incident as unknown as Incident;
}
