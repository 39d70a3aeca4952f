/**
 * Incidents in the county table. Every write that changes what a reader sees is conditional on
 * `version`, so a lost race is a 409, never a silent overwrite. A write that changes what the stats
 * count updates the counters (stats-repository.ts) in the same transaction, under the same condition:
 * a counter moves exactly once per version step, and never without the incident.
 */
import {
  GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand,
  type DynamoDBDocumentClient, type TransactWriteCommandInput, type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { conflict, notFound } from '../domain/errors.js';
import type { Incident, Level, Status, StuckMark, WorkflowState } from '../domain/incident.js';
import { counted, counterWrites } from '../domain/stats.js';
import { fromItem, incidentKey, indexAttributes, toItem } from './incident-item.js';
import { counterUpdates } from './stats-repository.js';
import { INDEXES, KEY_ATTRIBUTES, TABLE_PARTITION_KEY, TABLE_SORT_KEY, type IndexName } from './table-design.js';

export interface ListFilters {
  status?: Status;
  level?: Level;
  category?: string;
  overdue?: boolean;
  townId?: string;
  gridId?: string;
}

export interface ListQuery {
  index: IndexName;
  partition: string;
  ascending: boolean;
  limit: number;
  startKey?: Record<string, unknown>;
  filters?: ListFilters;
}

export interface ListPage {
  items: Incident[];
  /** Exact LastEvaluatedKey of the last page read; undefined when the index has no more items. */
  lastKey: Record<string, unknown> | undefined;
}

/** Workflow fields only the workflow writes (setTaskToken, markNotified, the execution bookkeeping); save() keeps the stored ones. */
const WORKFLOW_OWNED = new Set(['taskToken', 'executionName', 'notifiedThrough', 'failedExecutions', 'stuck']);
/** Bounds the work of one list call under a very selective filter; the returned key resumes it exactly. */
const MAX_PAGES_PER_LIST = 25;
const SPARSE_ATTRIBUTES = KEY_ATTRIBUTES.filter((a) => a !== TABLE_PARTITION_KEY && a !== TABLE_SORT_KEY);

const isConditionFailure = (e: unknown): boolean =>
  e instanceof Error && e.name === 'ConditionalCheckFailedException';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Two writers touching the same item at once (two transactions on a busy counter, or a bookkeeping
 * write while a transaction holds the incident) make one of them fail with a transaction conflict,
 * which the SDK does not retry. Nothing was written then, so it is retried here, with jittered backoff.
 */
const CONFLICT_ATTEMPTS = 8;
const RETRIED_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 20 * 2 ** attempt)));

async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!(e instanceof Error && e.name === 'TransactionConflictException') || attempt >= CONFLICT_ATTEMPTS) throw e;
      await backoff(attempt);
    }
  }
}

/** The first transact item's condition failed; `item` is the stored one, when it exists. */
interface ConditionFailed { item: unknown }

function pickWorkflowOwned(workflow: WorkflowState): Partial<WorkflowState> {
  return Object.fromEntries(Object.entries(workflow).filter(([field]) => WORKFLOW_OWNED.has(field)));
}

