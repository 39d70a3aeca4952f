/**
 * Incident <-> stored items. An incident is two items of one partition:
 *
 * - `INCIDENT`: what a reader sees, its domain workflow state (level entered, reminders sent, verification due),
 *   what the reconciler keeps (the run in charge, failed runs, the stuck mark: rarely written), its keys and the
 *   sparse index attributes of table-design.ts (an attribute exists only while the incident belongs to that index).
 * - `WORKFLOW`: the workflow's bookkeeping, written at every stage and in no index: the waiting stage's task
 *   token, and `through`, how many timeline events have been published and counted in the stats, with what the
 *   stats count for the incident at that point (`counted`); after a hand-over, the name of the run in charge
 *   again (only that run may leave a token).
 *
 * A workflow write is then one small item and never an index write; the incident item changes only when a
 * reader would see it change.
 */
import type { Incident, WorkflowState } from '../domain/incident.js';
import type { CohortPlace, Counted, Counters } from '../domain/stats.js';
import { CREATED_SORT, DEADLINE_SORT, INDEXES, KEY_ATTRIBUTES, TABLE_PARTITION_KEY, TABLE_SORT_KEY } from './table-design.js';

export const INCIDENT_PK_PREFIX = 'INC#';
export const INCIDENT_SK = 'INCIDENT';
export const WORKFLOW_SK = 'WORKFLOW';

/**
 * An open incident always has a deadline; should one ever lack it, it still belongs in the open
 * lists (last), never silently out of them.
 */
const NO_DEADLINE = '9999-12-31T23:59:59.999Z';

/** The workflow fields that live on the bookkeeping item. */
const BOOKKEEPING: ReadonlySet<string> = new Set(['taskToken', 'notifiedThrough']);

export const incidentKey = (id: string) => ({ [TABLE_PARTITION_KEY]: `${INCIDENT_PK_PREFIX}${id}`, [TABLE_SORT_KEY]: INCIDENT_SK });
export const workflowKey = (id: string) => ({ [TABLE_PARTITION_KEY]: `${INCIDENT_PK_PREFIX}${id}`, [TABLE_SORT_KEY]: WORKFLOW_SK });

/** A composite partition key: the incident's fields `of`, joined by `#` (ids never contain `#`: county schema). */
export function compositeKey(fields: object, of: readonly string[]): string {
  return of.map((f) => String((fields as Record<string, unknown>)[f])).join('#');
}

/** The key and index attributes an incident has in its current state (sparse: absent ones are omitted). */
export function indexAttributes(incident: Incident): Record<string, string> {
  const attrs: Record<string, string> = {
    [INDEXES.gridAll.partitionKey]: incident.gridId,
    [INDEXES.townAll.partitionKey]: incident.townId,
    [INDEXES.countyAll.partitionKey]: incident.countyId,
    [INDEXES.reporterAll.partitionKey]: incident.reportedBy,
    [INDEXES.gridCategory.partitionKey]: compositeKey(incident, INDEXES.gridCategory.partitionOf),
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

/** The workflow state the incident item keeps: all but the bookkeeping item's. */
export function domainWorkflow(workflow: WorkflowState): Partial<WorkflowState> {
  return Object.fromEntries(Object.entries(workflow).filter(([field]) => !BOOKKEEPING.has(field)));
}

/** The incident item: everything but the bookkeeping, plus keys and index attributes. */
export function toItem(incident: Incident): Record<string, unknown> {
  return {
    ...incident,
    workflow: domainWorkflow(incident.workflow),
    ...indexAttributes(incident),
    ...incidentKey(incident.id),
  };
}

/** What the cells count for an incident, as the bookkeeping item stores it. */
export interface StoredCounted { place: CohortPlace; counters: Counters }

/** The bookkeeping item as read. */
export interface Bookkeeping {
  taskToken: string | null;
  /** Timeline events before this index are published and counted. */
  through: number;
  counted: StoredCounted | null;
}

export const NO_BOOKKEEPING: Bookkeeping = { taskToken: null, through: 0, counted: null };

export function bookkeepingOf(item: Record<string, unknown> | undefined): Bookkeeping {
  if (!item) return NO_BOOKKEEPING;
  return {
    taskToken: typeof item.taskToken === 'string' ? item.taskToken : null,
    through: typeof item.through === 'number' ? item.through : 0,
    counted: (item.counted as StoredCounted | undefined) ?? null,
  };
}

/** What the stats cells hold for the incident, or null when nothing is counted yet. */
export const countedOf = (b: Bookkeeping): Counted | null => (b.counted ? { ...b.counted, through: b.through } : null);

/** The incident from its item and its bookkeeping (none yet: a new incident's). */
export function fromItem(item: Record<string, unknown>, bookkeeping: Bookkeeping = NO_BOOKKEEPING): Incident {
  const pk = item[TABLE_PARTITION_KEY];
  if (typeof pk !== 'string' || !pk.startsWith(INCIDENT_PK_PREFIX) || item[TABLE_SORT_KEY] !== INCIDENT_SK) {
    throw new Error(`Not an incident item: ${String(pk)}`);
  }
  const incident: Record<string, unknown> = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete incident[attribute];
  const workflow = domainWorkflow((item.workflow ?? {}) as WorkflowState);
  incident.workflow = { ...workflow, executionName: workflow.executionName ?? null, taskToken: bookkeeping.taskToken, notifiedThrough: bookkeeping.through };
  return incident as unknown as Incident;
}
