/**
 * Incidents in the county table (incident-item.ts: an incident item and a bookkeeping item per incident).
 *
 * Every write that changes what a reader sees is one conditional UpdateItem of the incident item on `version`,
 * so a lost race is a 409, never a silent overwrite. The workflow's own writes (task token, progress) go to the
 * bookkeeping item and never bump `version`. The stats are not written here: the workflow applies them with its
 * progress (`advanceProgress`), after the change, exactly once per timeline event.
 */
import {
  BatchGetCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand,
  type DynamoDBDocumentClient, type QueryCommandInput, type TransactWriteCommandInput, type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { conflict, notFound } from '../domain/errors.js';
import type { Incident, Level, Status, StuckMark, WorkflowState } from '../domain/incident.js';
import {
  bookkeepingOf, fromItem, incidentKey, indexAttributes, INCIDENT_SK, toItem, workflowKey, WORKFLOW_SK,
  type Bookkeeping, type StoredCounted,
} from './incident-item.js';
import { isBackfilled, type BackfilledIndex } from './index-backfill.js';
import { DEADLINE_SORT, INDEXES, KEY_ATTRIBUTES, TABLE_PARTITION_KEY, TABLE_SORT_KEY, type IndexDesign, type IndexName } from './table-design.js';

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
  /** Resume after this index sort key (the `after` of the previous page). */
  after?: string;
  filters?: ListFilters;
  /**
   * An index that answers the same list with fewer entries read (same sort key, so the same order and the same
   * `after`), read instead once its backfill has completed on this table (index-backfill.ts).
   */
  narrower?: { index: BackfilledIndex; partition: string };
}

export interface ListPage {
  items: Incident[];
  /** The index sort key of the last incident looked at; undefined when the index has no more. */
  after: string | undefined;
}

/** A page of the reconciler's index: the incidents with their bookkeeping. */
export interface ActivePage { items: Incident[]; lastKey: Record<string, unknown> | undefined }

/** Workflow fields only the workflow and the reconciler write; save() leaves the stored ones as they are. */
const WORKFLOW_OWNED: ReadonlySet<string> = new Set(['taskToken', 'executionName', 'notifiedThrough', 'failedExecutions', 'stuck']);

/** Bounds the work of one list call under a very selective filter; `after` resumes it exactly. */
const MAX_EXAMINED_PER_LIST = 2_500;
const SPARSE_ATTRIBUTES = KEY_ATTRIBUTES.filter((a) => a !== TABLE_PARTITION_KEY && a !== TABLE_SORT_KEY);
/** How long a "not backfilled yet" answer stands before the marker is read again; a "done" stands for good. */
const BACKFILL_RECHECK_MS = 60_000;

const isConditionFailure = (e: unknown): boolean =>
  e instanceof Error && e.name === 'ConditionalCheckFailedException';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Two writers touching the same item at once (two transactions on a busy counter, or a bookkeeping
 * write while a transaction holds it) make one of them fail with a transaction conflict, which the SDK
 * does not retry. Nothing was written then, so it is retried here, with jittered backoff.
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

/** An incident with its workflow's bookkeeping, as the workflow reads it. */
export interface Loaded { incident: Incident; bookkeeping: Bookkeeping }

/** What the workflow records once it has published and counted the timeline up to `through`. */
export interface Progress { from: number; through: number; counted: StoredCounted }

/** The bookkeeping an incident object carries (as loaded). */
const bookkeepingFrom = (i: Incident): Bookkeeping => ({ taskToken: i.workflow.taskToken, through: i.workflow.notifiedThrough, counted: null });

export class IncidentRepository {
  /** Per index, whether its backfill is done, as last read from the marker (one read per container once done). */
  private readonly backfilledAt = new Map<BackfilledIndex, { done: boolean; until: number }>();

  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  async get(id: string): Promise<Incident | null> {
    return (await this.load(id))?.incident ?? null;
  }

