/**
 * The storage layer against the real DynamoDB engine (DynamoDB Local, in memory, random port).
 * Every test uses its own partitions (county, town, grid, reporter ids), so they share one table.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GridflowError } from '#domain/errors.js';
import type { Incident } from '#domain/incident.js';
import { startDynamoDbLocal, superviseDynamoDbLocal } from '#local/dynamodb-local.js';
import { createTableInput, ensureTable } from '#storage/create-table.js';
import { cursorBinding, decodeCursor, encodeCursor } from '#storage/cursor.js';
import { hashRequest, IdempotencyStore, IN_PROGRESS_LEASE_SECONDS } from '#storage/idempotency.js';
import { counted, counterWrites } from '#domain/stats.js';
import { countedOf, toItem } from '#storage/incident-item.js';
import { backfill, backfillMarkerKey } from '#storage/index-backfill.js';
import { IncidentRepository, type ListQuery } from '#storage/incident-repository.js';
import { StatsRepository } from '#storage/stats-repository.js';
import { translateConfig } from '#storage/dynamodb.js';
import { INDEXES } from '#storage/table-design.js';
import { isProcessAlive, setLocalAwsEnv, startTestDynamoDb, testIncident, type TestDynamoDb } from '../helpers/dynamodb.js';
import { until } from '../helpers/county-client.js';
import { javaProcessesOf } from '../helpers/spawned-county.js';

let db: TestDynamoDb | undefined;
let repo: IncidentRepository;
let idem: IdempotencyStore;
let stats: StatsRepository;
const TZ = 'Asia/Shanghai';

beforeAll(async () => {
  setLocalAwsEnv();
  db = await startTestDynamoDb();
  repo = new IncidentRepository(db.documentClient, db.tableName);
  idem = new IdempotencyStore(db.documentClient, db.tableName);
  stats = new StatsRepository(db.documentClient, db.tableName);
});

afterAll(async () => {
  if (!db) return;
  const { pid } = db;
  await db.stop();
  expect(isProcessAlive(pid)).toBe(false);
});

const uid = () => randomUUID().slice(0, 8);

/** Fresh partitions for one test: nothing another test wrote can appear in its lists. */
function place() {
  const u = uid();
  return { countyId: `county-${u}`, townId: `town-${u}`, gridId: `grid-${u}`, reportedBy: `resident-${u}` };
}

async function statusOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof GridflowError) return e.status;
    throw e;
  }
}

/** Follows `after` until the index ends, as the API does through cursors. */
async function listAll(q: Omit<ListQuery, 'after'>): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await repo.list({ ...q, ...(after === undefined ? {} : { after }) });
    pages.push(page.items.length);
    ids.push(...page.items.map((i) => i.id));
    if (page.after === undefined) return { ids, pages };
    after = page.after;
  }
  throw new Error('paging did not end');
}

