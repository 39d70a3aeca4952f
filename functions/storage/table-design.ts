/**
 * The one DynamoDB table design of a county: used by the CDK county stack (infra/) and by the
 * local runtime's CreateTable (local/), so the two can never drift.
 *
 * Items (single-table):
 * - incident:    pk `INC#<id>`           sk `INCIDENT`
 * - idempotency: pk `IDEM#<sub>#<key>`   sk `IDEM`       (expires through `expiresAt`, TTL)
 * - counters:    pk `STATS#<bucket>`     sk `<townId>#<gridId>#<category>`  (bucket: local day, month or `ALL`)
 *                pk `SERIES#<townId>`    sk `<YYYY-MM-DD>#<gridId>`          (stats-repository.ts)
 *
 * Secondary indexes are sparse: an attribute exists only while the item belongs to the index,
 * so "open incidents of this grid, soonest deadline first" is a Query on `gridOpen`, never a Scan.
 */
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_SORT_KEY = 'sk';
/** Epoch seconds; DynamoDB TTL removes expired idempotency records. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

export interface IndexDesign {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

/** Sort key of the open indexes: `<deadline ISO>#<id>`, soonest first. */
export const DEADLINE_SORT = 'gsiDeadline';
/** Sort key of the all-status indexes: `<createdAt ISO>#<id>`, read newest first. */
export const CREATED_SORT = 'gsiCreated';

export const INDEXES = {
  gridOpen: { name: 'gridOpen', partitionKey: 'gsiGridOpen', sortKey: DEADLINE_SORT },
  townOpen: { name: 'townOpen', partitionKey: 'gsiTownOpen', sortKey: DEADLINE_SORT },
  countyOpen: { name: 'countyOpen', partitionKey: 'gsiCountyOpen', sortKey: DEADLINE_SORT },
  reporterOpen: { name: 'reporterOpen', partitionKey: 'gsiReporterOpen', sortKey: DEADLINE_SORT },
  gridAll: { name: 'gridAll', partitionKey: 'gsiGrid', sortKey: CREATED_SORT },
  townAll: { name: 'townAll', partitionKey: 'gsiTown', sortKey: CREATED_SORT },
  countyAll: { name: 'countyAll', partitionKey: 'gsiCounty', sortKey: CREATED_SORT },
  reporterAll: { name: 'reporterAll', partitionKey: 'gsiReporter', sortKey: CREATED_SORT },
  /** Incidents a workflow must hold (open or resolved awaiting verification): the reconciler's list. */
  active: { name: 'active', partitionKey: 'gsiActive', sortKey: 'pk' },
} as const satisfies Record<string, IndexDesign>;

export type IndexName = keyof typeof INDEXES;

/** Every key attribute of the table and its indexes: all strings. */
export const KEY_ATTRIBUTES: readonly string[] = [
  ...new Set([TABLE_PARTITION_KEY, TABLE_SORT_KEY, ...Object.values(INDEXES).flatMap((i) => [i.partitionKey, i.sortKey])]),
];

/** Environment variable naming the table for every function and the local runtime. */
export const TABLE_NAME_ENV = 'TABLE_NAME';