  /** The incident and its bookkeeping: one Query of the incident's partition. */
  async load(id: string): Promise<Loaded | null> {
    const out = await this.doc.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY },
      ExpressionAttributeValues: { ':pk': incidentKey(id)[TABLE_PARTITION_KEY] },
      ConsistentRead: true,
    }));
    const items = out.Items ?? [];
    const item = items.find((i) => i[TABLE_SORT_KEY] === INCIDENT_SK);
    if (!item) return null;
    const bookkeeping = bookkeepingOf(items.find((i) => i[TABLE_SORT_KEY] === WORKFLOW_SK));
    return { incident: fromItem(item, bookkeeping), bookkeeping };
  }

  /**
   * Stores a new incident: one PutItem (its first workflow stage counts it in the stats). `also` joins it in one
   * transaction (an Idempotency-Key's recorded response: recorded if and only if the incident is).
   */
  async create(incident: Incident, also: readonly TransactItem[] = []): Promise<void> {
    const put = {
      TableName: this.tableName,
      Item: toItem(incident),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY },
    };
    if (also.length > 0) {
      if (!(await this.transact([{ Put: put }, ...also]))) throw conflict(`Incident ${incident.id} already exists.`);
      return;
    }
    try {
      await this.doc.send(new PutCommand(put));
    } catch (e) {
      if (isConditionFailure(e)) throw conflict(`Incident ${incident.id} already exists.`);
      throw e;
    }
  }

  /**
   * Writes `next` over `prev` if the stored version is still `prev.version`. Returns the incident as stored,
   * with the task token stored now: read after the write, so a workflow stage that started waiting before it
   * is found (await's `setTaskToken` writes its token before it looks at the version: one of the two sees the other).
   *
   * `readToken: false` (the workflow, which has its own bookkeeping in hand): the token is not read, the returned
   * incident keeps `prev`'s bookkeeping.
   *
   * An UpdateItem rather than a Put: it SETs every attribute of the incident item except the workflow fields the
   * workflow and the reconciler own (the run in charge, failed runs, the stuck mark), which a stale copy must not
   * set back, and REMOVEs the sparse index attributes the incident no longer has.
   */
  async save(next: Incident, prev: Incident, opts: { readToken?: boolean; also?: readonly TransactItem[] } = {}): Promise<Incident> {
    const stale = () => conflict(`Incident ${next.id} changed since version ${prev.version}; reload it and try again.`);
    const update = this.incidentUpdate(next, prev.version);
    if (opts.also?.length) {
      // A transaction returns no item: read it back (consistently), token included.
      if (!(await this.transact([{ Update: update }, ...opts.also]))) {
        if (await this.get(next.id)) throw stale();
        throw notFound(`Incident ${next.id} does not exist.`);
      }
      const stored = await this.load(next.id);
      if (!stored) throw notFound(`Incident ${next.id} does not exist.`);
      // Changed again meanwhile (rare): what we wrote, with the workflow's own fields as stored now.
      return stored.incident.version === next.version ? stored.incident : { ...next, workflow: { ...next.workflow, ...stored.incident.workflow } };
    }
    try {
      const out = await retryingConflicts(() => this.doc.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' })));
      if (!out.Attributes) throw new Error(`UpdateItem on incident ${next.id} returned no attributes`);
      return fromItem(out.Attributes, opts.readToken === false ? bookkeepingFrom(prev) : await this.bookkeeping(next.id));
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      if (!(e as { Item?: unknown }).Item) throw notFound(`Incident ${next.id} does not exist.`);
      throw stale();
    }
  }

  private incidentUpdate(next: Incident, expectedVersion: number) {
    const names: Record<string, string> = { '#pk': TABLE_PARTITION_KEY, '#version': 'version', '#workflow': 'workflow' };
    const values: Record<string, unknown> = { ':expected': expectedVersion };
    const sets: string[] = [];
    const removes: string[] = [];
    let n = 0;
    const set = (path: string, value: unknown) => {
      values[`:a${n}`] = value;
      sets.push(`${path} = :a${n++}`);
    };
    for (const [attribute, value] of Object.entries(toItem(next))) {
      if (attribute === TABLE_PARTITION_KEY || attribute === TABLE_SORT_KEY || attribute === 'workflow' || value === undefined) continue;
      names[`#a${n}`] = attribute;
      set(`#a${n}`, value);
    }
    // Field by field: what the reconciler or the workflow recorded meanwhile stays.
    for (const [field, value] of Object.entries(next.workflow)) {
      if (WORKFLOW_OWNED.has(field) || value === undefined) continue;
      names[`#w${n}`] = field;
      set(`#workflow.#w${n}`, value);
    }
    const present = indexAttributes(next);
    for (const attribute of SPARSE_ATTRIBUTES) {
      if (attribute in present) continue;
      names[`#r${n}`] = attribute;
      removes.push(`#r${n++}`);
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

  private async bookkeeping(id: string): Promise<Bookkeeping> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: workflowKey(id), ConsistentRead: true }));
    return bookkeepingOf(out.Item);
  }

  /**
   * Records the waiting stage's task token, then looks at the incident: true if it is still at the version the
   * workflow decided on, false if it changed meanwhile (or does not exist) and the workflow must look again.
   * The token is written first and the version read after, and an action writes the incident first and reads
   * the token after (`save`): whichever comes second sees the other's write, so no change goes unanswered.
   * With `executionName`, only the execution in charge leaves its token (a stray duplicate must not take the
   * wake-ups): false, nothing written, for another. Bookkeeping: does not bump version. `null` clears a spent token.
   */
  async setTaskToken(id: string, token: string | null, seenVersion: number, executionName?: string): Promise<boolean> {
    const saved = await this.updateIf({
      TableName: this.tableName,
      Key: workflowKey(id),
      UpdateExpression: 'SET #token = :token',
      // Before any hand-over the bookkeeping names no run: the report's first one is in charge, the only one that can exist.
      ...(executionName === undefined ? {} : { ConditionExpression: 'attribute_not_exists(#exec) OR #exec = :exec' }),
      ExpressionAttributeNames: { '#token': 'taskToken', ...(executionName === undefined ? {} : { '#exec': 'executionName' }) },
      ExpressionAttributeValues: { ':token': token, ...(executionName === undefined ? {} : { ':exec': executionName }) },
    });
    if (!saved) return false;
    const out = await this.doc.send(new GetCommand({
      TableName: this.tableName, Key: incidentKey(id), ConsistentRead: true,
      ProjectionExpression: '#version, #workflow.#exec', ExpressionAttributeNames: { '#version': 'version', '#workflow': 'workflow', '#exec': 'executionName' },
    }));
    const stored = out.Item as { version?: number; workflow?: { executionName?: string | null } } | undefined;
    if (stored === undefined || stored.version !== seenVersion) return false;
    return executionName === undefined || (stored.workflow?.executionName ?? null) === executionName;
  }

  /**
   * Bookkeeping: the timeline events before `p.through` are published, and the stats count the incident as
   * `p.counted`, if the record still says `p.from` (false otherwise: another run got there first; read again).
   * `alongside` (the stats cells' additions) commit in the same transaction, so they happen exactly once.
   */
  async advanceProgress(id: string, p: Progress, alongside: readonly TransactItem[] = []): Promise<boolean> {
    const update = {
      TableName: this.tableName,
      Key: workflowKey(id),
      UpdateExpression: 'SET #through = :through, #counted = :counted',
      ConditionExpression: p.from === 0 ? 'attribute_not_exists(#through) OR #through = :from' : '#through = :from',
      ExpressionAttributeNames: { '#through': 'through', '#counted': 'counted' },
      ExpressionAttributeValues: { ':through': p.through, ':counted': p.counted, ':from': p.from },
    };
    if (alongside.length === 0) return this.updateIf(update);
    return this.transact([{ Update: update }, ...alongside]);
  }

  /** The bookkeeping of one incident, read again after another run moved it. */
  async readBookkeeping(id: string): Promise<Bookkeeping> {
    return this.bookkeeping(id);
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
   * SET fields the reconciler owns on the incident item (the run in charge, failed runs, the stuck mark), if
   * `when` holds; false when the condition (or the incident) failed. A new run in charge is also named on the
   * bookkeeping item, in the same transaction, so that only it may leave a task token (setTaskToken). Rare
   * (a failed run, a continuation): never on the path of a report or an action. Never bumps version.
   */
  private async setWorkflowFields(
    id: string, fields: Partial<Pick<WorkflowState, 'executionName' | 'failedExecutions' | 'stuck'>>,
    when?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
  ): Promise<boolean> {
    const entries = Object.entries(fields);
    const update = {
      TableName: this.tableName,
      Key: incidentKey(id),
      UpdateExpression: `SET ${entries.map((_, i) => `#workflow.#f${i} = :v${i}`).join(', ')}`,
      ConditionExpression: `attribute_exists(#pk)${when ? ` AND ${when.expression}` : ''}`,
      ExpressionAttributeNames: {
        '#pk': TABLE_PARTITION_KEY, '#workflow': 'workflow',
        ...Object.fromEntries(entries.map(([field], i) => [`#f${i}`, field])), ...when?.names,
      },
      ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])), ...when?.values },
    };
    if (fields.executionName === undefined) return this.updateIf(update);
    return this.transact([{ Update: update }, {
      Update: {
        TableName: this.tableName, Key: workflowKey(id), UpdateExpression: 'SET #exec = :exec',
        ExpressionAttributeNames: { '#exec': 'executionName' }, ExpressionAttributeValues: { ':exec': fields.executionName },
      },
    }]);
  }

  /** True when it was written, false when its condition failed. Conflicts are retried. */
  private async updateIf(update: UpdateCommandInput): Promise<boolean> {
    try {
      await retryingConflicts(() => this.doc.send(new UpdateCommand(update)));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** True when it committed, false when the first item's condition failed. Conflicts are retried. */
  private async transact(items: TransactItem[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (e) {
        if (!(e instanceof Error && e.name === 'TransactionCanceledException')) throw e;
        const reasons = (e as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
        // An item written along (`also`: an Idempotency-Key's record) no longer holds: nothing was written.
        if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) throw conflict('Another request with this Idempotency-Key took over; retry it.', e);
        if (!reasons.some((r) => r.Code !== undefined && RETRIED_REASONS.has(r.Code))) throw e;
        if (attempt >= CONFLICT_ATTEMPTS) throw e;
        await backoff(attempt);
      }
    }
  }

  /**
   * One page of an index, never a Scan. The index holds keys and the attributes its Query filters on; the
   * page's incidents are then read from the table (BatchGetItem), where the other filters apply (and the index,
   * which lags the table a little, is checked against the record). Reads whole batches and stops at exactly
   * `limit`: the page ends with the sort key of the last incident looked at (`after`), from which the next page
   * resumes, so a selective filter costs more index entries read, not more round trips.
   */
  async list(q: ListQuery): Promise<ListPage> {
    if (!Number.isInteger(q.limit) || q.limit < 1) throw new Error(`list limit must be a positive integer, got ${q.limit}`);
    if (q.narrower && INDEXES[q.narrower.index].sortKey !== INDEXES[q.index].sortKey) throw new Error(`${q.narrower.index} does not sort like ${q.index}`);
    const { index: indexName, partition } = q.narrower && await this.backfilled(q.narrower.index) ? q.narrower : q;
    const index: IndexDesign = INDEXES[indexName];
    const filters = q.filters ?? {};
    const indexFilter = filterExpression(filters, index.projected);
    // Filters the index cannot apply leave gaps in what it returns; an open index is itself the status filter, and
    // a composite partition is itself the filter on the fields it is made of.
    const inIndex = (field: keyof ListFilters) => index.projected.includes(field) || (index.partitionOf ?? []).includes(field)
      || (field === 'status' && index.sortKey === DEADLINE_SORT && filters.status === 'open');
    const gappy = FILTER_FIELDS.some((f) => filters[f] !== undefined && !inIndex(f));
    const items: Incident[] = [];
    let startKey: Record<string, unknown> | undefined;
    let examined = 0;
    for (;;) {
      const needed = q.limit - items.length;
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: q.after === undefined ? '#partition = :partition' : `#partition = :partition AND #sort ${q.ascending ? '>' : '<'} :after`,
        ExpressionAttributeNames: { '#partition': index.partitionKey, ...(q.after === undefined ? {} : { '#sort': index.sortKey }), ...indexFilter.names },
        ExpressionAttributeValues: { ':partition': partition, ...(q.after === undefined ? {} : { ':after': q.after }), ...indexFilter.values },
        ...(indexFilter.expression ? { FilterExpression: indexFilter.expression } : {}),
        ScanIndexForward: q.ascending,
        // Limit counts entries before the index's filter: read a bigger batch when one applies.
        Limit: indexFilter.expression || gappy ? Math.max(100, 2 * needed) : needed,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      } satisfies QueryCommandInput));
      const entries = out.Items ?? [];
      // Read the items in chunks: as many as the page still needs, more when filters leave gaps.
      for (let from = 0; from < entries.length;) {
        const want = q.limit - items.length;
        const chunk = entries.slice(from, from + (gappy ? Math.min(100, Math.max(25, 2 * want)) : want));
        from += chunk.length;
        const incidents = await this.incidentsOf(chunk.map((e) => String(e[TABLE_PARTITION_KEY])));
        for (const entry of chunk) {
          examined++;
          const incident = incidents.get(String(entry[TABLE_PARTITION_KEY]));
          if (incident && matches(incident, filters)) items.push(incident);
          if (items.length === q.limit || examined >= MAX_EXAMINED_PER_LIST) {
            const more = entry !== entries[entries.length - 1] || out.LastEvaluatedKey !== undefined;
            return { items, after: more ? String(entry[index.sortKey]) : undefined };
          }
        }
      }
      startKey = out.LastEvaluatedKey;
      if (!startKey) return { items, after: undefined };
    }
  }

  /** Whether `index` may be read: its backfill has completed on this table (the marker, cached). */
  private async backfilled(index: BackfilledIndex): Promise<boolean> {
    const at = performance.now();
    const known = this.backfilledAt.get(index);
    if (known && known.until > at) return known.done;
    const done = await isBackfilled(this.doc, this.tableName, index);
    this.backfilledAt.set(index, { done, until: done ? Infinity : at + BACKFILL_RECHECK_MS });
    return done;
  }

  /** The incident items of the given partition keys (`INC#<id>`), by partition key; bookkeeping is not read. */
  private async incidentsOf(pks: readonly string[]): Promise<Map<string, Incident>> {
    const found = new Map<string, Incident>();
    for (let i = 0; i < pks.length; i += 100) {
      let keys: Record<string, unknown>[] = pks.slice(i, i + 100).map((pk) => ({ [TABLE_PARTITION_KEY]: pk, [TABLE_SORT_KEY]: INCIDENT_SK }));
      for (let attempt = 1; keys.length > 0; attempt++) {
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item[TABLE_PARTITION_KEY]), fromItem(item));
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
        if (keys.length > 0) await backoff(Math.min(attempt, 6));
      }
    }
    // The index showed them, so they exist: one an eventually consistent read missed is read again, consistently.
    for (const pk of pks) {
      if (found.has(pk)) continue;
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [TABLE_PARTITION_KEY]: pk, [TABLE_SORT_KEY]: INCIDENT_SK }, ConsistentRead: true }));
      if (out.Item) found.set(pk, fromItem(out.Item));
    }
    return found;
  }

  /** Every incident of one index partition (a reporter's own, for its figures), page after page. */
  async listEvery(index: IndexName, partition: string): Promise<Incident[]> {
    const items: Incident[] = [];
    let after: string | undefined;
    do {
      const page = await this.list({ index, partition, ascending: false, limit: 100, ...(after === undefined ? {} : { after }) });
      items.push(...page.items);
      after = page.after;
    } while (after !== undefined);
    return items;
  }

  /**
   * Incidents a workflow must hold (open, or resolved awaiting verification), with their bookkeeping: the index
   * holds keys only, the page's incident and bookkeeping items are read in one batch (eventually consistent: the
   * reconciler looks again at its next pass).
   */
  async listActive(countyId: string, startKey?: Record<string, unknown>, limit = 100): Promise<ActivePage> {
    const index = INDEXES.active;
    const out = await this.doc.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': index.partitionKey },
      ExpressionAttributeValues: { ':partition': countyId },
      Limit: Math.min(limit, 50),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }));
    const pks = (out.Items ?? []).map((e) => String(e[TABLE_PARTITION_KEY]));
    const items = new Map<string, Record<string, unknown>>();
    let keys: Record<string, unknown>[] = pks.flatMap((pk) => [{ [TABLE_PARTITION_KEY]: pk, [TABLE_SORT_KEY]: INCIDENT_SK }, { [TABLE_PARTITION_KEY]: pk, [TABLE_SORT_KEY]: WORKFLOW_SK }]);
    for (let attempt = 1; keys.length > 0; attempt++) {
      const got = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
      for (const item of got.Responses?.[this.tableName] ?? []) items.set(`${String(item[TABLE_PARTITION_KEY])}|${String(item[TABLE_SORT_KEY])}`, item);
      keys = (got.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      if (keys.length > 0) await backoff(Math.min(attempt, 6));
    }
    return {
      items: pks.flatMap((pk) => {
        const item = items.get(`${pk}|${INCIDENT_SK}`);
        return item ? [fromItem(item, bookkeepingOf(items.get(`${pk}|${WORKFLOW_SK}`)))] : [];
      }),
      lastKey: out.LastEvaluatedKey,
    };
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

/** The filters an index can apply itself: those on attributes it holds. */
function filterExpression(filters: ListFilters, projected: readonly string[]): Filter {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const terms: string[] = [];
  for (const field of FILTER_FIELDS) {
    const value = filters[field];
    if (value === undefined || !projected.includes(field)) continue;
    names[`#f_${field}`] = field;
    values[`:f_${field}`] = value;
    terms.push(`#f_${field} = :f_${field}`);
  }
  return { expression: terms.length ? terms.join(' AND ') : undefined, names, values };
}

/** Every filter, on the record as read (the index lags the table: what left an open index meanwhile is dropped). */
function matches(incident: Incident, filters: ListFilters): boolean {
  return FILTER_FIELDS.every((field) => filters[field] === undefined || incident[field] === filters[field]);
}
