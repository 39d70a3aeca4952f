/**
 * The one DynamoDB table design of a county: used by the CDK county stack (infra/) and by the
 * local runtime's CreateTable (local/), so the two can never drift.
 *
 * Items (single-table):
 * - incident:    pk `INC#<id>`           sk `INCIDENT`   (in the indexes below)
 * - its workflow's bookkeeping: pk `INC#<id>`  sk `WORKFLOW` (task token, how much of the timeline is published
 *                and counted; in no index, so the workflow's writes never touch an index: incident-item.ts)
 * - idempotency: pk `IDEM#<sub>#<key>`   sk `IDEM`       (expires through `expiresAt`, TTL)
 * - counters:    pk `STATS#<bucket>`     sk `<townId>#<gridId>#<category>`  (bucket: local day, month or `ALL`)
 *                pk `SERIES#<townId>`    sk `<YYYY-MM-DD>#<gridId>`          (stats-repository.ts)
 *
 * - a backfill's completion: pk `SCHEMA#<index>` sk `BACKFILL` (index-backfill.ts)
 *
 * Secondary indexes are sparse: an attribute exists only while the item belongs to the index,
 * so "open incidents of this grid, soonest deadline first" is a Query on `gridOpen`, never a Scan. They hold keys
 * and the few attributes a Query filters on; a list reads its page's items from the table.
 */
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_SORT_KEY = 'sk';
/** Epoch seconds; DynamoDB TTL removes expired idempotency records. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

export interface IndexDesign {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /**
   * Attributes copied into the index besides the keys (INCLUDE); none: KEYS_ONLY. Lists read the page's items
   * from the table (BatchGetItem), so an index holds only what its Query must filter on: a write that changes
   * nothing an index holds does not touch it, and an index entry stays one write unit.
   */
  readonly projected: readonly string[];
  /**
   * The incident fields the partition key is made of, in order, joined by `#` (a composite key): a Query of one
   * partition is already filtered on them. Absent: the partition key is one field (or a status's sparse copy).
   */
  readonly partitionOf?: readonly string[];
  /**
   * Added after counties were deployed: incidents written before lack its attribute until the backfill has run
   * (index-backfill.ts), and no list reads it before the table's backfill marker says so.
   */
  readonly backfilled?: true;
}

/** Sort key of the open indexes: `<deadline ISO>#<id>`, soonest first. */
export const DEADLINE_SORT = 'gsiDeadline';
/** Sort key of the all-status indexes: `<createdAt ISO>#<id>`, read newest first. */
export const CREATED_SORT = 'gsiCreated';

/**
 * Open indexes filter on category, level and overdue: their entries are rewritten anyway whenever the level
 * changes (the deadline, their sort key, changes with it), and category never changes. All-status indexes
 * filter on category only (status and level change; those filters apply to the items read).
 */
const OPEN_FILTERS = ['category', 'level', 'overdue'] as const;
const ALL_FILTERS = ['category'] as const;

export const INDEXES = {
  gridOpen: { name: 'gridOpen', partitionKey: 'gsiGridOpen', sortKey: DEADLINE_SORT, projected: OPEN_FILTERS },
  townOpen: { name: 'townOpen', partitionKey: 'gsiTownOpen', sortKey: DEADLINE_SORT, projected: OPEN_FILTERS },
  countyOpen: { name: 'countyOpen', partitionKey: 'gsiCountyOpen', sortKey: DEADLINE_SORT, projected: OPEN_FILTERS },
  reporterOpen: { name: 'reporterOpen', partitionKey: 'gsiReporterOpen', sortKey: DEADLINE_SORT, projected: OPEN_FILTERS },
  gridAll: { name: 'gridAll', partitionKey: 'gsiGrid', sortKey: CREATED_SORT, projected: ALL_FILTERS },
  townAll: { name: 'townAll', partitionKey: 'gsiTown', sortKey: CREATED_SORT, projected: ALL_FILTERS },
  countyAll: { name: 'countyAll', partitionKey: 'gsiCounty', sortKey: CREATED_SORT, projected: ALL_FILTERS },
  reporterAll: { name: 'reporterAll', partitionKey: 'gsiReporter', sortKey: CREATED_SORT, projected: ALL_FILTERS },
  /**
   * A grid's incidents of one category, newest first: `?gridId=&category=` without a Query that reads past the
   * grid's other categories. KEYS_ONLY and never rewritten (grid and category change only on a reassignment).
   */
  gridCategory: {
    name: 'gridCategory', partitionKey: 'gsiGridCategory', sortKey: CREATED_SORT, projected: [],
    partitionOf: ['gridId', 'category'], backfilled: true,
  },
  /** Incidents a workflow must hold (open or resolved awaiting verification): the reconciler's list. */
  active: { name: 'active', partitionKey: 'gsiActive', sortKey: 'pk', projected: [] },
} as const satisfies Record<string, IndexDesign>;

export type IndexName = keyof typeof INDEXES;

/** Every key attribute of the table and its indexes: all strings. */
export const KEY_ATTRIBUTES: readonly string[] = [
  ...new Set([TABLE_PARTITION_KEY, TABLE_SORT_KEY, ...Object.values(INDEXES).flatMap((i) => [i.partitionKey, i.sortKey])]),
];

/** Environment variable naming the table for every function and the local runtime. */
export const TABLE_NAME_ENV = 'TABLE_NAME';