export class IncidentRepository {
  /** `timeZone`: the county's, whose calendar days the stats count by. */
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string, private readonly timeZone: string) {}

  async get(id: string): Promise<Incident | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: incidentKey(id), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : null;
  }

  /** Stores a new incident and adds it to the stats counters, in one transaction. */
  async create(incident: Incident): Promise<void> {
    const failed = await this.transact([
      {
        Put: {
          TableName: this.tableName,
          Item: toItem(incident),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY },
        },
      },
      ...counterUpdates(this.tableName, counterWrites(null, incident, this.timeZone)),
    ]);
    if (failed) throw conflict(`Incident ${incident.id} already exists.`);
  }

  /**
   * Writes `next` over `prev` if the stored version is still `prev.version`, and moves the stats
   * counters by what changed between the two. Returns the incident as stored.
   *
   * An UpdateItem rather than a Put: it SETs every attribute except the workflow fields only the
   * workflow writes (task token, execution name, notified mark), which stay as stored. A Put would have
   * to copy them from an earlier read, and setTaskToken (which does not bump version) could land between
   * that read and the Put: the version condition would pass and the fresh token would be lost. Sparse
   * index attributes the incident no longer has are REMOVEd in the same request.
   *
   * When nothing counted changes (acknowledge, comment, reminders) it is that one UpdateItem.
   * Otherwise the update and the counter ADDs are one transaction; a transaction cannot return the new
   * item, so it is read back (consistently) for the stored workflow fields.
   */
  async save(next: Incident, prev: Incident): Promise<Incident> {
    const update = this.incidentUpdate(next, prev.version);
    const counters = counterUpdates(this.tableName, counterWrites(counted(prev, this.timeZone), next, this.timeZone));
    const stale = () => conflict(`Incident ${next.id} changed since version ${prev.version}; reload it and try again.`);

    if (counters.length === 0) {
      try {
        const out = await retryingConflicts(() => this.doc.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' })));
        if (!out.Attributes) throw new Error(`UpdateItem on incident ${next.id} returned no attributes`);
        return fromItem(out.Attributes);
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        if (!(e as { Item?: unknown }).Item) throw notFound(`Incident ${next.id} does not exist.`);
        throw stale();
      }
    }

    const failed = await this.transact([{ Update: update }, ...counters]);
    if (failed) {
      // DynamoDB returns the stored item with the cancellation reason; without it, look.
      if (failed.item || (await this.get(next.id))) throw stale();
      throw notFound(`Incident ${next.id} does not exist.`);
    }
    const stored = await this.get(next.id);
    if (stored && stored.version === next.version) return stored;
    // Changed again in the meantime (rare): what we wrote, with the workflow's own fields as stored now.
    return stored ? { ...next, workflow: { ...next.workflow, ...pickWorkflowOwned(stored.workflow) } } : next;
  }

  /** The conditional UpdateItem of `save`, usable alone or inside a transaction. */
  private incidentUpdate(next: Incident, expectedVersion: number) {
    const names: Record<string, string> = { '#pk': TABLE_PARTITION_KEY, '#version': 'version', '#workflow': 'workflow' };
    const values: Record<string, unknown> = { ':expected': expectedVersion };
    const sets: string[] = [];
    const removes: string[] = [];
    const setPath = (path: string, value: unknown) => {
      const v = `:v${sets.length}`;
      values[v] = value;
      sets.push(`${path} = ${v}`);
    };

    const item = toItem(next);
    let n = 0;
    for (const [attribute, value] of Object.entries(item)) {
      if (attribute === TABLE_PARTITION_KEY || attribute === TABLE_SORT_KEY || value === undefined) continue;
      if (attribute === 'workflow') continue;
      const name = `#a${n++}`;
      names[name] = attribute;
      setPath(name, value);
    }
    for (const [field, value] of Object.entries(next.workflow)) {
      if (WORKFLOW_OWNED.has(field) || value === undefined) continue;
      const name = `#w${n++}`;
      names[name] = field;
      setPath(`#workflow.${name}`, value);
    }
    const present = indexAttributes(next);
    for (const attribute of SPARSE_ATTRIBUTES) {
      if (attribute in present) continue;
      const name = `#r${n++}`;
      names[name] = attribute;
      removes.push(name);
    }
    return {
      TableName: this.tableName,
      Key: incidentKey(next.id),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    } satisfies UpdateCommandInput;
  }

  /**
   * One transaction whose first item is the incident write. Null when it committed; the condition
   * failure of the first item otherwise. Conflicts with other writers are retried (nothing was written).
   */
  private async transact(items: TransactItem[]): Promise<ConditionFailed | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return null;
      } catch (e) {
        if (!(e instanceof Error && e.name === 'TransactionCanceledException')) throw e;
        const reasons = (e as { CancellationReasons?: Array<{ Code?: string; Item?: unknown }> }).CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return { item: reasons[0].Item };
        if (!reasons.some((r) => r.Code !== undefined && RETRIED_REASONS.has(r.Code))) throw e;
        if (attempt >= CONFLICT_ATTEMPTS) throw conflict('The incident is being changed by someone else at this moment; try again.', e);
        await backoff(attempt);
      }
    }
  }

  /**
   * Records the waiting workflow stage's task token, only if the incident is still at the version
   * the workflow looked at; false means it changed meanwhile and the workflow must look again.
   * Bookkeeping: does not bump version (contract §4). `null` clears a spent token.
   */
  async setTaskToken(id: string, token: string | null, seenVersion: number, executionName?: string): Promise<boolean> {
    // Only the execution in charge may leave its token: a stray duplicate must not take the wake-ups.
    return this.setWorkflowFields(id, { taskToken: token }, {
      expression: `#version = :seen${executionName === undefined ? '' : ' AND #workflow.#exec = :exec'}`,
      names: { '#version': 'version', ...(executionName === undefined ? {} : { '#exec': 'executionName' }) },
      values: { ':seen': seenVersion, ...(executionName === undefined ? {} : { ':exec': executionName }) },
    });
  }

  /**
   * Bookkeeping: the timeline events before `through` have been published. Only moves forward, so a
   * slower publisher can never set it back; does not bump version.
   */
  async markNotified(id: string, through: number): Promise<void> {
    await this.setWorkflowFields(id, { notifiedThrough: through }, {
      expression: '(attribute_not_exists(#workflow.#f0) OR #workflow.#f0 < :v0)',
    });
  }

  /** Bookkeeping: the name of the workflow run now in charge of the incident; does not bump version. */
  async setExecutionName(id: string, name: string): Promise<void> {
    if (!(await this.setWorkflowFields(id, { executionName: name }))) throw notFound(`Incident ${id} does not exist.`);
  }

  /**
   * Bookkeeping: hands the incident from execution `from` to execution `to` (optionally counting `from` as a
   * failed one), only if `from` is still the one in charge. False when someone else moved it on first: two
   * reconcilers, or a reconciler and a continuing execution, never both start a successor.
   */
  async claimExecution(id: string, from: string | null, to: string, failedExecutions?: number): Promise<boolean> {
    return this.setWorkflowFields(id, { executionName: to, ...(failedExecutions === undefined ? {} : { failedExecutions }) }, inCharge(from));
  }

  /** Bookkeeping: too many failed executions; `from` stays the last one. False if it moved on or is marked already. */
  async markStuck(id: string, from: string, mark: StuckMark): Promise<boolean> {
    const charge = inCharge(from);
    return this.setWorkflowFields(id, { stuck: mark, failedExecutions: mark.failedExecutions }, {
      expression: `${charge.expression} AND (attribute_not_exists(#workflow.#stuck) OR #workflow.#stuck = :none)`,
      names: { ...charge.names, '#stuck': 'stuck' },
      values: { ...charge.values, ':none': null },
    });
  }

  /** Ops retry a stuck incident: the mark and the failure count go, execution `to` is in charge. False if it was not stuck. */
  async clearStuck(id: string, to: string): Promise<boolean> {
    return this.setWorkflowFields(id, { stuck: null, failedExecutions: 0, executionName: to }, {
      expression: 'attribute_exists(#workflow.#stuck) AND #workflow.#stuck <> :none',
      names: { '#stuck': 'stuck' },
      values: { ':none': null },
    });
  }

  /** Bookkeeping: a healthy run ends the streak of failed executions. */
  async resetFailedExecutions(id: string): Promise<void> {
    await this.setWorkflowFields(id, { failedExecutions: 0 }, { expression: '#workflow.#f0 > :zero', values: { ':zero': 0 } });
  }

  /**
   * SET workflow-owned fields of an existing incident (`#f<i>`/`:v<i>` in field order), if `when` holds; false
   * when the condition (or the incident) failed. Never bumps version: bookkeeping is not a change a reader sees.
   */
  private async setWorkflowFields(
    id: string, fields: Partial<Pick<WorkflowState, 'taskToken' | 'notifiedThrough' | 'executionName' | 'failedExecutions' | 'stuck'>>,
    when?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
  ): Promise<boolean> {
    const entries = Object.entries(fields);
    try {
      await retryingConflicts(() => this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: incidentKey(id),
        UpdateExpression: `SET ${entries.map((_, i) => `#workflow.#f${i} = :v${i}`).join(', ')}`,
        ConditionExpression: `attribute_exists(#pk)${when ? ` AND ${when.expression}` : ''}`,
        ExpressionAttributeNames: {
          '#pk': TABLE_PARTITION_KEY, '#workflow': 'workflow',
          ...Object.fromEntries(entries.map(([field], i) => [`#f${i}`, field])), ...when?.names,
        },
        ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])), ...when?.values },
      })));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /**
   * One page of an index, never a Scan. Limit counts items before the filter, so pages are read
   * with Limit = what is still missing until `limit` items are collected or the index ends; a page
   * thus never holds more than needed, and its LastEvaluatedKey resumes exactly after the last item.
   */
  async list(q: ListQuery): Promise<ListPage> {
    if (!Number.isInteger(q.limit) || q.limit < 1) throw new Error(`list limit must be a positive integer, got ${q.limit}`);
    const index = INDEXES[q.index];
    const filter = filterExpression(q.filters ?? {});
    const items: Incident[] = [];
    let startKey = q.startKey;
    for (let page = 0; page < MAX_PAGES_PER_LIST; page++) {
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': index.partitionKey, ...filter.names },
        ExpressionAttributeValues: { ':partition': q.partition, ...filter.values },
        ...(filter.expression ? { FilterExpression: filter.expression } : {}),
        ScanIndexForward: q.ascending,
        Limit: q.limit - items.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      for (const item of out.Items ?? []) items.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
      if (!startKey || items.length >= q.limit) break;
    }
    return { items, lastKey: startKey };
  }

  /** Every incident of one index partition (a reporter's own, for its figures), page after page. */
  async listEvery(index: IndexName, partition: string): Promise<Incident[]> {
    const items: Incident[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.list({ index, partition, ascending: false, limit: 100, ...(startKey ? { startKey } : {}) });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }

  /** Incidents a workflow must hold (open, or resolved awaiting verification): for resume and the reconciler. */
  async listActive(countyId: string, startKey?: Record<string, unknown>, limit = 100): Promise<ListPage> {
    return this.list({ index: 'active', partition: countyId, ascending: true, limit, ...(startKey ? { startKey } : {}) });
  }
}

/** The condition "execution `name` is in charge" (none yet, for a record written without one). */
function inCharge(name: string | null): { expression: string; names: Record<string, string>; values: Record<string, unknown> } {
  return name === null
    ? { expression: '(attribute_not_exists(#workflow.#exec) OR #workflow.#exec = :exec)', names: { '#exec': 'executionName' }, values: { ':exec': null } }
    : { expression: '#workflow.#exec = :exec', names: { '#exec': 'executionName' }, values: { ':exec': name } };
}

/** Attribute names come from this list only, never from the caller's object keys. */
const FILTER_FIELDS = ['status', 'level', 'category', 'overdue', 'townId', 'gridId'] as const satisfies readonly (keyof ListFilters)[];

interface Filter { expression: string | undefined; names: Record<string, string>; values: Record<string, unknown> }

function filterExpression(filters: ListFilters): Filter {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const terms: string[] = [];
  for (const field of FILTER_FIELDS) {
    const value = filters[field];
    if (value === undefined) continue;
    names[`#f_${field}`] = field;
    values[`:f_${field}`] = value;
    terms.push(`#f_${field} = :f_${field}`);
  }
  return { expression: terms.length ? terms.join(' AND ') : undefined, names, values };
}