describe('table', () => {
  it('has every index of the design holding keys and the attributes it filters on, and ensureTable is idempotent', async () => {
    await ensureTable(db!.client, db!.tableName);
    const { Table } = await db!.client.send(new DescribeTableCommand({ TableName: db!.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(Object.values(INDEXES).map((i) => i.name).sort());
    for (const index of indexes) {
      const design = Object.values(INDEXES).find((i) => i.name === index.IndexName)!;
      expect(index.Projection?.ProjectionType).toBe(design.projected.length > 0 ? 'INCLUDE' : 'KEYS_ONLY');
      expect([...(index.Projection?.NonKeyAttributes ?? [])].sort()).toEqual([...design.projected].sort());
    }
    const ttl = await db!.client.send(new DescribeTimeToLiveCommand({ TableName: db!.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
  });

  it('is reached by a client configured only through AWS_ENDPOINT_URL_DYNAMODB (how the local runtime wires the SDK)', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = db!.endpoint;
    const client = new DynamoDBClient({});
    try {
      const out = await client.send(new ListTablesCommand({}));
      expect(out.TableNames).toContain(db!.tableName);
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
    }
  });
});

describe('IncidentRepository: create, get, save', () => {
  it('creates and reads back an incident exactly; an unknown id is null', async () => {
    const incident = testIncident({ reporter: { name: 'Resident' }, location: { lat: 1, lng: 2 } });
    await repo.create(incident);
    expect(await repo.get(incident.id)).toEqual(incident);
    expect(await repo.get(`missing-${uid()}`)).toBeNull();
  });

  it('refuses to create the same id twice (409)', async () => {
    const incident = testIncident();
    await repo.create(incident);
    expect(await statusOf(repo.create({ ...incident, title: 'Other' }))).toBe(409);
    expect((await repo.get(incident.id))?.title).toBe(incident.title);
  });

  it('lets exactly one of two saves from the same version win; the other is a 409', async () => {
    const incident = testIncident();
    await repo.create(incident);
    const a = { ...incident, title: 'A', version: 2 };
    const b = { ...incident, title: 'B', version: 2 };
    const [ra, rb] = await Promise.all([statusOf(repo.save(a, incident)), statusOf(repo.save(b, incident))]);
    expect([ra, rb].sort()).toEqual([409, 'ok']);
    const winner = ra === 'ok' ? 'A' : 'B';
    const stored = await repo.get(incident.id);
    expect(stored?.version).toBe(2);
    expect(stored?.title).toBe(winner);
    // A retry from the stale version still loses; from the current one it wins.
    expect(await statusOf(repo.save({ ...incident, title: 'C', version: 2 }, incident))).toBe(409);
    expect((await repo.get(incident.id))?.title).toBe(winner);
    expect((await repo.save({ ...incident, title: 'C', version: 3 }, { ...incident, version: 2 })).title).toBe('C');
  });

  it('answers 404 when saving an incident that does not exist', async () => {
    const ghost = testIncident();
    expect(await statusOf(repo.save({ ...ghost, version: 2 }, ghost))).toBe(404);
    // The same through the transactional path (a change the stats count).
    expect(await statusOf(repo.save({ ...ghost, version: 2, status: 'rejected', deadline: null }, ghost))).toBe(404);
  });

  it('keeps the stored task token and execution name when the caller holds an older copy', async () => {
    const incident = testIncident();
    await repo.create(incident);
    await repo.setExecutionName(incident.id, 'exec-2');
    expect(await repo.setTaskToken(incident.id, 'token-1', 1)).toBe(true);

    const stale = { ...incident, title: 'Edited', version: 2, workflow: { ...incident.workflow, approachingReminded: true } };
    const saved = await repo.save(stale, incident);
    expect(saved.title).toBe('Edited');
    expect(saved.workflow).toEqual({ ...stale.workflow, taskToken: 'token-1', executionName: 'exec-2' });
    expect(await repo.get(incident.id)).toEqual(saved);
  });

  it('stores the task token, then says whether the incident is still at the version the workflow saw, never bumping it', async () => {
    const incident = testIncident();
    await repo.create(incident);
    expect(await repo.setTaskToken(incident.id, 'token-1', 1)).toBe(true);
    await repo.save({ ...incident, version: 2, acknowledgedBy: 'hs-09' }, incident);
    // Stored, but the workflow learns that it decided on an old version (and wakes itself).
    expect(await repo.setTaskToken(incident.id, 'token-stale', 1)).toBe(false);
    expect(await repo.setTaskToken(incident.id, 'token-2', 2)).toBe(true);
    const stored = await repo.get(incident.id);
    expect(stored?.workflow.taskToken).toBe('token-2');
    expect(stored?.version).toBe(2);
    expect(await repo.setTaskToken(incident.id, null, 2)).toBe(true);
    expect((await repo.get(incident.id))?.workflow.taskToken).toBeNull();
    expect(await repo.setTaskToken(`missing-${uid()}`, 'x', 1)).toBe(false);
  });

  it('a save after a waiting stage stored its token returns that token (the action wakes it)', async () => {
    const incident = testIncident();
    await repo.create(incident);
    const save = repo.save({ ...incident, version: 2, acknowledgedBy: 'hs-09' }, incident);
    const wait = repo.setTaskToken(incident.id, 'token-1', 1);
    const [saved, stillCurrent] = await Promise.all([save, wait]);
    // Whichever came second saw the other: the action got the token, or the stage learned it must look again.
    expect(saved.workflow.taskToken === 'token-1' || stillCurrent === false).toBe(true);
  });

  it('moves an incident out of the open and active indexes as its status changes', async () => {
    const p = place();
    const incident = testIncident(p);
    await repo.create(incident);
    const inIndex = async (index: ListQuery['index'], partition: string) =>
      (await repo.list({ index, partition, ascending: true, limit: 10 })).items.map((i) => i.id).includes(incident.id);

    expect(await inIndex('gridOpen', p.gridId)).toBe(true);
    const resolved: Incident = { ...incident, status: 'resolved', deadline: null, version: 2,
      resolution: { note: 'Settled', by: 'hs-09', level: 'grid', at: '2025-03-01T10:00:00.000Z' } };
    await repo.save(resolved, incident);
    for (const [index, partition] of [['gridOpen', p.gridId], ['townOpen', p.townId], ['countyOpen', p.countyId], ['reporterOpen', p.reportedBy]] as const) {
      expect(await inIndex(index, partition)).toBe(false);
    }
    const inActive = async () => (await repo.listActive(p.countyId)).items.map((i) => i.id).includes(incident.id);
    expect(await inIndex('gridAll', p.gridId)).toBe(true);
    expect(await inActive()).toBe(true);

    const closed: Incident = { ...resolved, status: 'closed', version: 3 };
    await repo.save(closed, resolved);
    expect(await inActive()).toBe(false);
    expect(await inIndex('countyAll', p.countyId)).toBe(true);

    await repo.save({ ...resolved, status: 'open', deadline: '2025-03-05T00:00:00.000Z', resolution: null, version: 4 }, closed);
    expect(await inIndex('gridOpen', p.gridId)).toBe(true);
    expect(await inActive()).toBe(true);
  });
});

describe('progress: published and counted once, in one transaction with the stats cells', () => {
  /** The cells of a test's own town in `buckets`, summed per counter. */
  const sumOf = async (p: ReturnType<typeof place>, add: string[], subtract: string[] = []) => {
    const totals: Record<string, number> = {};
    for (const cell of await stats.cohortCells({ add, subtract }, `${p.townId}#`)) {
      expect(cell).toMatchObject({ townId: p.townId, gridId: p.gridId, category: 'conflict' });
      for (const [k, v] of Object.entries(cell.counters)) totals[k] = (totals[k] ?? 0) + v;
    }
    return Object.fromEntries(Object.entries(totals).filter(([, v]) => v !== 0));
  };
  const allTime = (p: ReturnType<typeof place>) => sumOf(p, ['ALL']);
  /** Resolved at grid level, by default at 01:00 on 3 March in Shanghai: half an hour after the grid deadline (assigned + PT24H), late. */
  const resolvedFrom = (incident: Incident, at = '2025-03-02T17:00:00.000Z'): Incident => ({
    ...incident, status: 'resolved', deadline: null, version: incident.version + 1,
    resolution: { note: 'Settled', by: 'hs-09', level: 'grid', at },
    timeline: [...incident.timeline, { at, type: 'resolved', level: 'grid', actor: 'hs-09', note: 'Settled', reason: null }],
  });
  // 16:30 UTC is already 2 March in Shanghai, the county's time zone: the day buckets are Shanghai's.
  const reported = (p: ReturnType<typeof place>) => testIncident({
    ...p, createdAt: '2025-03-01T16:30:00.000Z',
    timeline: [
      { at: '2025-03-01T16:30:00.000Z', type: 'reported', level: 'grid', actor: p.reportedBy, note: null, reason: null },
      { at: '2025-03-01T16:30:00.000Z', type: 'assigned', level: 'grid', actor: null, note: null, reason: null },
    ],
  });
  /** What the workflow's outbox does after a change: count from what the bookkeeping says, move the mark with it. */
  const settle = async (incident: Incident) => {
    const { bookkeeping } = (await repo.load(incident.id))!;
    const now = counted(incident, TZ);
    return repo.advanceProgress(
      incident.id,
      { from: bookkeeping.through, through: now.through, counted: { place: now.place, counters: now.counters } },
      stats.updates(counterWrites(countedOf(bookkeeping), incident, TZ)),
    );
  };

  it('counts a new incident in its cells of all time, of its month and of its local day, and its report in the series', async () => {
    const p = place();
    const incident = reported(p);
    await repo.create(incident);
    expect(await allTime(p)).toEqual({});
    expect(await settle(incident)).toBe(true);
    const counts = { total: 1, 'status#open': 1 };
    expect(await allTime(p)).toEqual(counts);
    expect(await sumOf(p, ['2025-03'])).toEqual(counts);
    expect(await sumOf(p, ['2025-03-02'])).toEqual(counts);
    expect(await sumOf(p, ['2025-03-01'])).toEqual({});
    expect(await sumOf(p, ['2025-03'], ['2025-03-02'])).toEqual({});
    expect(await stats.seriesCells([p.townId], '2025-03-01', '2025-03-31')).toEqual([{ day: '2025-03-02', gridId: p.gridId, counters: { reported: 1 } }]);
    expect((await repo.get(incident.id))?.workflow.notifiedThrough).toBe(2);
  });

  it('moves the counters by what changed; a repeated or stale progress moves nothing', async () => {
    const p = place();
    const incident = reported(p);
    await repo.create(incident);
    const { bookkeeping: fresh } = (await repo.load(incident.id))!;
    expect(await settle(incident)).toBe(true);
    // A second run that read the bookkeeping before the first moved it: refused, nothing added.
    const now = counted(incident, TZ);
    expect(await repo.advanceProgress(incident.id, { from: fresh.through, through: now.through, counted: now },
      stats.updates(counterWrites(countedOf(fresh), incident, TZ)))).toBe(false);
    expect(await allTime(p)).toEqual({ total: 1, 'status#open': 1 });

    const resolved = await repo.save(resolvedFrom(incident), incident);
    expect(await settle(resolved)).toBe(true);
    const afterResolve = { total: 1, 'status#resolved': 1, resolved: 1, 'resolvedAt#grid': 1 };
    expect(await allTime(p)).toEqual(afterResolve);
    // The day bucket is still the day it was reported; the resolution counts in the series on its own day.
    expect(await sumOf(p, ['2025-03-02'])).toEqual(afterResolve);
    const series = async () => (await stats.seriesCells([p.townId], '2025-03-01', '2025-03-31')).map((c) => [c.day, c.counters]);
    expect(await series()).toEqual([['2025-03-02', { reported: 1 }], ['2025-03-03', { resolved: 1 }]]);
    expect(await settle(resolved)).toBe(true); // nothing past the mark: the same mark again, nothing added
    expect(await series()).toEqual([['2025-03-02', { reported: 1 }], ['2025-03-03', { resolved: 1 }]]);
    expect(await allTime(p)).toEqual(afterResolve);

    // Two changes, one progress: counted from where the bookkeeping says.
    const closed = await repo.save({ ...resolved, status: 'closed', version: 3, timeline: [...resolved.timeline, { ...resolved.timeline[2]!, type: 'closed', reason: 'verified' }] }, resolved);
    expect(await settle(closed)).toBe(true);
    expect(await allTime(p)).toEqual({ ...afterResolve, 'status#resolved': undefined, 'status#closed': 1 });
  });

  it('counts every one of many concurrent progresses on the same cells', async () => {
    const p = place();
    const all = Array.from({ length: 16 }, () => reported(p));
    await Promise.all(all.map((i) => repo.create(i)));
    await Promise.all(all.map((i) => settle(i)));
    const resolved = await Promise.all(all.map((i) => repo.save(resolvedFrom(i, '2025-03-01T18:00:00.000Z'), i)));
    await Promise.all(resolved.map((i) => settle(i)));
    expect(await allTime(p)).toEqual({ total: 16, 'status#resolved': 16, resolved: 16, 'resolvedAt#grid': 16, resolvedOnTime: 16 });
  });
});

describe('IncidentRepository.list', () => {
  const deadlines = ['2025-03-04T00:00:00.000Z', '2025-03-02T00:00:00.000Z', '2025-03-05T00:00:00.000Z', '2025-03-03T00:00:00.000Z'];

  it('lists each open index soonest deadline first', async () => {
    const p = place();
    const created = deadlines.map((deadline) => testIncident({ ...p, deadline }));
    await Promise.all(created.map((i) => repo.create(i)));
    await repo.create(testIncident({ ...p, status: 'closed', deadline: null }));

    const expected = [...deadlines].sort();
    for (const [index, partition] of [['gridOpen', p.gridId], ['townOpen', p.townId], ['countyOpen', p.countyId], ['reporterOpen', p.reportedBy]] as const) {
      const { items, after } = await repo.list({ index, partition, ascending: true, limit: 10 });
      expect(items.map((i) => i.deadline)).toEqual(expected);
      expect(after).toBeUndefined();
    }
  });

  it('lists an all-status index newest first', async () => {
    const p = place();
    const times = ['2025-03-01T08:00:00.000Z', '2025-03-03T08:00:00.000Z', '2025-03-02T08:00:00.000Z'];
    await Promise.all(times.map((createdAt, n) =>
      repo.create(testIncident({ ...p, createdAt, status: n === 0 ? 'closed' : 'open' }))));
    for (const [index, partition] of [['gridAll', p.gridId], ['townAll', p.townId], ['countyAll', p.countyId], ['reporterAll', p.reportedBy]] as const) {
      const { items } = await repo.list({ index, partition, ascending: false, limit: 10 });
      expect(items.map((i) => i.createdAt)).toEqual([...times].sort().reverse());
    }
  });

  it('applies every filter, alone and combined', async () => {
    const p = place();
    const other = { ...p, townId: `${p.townId}-b`, gridId: `${p.gridId}-b` };
    const fixtures: Incident[] = [
      testIncident({ ...p, id: `f1-${uid()}`, category: 'conflict', level: 'grid' }),
      testIncident({ ...p, id: `f2-${uid()}`, category: 'noise', level: 'town', overdue: true }),
      testIncident({ ...other, id: `f3-${uid()}`, category: 'noise', level: 'city', overdue: true }),
      testIncident({ ...other, id: `f4-${uid()}`, category: 'conflict', level: 'grid', status: 'rejected', deadline: null }),
    ];
    await Promise.all(fixtures.map((i) => repo.create(i)));
    const ids = async (filters: ListQuery['filters']) =>
      (await repo.list({ index: 'countyAll', partition: p.countyId, ascending: false, limit: 50, filters })).items.map((i) => i.id).sort();
    const [f1, f2, f3, f4] = fixtures.map((i) => i.id);

    expect(await ids({})).toEqual([f1, f2, f3, f4].sort());
    expect(await ids({ status: 'open' })).toEqual([f1, f2, f3].sort());
    expect(await ids({ status: 'rejected' })).toEqual([f4]);
    expect(await ids({ level: 'grid' })).toEqual([f1, f4].sort());
    expect(await ids({ category: 'noise' })).toEqual([f2, f3].sort());
    expect(await ids({ overdue: true })).toEqual([f2, f3].sort());
    expect(await ids({ overdue: false })).toEqual([f1, f4].sort());
    expect(await ids({ townId: other.townId })).toEqual([f3, f4].sort());
    expect(await ids({ gridId: p.gridId })).toEqual([f1, f2].sort());
    expect(await ids({ category: 'noise', townId: p.townId, overdue: true })).toEqual([f2]);
    expect(await ids({ category: 'conflict', level: 'city' })).toEqual([]);
  });

  it('pages through 45 items with limit 7, every item exactly once, through signed cursors', async () => {
    const p = place();
    const all = Array.from({ length: 45 }, (_, n) => testIncident({
      ...p,
      id: `page-${String(n).padStart(2, '0')}-${uid()}`,
      deadline: new Date(Date.UTC(2025, 2, 2) + n * 3_600_000).toISOString(),
      category: n % 3 === 0 ? 'noise' : 'conflict',
    }));
    for (let n = 0; n < all.length; n += 15) await Promise.all(all.slice(n, n + 15).map((i) => repo.create(i)));

    const query = { index: 'countyOpen' as const, partition: p.countyId, ascending: true, limit: 7 };
    const plain = await listAll(query);
    expect(plain.ids).toEqual(all.map((i) => i.id));
    expect(plain.pages.slice(0, 6)).toEqual([7, 7, 7, 7, 7, 7]);

    // With a filter, each page is still full.
    const noise = all.filter((i) => i.category === 'noise').map((i) => i.id);
    const filtered = await listAll({ ...query, filters: { category: 'noise' } });
    expect(filtered.ids).toEqual(noise);
    expect(filtered.pages).toEqual([7, 7, 1]);
    // A filter the index cannot apply (level on an all-status index) too.
    const byLevel = await listAll({ index: 'countyAll', partition: p.countyId, ascending: false, limit: 4, filters: { category: 'noise', level: 'grid' } });
    expect(byLevel.ids).toEqual([...noise].reverse());
    expect(byLevel.pages).toEqual([4, 4, 4, 3]);

    // The same walk as the API does it: after -> opaque cursor -> after.
    const secret = 'integration-secret';
    const bindTo = cursorBinding({ ...query, filters: { category: 'conflict' } });
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const after = cursor ? String(decodeCursor(cursor, bindTo, secret).after) : undefined;
      const page = await repo.list({ ...query, filters: { category: 'conflict' }, ...(after === undefined ? {} : { after }) });
      seen.push(...page.items.map((i) => i.id));
      sizes.push(page.items.length);
      cursor = page.after !== undefined ? encodeCursor({ after: page.after }, bindTo, secret) : null;
    } while (cursor);
    expect(seen).toEqual(all.filter((i) => i.category === 'conflict').map((i) => i.id));
    expect(sizes).toEqual([7, 7, 7, 7, 2]);
  });

  it('lists the active index (open and resolved only) with each incident\'s bookkeeping for the reconciler, page by page', async () => {
    const p = place();
    const statuses = ['open', 'resolved', 'closed', 'rejected', 'open'] as const;
    const created = statuses.map((status) => testIncident({ ...p, status, deadline: status === 'open' ? '2025-03-02T00:00:00.000Z' : null }));
    await Promise.all(created.map((i) => repo.create({ ...i, workflow: { ...i.workflow, executionName: `${i.id}-1` } })));
    const expected = created.filter((i) => i.status === 'open' || i.status === 'resolved').map((i) => i.id).sort();

    expect((await repo.listActive(p.countyId)).items.map((i) => i.id).sort()).toEqual(expected);
    await repo.setExecutionName(created[0]!.id, `${created[0]!.id}-2`);
    expect((await repo.listActive(p.countyId)).items.find((i) => i.id === created[0]!.id)?.workflow.executionName).toBe(`${created[0]!.id}-2`);
    // With the bookkeeping: what the reconciler compares (published through, the waiting stage's token).
    await repo.setTaskToken(created[1]!.id, 'token-1', 1);
    expect((await repo.listActive(p.countyId)).items.find((i) => i.id === created[1]!.id)?.workflow).toMatchObject({ taskToken: 'token-1', notifiedThrough: 0 });
    const first = await repo.listActive(p.countyId, undefined, 2);
    expect(first.items).toHaveLength(2);
    expect(first.lastKey).toBeDefined();
    const rest = await repo.listActive(p.countyId, first.lastKey, 10);
    expect([...first.items, ...rest.items].map((i) => i.id).sort()).toEqual(expected);
    expect(rest.lastKey).toBeUndefined();
  });
});

describe('the gridCategory index, added to a table that already holds incidents', () => {
  it('keeps an old incident in its grid\'s category list before, during and after the backfill, which reads the index only once complete', async () => {
    // A county's table as deployed before the index: its design without it, and incidents written without the attribute.
    const tableName = `before-index-${uid()}`;
    const input = createTableInput(tableName);
    await db!.client.send(new CreateTableCommand({
      ...input,
      AttributeDefinitions: input.AttributeDefinitions!.filter((d) => d.AttributeName !== INDEXES.gridCategory.partitionKey),
      GlobalSecondaryIndexes: input.GlobalSecondaryIndexes!.filter((i) => i.IndexName !== INDEXES.gridCategory.name),
    }));
    // Which index each list Query read, seen on the wire.
    const read: string[] = [];
    const doc = DynamoDBDocumentClient.from(db!.client, translateConfig);
    doc.middlewareStack.add((next) => async (args) => {
      const indexName = (args.input as { IndexName?: string }).IndexName;
      if (indexName) read.push(indexName);
      return next(args);
    }, { step: 'initialize', name: 'recordIndexName' });
    const p = place();
    const at = (day: number) => `2025-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
    const conflict = [1, 2, 3, 4, 5].map((day) => testIncident({ ...p, id: `old-${day}-${uid()}`, category: 'conflict', createdAt: at(day), status: day === 3 ? 'open' : 'closed', deadline: day === 3 ? at(9) : null }));
    const others = [testIncident({ ...p, id: `noise-${uid()}`, category: 'noise', createdAt: at(6) }), testIncident({ ...p, gridId: `${p.gridId}-b`, id: `b-${uid()}`, category: 'conflict', createdAt: at(7) })];
    const oldFormat = (i: Incident) => {
      const { [INDEXES.gridCategory.partitionKey]: _new, ...item } = toItem(i);
      return item;
    };
    for (const i of [...conflict, ...others]) await doc.send(new PutCommand({ TableName: tableName, Item: oldFormat(i) }));
    // One moved by a reassignment in a version that wrote a stale attribute: repaired, not only the missing ones.
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...oldFormat(conflict[0]!), [INDEXES.gridCategory.partitionKey]: `${p.gridId}-b#conflict` } }));

    await ensureTable(db!.client, tableName);
    const { Table } = await db!.client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === INDEXES.gridCategory.name)?.IndexStatus).toBe('ACTIVE');

    const list = { index: 'gridAll' as const, partition: p.gridId, ascending: false, filters: { gridId: p.gridId, category: 'conflict' }, narrower: { index: 'gridCategory' as const, partition: `${p.gridId}#conflict` } };
    const newestFirst = conflict.map((i) => i.id).reverse();
    const walk = async (r: IncidentRepository, limit: number, after?: string) => {
      const ids: string[] = [];
      for (let guard = 0; guard < 20; guard++) {
        const page = await r.list({ ...list, limit, ...(after === undefined ? {} : { after }) });
        ids.push(...page.items.map((i) => i.id));
        if (page.after === undefined) return ids;
        after = page.after;
      }
      throw new Error('did not end');
    };

    // Before: the grid's all-status index, filtered; every old incident is there.
    const before = new IncidentRepository(doc, tableName);
    const first = await before.list({ ...list, limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual(newestFirst.slice(0, 2));
    expect(await walk(before, 2)).toEqual(newestFirst);
    expect(new Set(read)).toEqual(new Set(['gridAll']));

    // A run cut short after one page of 3 items: not done, its position saved; lists still read the old index.
    const cut = await backfill(doc, tableName, 'gridCategory', { pageSize: 3, continueWhile: (pages) => pages < 1 });
    expect(cut).toMatchObject({ done: false, resumed: false, scanned: 3 });
    read.length = 0;
    expect(await walk(new IncidentRepository(doc, tableName), 2)).toEqual(newestFirst);
    expect(new Set(read)).toEqual(new Set(['gridAll']));

    // Resumed where it stopped; then complete, and a third run reads the marker only.
    const rest = await backfill(doc, tableName, 'gridCategory', { pageSize: 3 });
    expect(rest).toMatchObject({ done: true, resumed: true, scanned: conflict.length + others.length - 3 });
    expect(cut.written + rest.written).toBe(conflict.length + others.length);
    expect(await backfill(doc, tableName, 'gridCategory')).toMatchObject({ alreadyDone: true, written: 0, scanned: 0 });
    expect((await doc.send(new GetCommand({ TableName: tableName, Key: backfillMarkerKey('gridCategory'), ConsistentRead: true }))).Item).toMatchObject({ completedAt: expect.any(String) });

    // After: the new index, the same incidents in the same order; a cursor issued before the backfill resumes there.
    read.length = 0;
    const after = new IncidentRepository(doc, tableName);
    expect(await walk(after, 2)).toEqual(newestFirst);
    expect(await walk(after, 2, first.after)).toEqual(newestFirst.slice(2));
    expect(new Set(read)).toEqual(new Set(['gridCategory']));
    // The other filters still apply (status on the items read), and so do the other categories and grids.
    expect((await after.list({ ...list, limit: 10, filters: { ...list.filters, status: 'closed' } })).items.map((i) => i.id)).toEqual(newestFirst.filter((id) => id !== conflict[2]!.id));
    expect((await after.list({ ...list, limit: 10, filters: { gridId: p.gridId, category: 'noise' }, narrower: { index: 'gridCategory', partition: `${p.gridId}#noise` } })).items.map((i) => i.id)).toEqual([others[0]!.id]);

    // A reassignment (the write path that changes gridId) moves the incident between the grids' category lists.
    const moved = await after.save({ ...conflict[4]!, gridId: `${p.gridId}-b`, version: conflict[4]!.version + 1 }, conflict[4]!);
    expect(moved.gridId).toBe(`${p.gridId}-b`);
    expect(await walk(after, 10)).toEqual(newestFirst.slice(1));
    const otherGrid = await after.list({ ...list, partition: `${p.gridId}-b`, limit: 10, filters: { gridId: `${p.gridId}-b`, category: 'conflict' }, narrower: { index: 'gridCategory', partition: `${p.gridId}-b#conflict` } });
    expect(otherGrid.items.map((i) => i.id)).toEqual([others[1]!.id, conflict[4]!.id]);
  });
});

describe('IdempotencyStore', () => {
  const now = new Date('2025-03-01T00:00:00.000Z');
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
  const hash = hashRequest('POST', '/incidents', '{"title":"A"}');
  const otherHash = hashRequest('POST', '/incidents', '{"title":"B"}');
  const response = { statusCode: 201, body: '{"id":"inc-1","title":"A"}' };

  it('hashes method, path and body', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRequest('post', '/incidents', '{"title":"A"}')).toBe(hash);
    expect(hashRequest('POST', '/incidents/x/actions', '{"title":"A"}')).not.toBe(hash);
  });

  it('goes new -> in-progress -> replay, and refuses another body with the same key', async () => {
    const key = uid();
    expect(await idem.begin('sub-1', key, hash, now)).toEqual({ kind: 'new', attempt: expect.any(String) });
    // Retry after: the rest of the lease.
    expect(await idem.begin('sub-1', key, hash, at(1))).toEqual({ kind: 'in-progress', retryAfterSeconds: IN_PROGRESS_LEASE_SECONDS - 1 });
    expect(await idem.begin('sub-1', key, otherHash, at(1))).toEqual({ kind: 'mismatch' });

    expect(await idem.complete('sub-1', key, response, at(2))).toBe(true);
    expect(await idem.begin('sub-1', key, hash, at(3))).toEqual({ kind: 'replay', response });
    expect(await idem.begin('sub-1', key, otherHash, at(3))).toEqual({ kind: 'mismatch' });
    // Keys belong to their caller.
    expect(await idem.begin('sub-2', key, otherHash, at(3))).toMatchObject({ kind: 'new' });
    // A completed record is never abandoned.
    await idem.abandon('sub-1', key);
    expect(await idem.begin('sub-1', key, hash, at(4))).toEqual({ kind: 'replay', response });
  });

  it('treats a record past its 24 h as absent, even before TTL removes it', async () => {
    const key = uid();
    await idem.begin('sub-1', key, hash, now);
    await idem.complete('sub-1', key, response, now);
    expect(await idem.begin('sub-1', key, otherHash, at(24 * 3600 - 1))).toEqual({ kind: 'mismatch' });
    expect(await idem.begin('sub-1', key, otherHash, at(24 * 3600 + 1))).toMatchObject({ kind: 'new' });
  });

  it('releases an in-progress key on abandon, or once its lease has run out', async () => {
    const key = uid();
    await idem.begin('sub-1', key, hash, now);
    await idem.abandon('sub-1', key);
    expect(await idem.begin('sub-1', key, hash, at(1))).toMatchObject({ kind: 'new' });
    expect(await idem.begin('sub-1', key, hash, at(IN_PROGRESS_LEASE_SECONDS))).toMatchObject({ kind: 'in-progress' });
    expect(await idem.begin('sub-1', key, hash, at(IN_PROGRESS_LEASE_SECONDS + 2))).toMatchObject({ kind: 'new' });
  });

  it('records the response with the change or not at all; an attempt overtaken after its lease stores nothing', async () => {
    const key = uid();
    const first = await idem.begin('sub-1', key, hash, now);
    if (first.kind !== 'new') throw new Error('expected a new key');
    // The incident write and the response, in one transaction.
    const incident = testIncident();
    await repo.create(incident, [idem.completionItem('sub-1', key, first.attempt, response, now)]);
    expect(await idem.begin('sub-1', key, hash, at(1))).toEqual({ kind: 'replay', response });
    // Abandoning it after the fact (a timeout that came after the write) keeps it.
    await idem.abandon('sub-1', key, first.attempt);
    expect(await idem.begin('sub-1', key, hash, at(2))).toEqual({ kind: 'replay', response });

    // An attempt whose lease ran out and was taken over: its transaction fails whole, nothing is written.
    const other = uid();
    const slow = await idem.begin('sub-1', other, hash, now);
    const fast = await idem.begin('sub-1', other, hash, at(IN_PROGRESS_LEASE_SECONDS + 2));
    if (slow.kind !== 'new' || fast.kind !== 'new') throw new Error('expected two attempts');
    const late = testIncident();
    expect(await statusOf(repo.create(late, [idem.completionItem('sub-1', other, slow.attempt, response, now)]))).toBe(409);
    expect(await repo.get(late.id)).toBeNull();
    // ...and the slow attempt cannot release the key of the one that took over.
    await idem.abandon('sub-1', other, slow.attempt);
    expect(await idem.begin('sub-1', other, hash, at(IN_PROGRESS_LEASE_SECONDS + 3))).toMatchObject({ kind: 'in-progress' });
  });

  it('lets only one of many concurrent requests with the same key through', async () => {
    const key = uid();
    const results = await Promise.all(Array.from({ length: 8 }, () => idem.begin('sub-1', key, hash, now)));
    expect(results.filter((r) => r.kind === 'new')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in-progress')).toHaveLength(7);
  });

  it('does not let a sub containing "#" collide with another sub and key', async () => {
    const key = uid();
    expect(await idem.begin('a', `b#${key}`, hash, now)).toMatchObject({ kind: 'new' });
    expect(await idem.begin('a#b', key, otherHash, now)).toMatchObject({ kind: 'new' });
  });
});

describe('DynamoDB Local launcher', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));

  it('keeps the data of a dataDir across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-ddb-'));
    const incident = testIncident();
    const withLocal = async (use: (r: IncidentRepository) => Promise<void>) => {
      const local = await startDynamoDbLocal({ dataDir });
      const client = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        await ensureTable(client, 'persisted');
        await use(new IncidentRepository(DynamoDBDocumentClient.from(client, translateConfig), 'persisted'));
      } finally {
        client.destroy();
        await local.stop();
      }
      expect(isProcessAlive(local.pid)).toBe(false);
    };
    try {
      await withLocal((r) => r.create(incident));
      await withLocal(async (r) => expect(await r.get(incident.id)).toEqual(incident));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('supervised, comes back on the same endpoint with its data when Java dies, and when it stalls, but not while busy', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-ddb-supervised-'));
    const reasons: string[] = [];
    // Requests answered to others (the runtime counts its handlers'): growing while probes go unanswered is busy.
    let answered = 0;
    let busy = false;
    const othersAnswered = setInterval(() => { if (busy) answered++; }, 50);
    const local = await superviseDynamoDbLocal({ dataDir }, {
      probeEveryMs: 200, probeTimeoutMs: 500, stalledAfter: 3, onRestart: (r) => reasons.push(r), answered: () => answered,
    });
    const client = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    const repo = new IncidentRepository(DynamoDBDocumentClient.from(client, translateConfig), 'supervised');
    const incident = testIncident();
    try {
      await ensureTable(client, 'supervised');
      await repo.create(incident);
      const answers = () => repo.get(incident.id).then((i) => i?.id === incident.id, () => false);

      // Dead: Java killed as a crash would.
      const [java] = javaProcessesOf(dataDir);
      process.kill(java!, 'SIGKILL');
      await until('the first restart', () => local.restarts() === 1, 30_000);
      expect(reasons[0]).toMatch(/exited by itself/);
      await until('the same endpoint answering with the data', answers, 30_000);

      // Busy: the probes go unanswered but others' requests are answered meanwhile. Nothing may happen, so this
      // waits a fixed time: five times the probes a stall needs (3 × 200 ms, each up to 500 ms).
      const [stalled] = javaProcessesOf(dataDir);
      busy = true;
      process.kill(stalled!, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 5 * 3 * 700));
      expect(local.restarts()).toBe(1);
      expect(javaProcessesOf(dataDir)).toContain(stalled);

      // Stalled: alive, not answering, and nothing answered to anyone.
      busy = false;
      await until('the second restart', () => local.restarts() === 2, 30_000);
      expect(reasons.slice(1)).toEqual([expect.stringMatching(/stopped answering/), expect.stringMatching(/exited by itself/)]);
      expect(javaProcessesOf(dataDir)).not.toContain(stalled);
      await until('the same endpoint answering with the data', answers, 30_000);
    } finally {
      clearInterval(othersAnswered);
      client.destroy();
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(javaProcessesOf(dataDir)).toEqual([]);
  }, 120_000);

  it('refuses a port that is already in use, with a clear error', async () => {
    const port = Number(new URL(db!.endpoint).port);
    await expect(startDynamoDbLocal({ inMemory: true, port })).rejects.toThrow(`port ${port}`);
  });

  it('without Java fails with a clear error; the dynalite fallback starts only when that package is installed', async () => {
    let dynaliteInstalled = true;
    try { createRequire(import.meta.url).resolve('dynalite'); } catch { dynaliteInstalled = false; }
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
    process.env.PATH = '/nonexistent';
    delete process.env.JAVA_HOME;
    try {
      // Checked whatever is installed: the fallback refused.
      await expect(startDynamoDbLocal({ inMemory: true, allowDynalite: false })).rejects.toThrow(/needs Java 17.*no `java` was found/);
      if (dynaliteInstalled) {
        const fallback = await startDynamoDbLocal({ inMemory: true });
        try {
          const client = new DynamoDBClient({ endpoint: fallback.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
          expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
          client.destroy();
        } finally {
          await fallback.stop();
        }
      } else {
        await expect(startDynamoDbLocal({ inMemory: true })).rejects.toThrow(/needs Java 17.*no `java` was found/);
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  /** Runs a Node process that starts DynamoDB Local and never calls stop(); returns the Java pid once gone. */
  async function javaOfAbandonedParent(mode: 'exit' | 'sigterm'): Promise<number> {
    const dir = mkdtempSync(join(tmpdir(), 'gridflow-parent-'));
    const script = join(dir, 'parent.mts');
    writeFileSync(script, [
      `import { startDynamoDbLocal } from ${JSON.stringify(pathToFileURL(join(root, 'local/dynamodb-local.ts')).href)};`,
      'const local = await startDynamoDbLocal({ inMemory: true });',
      'process.stdout.write(`${local.pid}\\n`);',
      // Stay up until told, so the test sees Java alive before the parent goes away.
      `if (${JSON.stringify(mode)} === 'sigterm') setInterval(() => {}, 1000);`,
      `else process.stdin.once('data', () => process.exit(0));`,
    ].join('\n'));
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<void>((done) => parent.once('exit', () => done()));
    let out = '';
    let err = '';
    parent.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const pid = await new Promise<number>((ok, fail) => {
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) ok(Number(out.trim()));
      });
      void exited.then(() => fail(new Error(`parent exited before starting DynamoDB Local: ${err}`)));
    });
    expect(isProcessAlive(pid)).toBe(true);
    if (mode === 'sigterm') parent.kill('SIGTERM');
    else parent.stdin.end('exit\n');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    for (let n = 0; n < 50 && isProcessAlive(pid); n++) await new Promise((r) => setTimeout(r, 100));
    return pid;
  }

  it('leaves no Java process behind when its parent ends without stop(), by exiting or by SIGTERM', async () => {
    const pids = await Promise.all([javaOfAbandonedParent('exit'), javaOfAbandonedParent('sigterm')]);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });
});
