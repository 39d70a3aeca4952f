/**
 * Intake: reports through the local HTTP API at a fixed number in flight, against the floor the database
 * sets: the same number of PutItem writes of the same items (the incidents the API stored, with fresh ids)
 * from the same process at the same concurrency, with the repository's create condition. The ratio is the
 * handler's overhead (JWT check, validation, the workflow start) over one conditional write.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { fromItem, toItem } from '#storage/incident-item.js';
import { IncidentRepository } from '#storage/incident-repository.js';
import { HOLD_CATEGORY } from './bench-county.js';
import { dynamoTotals, type MeterDelta } from './meter.js';
import { note } from './output.js';
import { round, summarize, type Summary } from './percentiles.js';
import { runPool, waitUntil } from './pool.js';
import type { Session } from './session.js';
import { deleteItems, getIncidents } from './table.js';
import { placesOf, reportBody, rng } from './workload.js';

export interface IntakeOptions { reports: number; warmup: number; concurrency: number }
export const INTAKE_DEFAULTS: IntakeOptions = { reports: 1_000, warmup: 200, concurrency: 16 };

export interface IntakeResult {
  reports: number;
  concurrency: number;
  warmupDiscarded: number;
  api: { perSecond: number; latencyMs: Summary; failures: number; wallSeconds: number };
  /** Until every workflow the reports started was waiting at its first stage. */
  settledSeconds: number;
  floor: { perSecond: number; latencyMs: Summary; wallSeconds: number; itemBytes: Summary };
  /**
   * The repository's own create alone (what the handler writes: since the stats counters, a TransactWriteItems
   * of the incident and its counter items), same items, same process, same concurrency: separates the cost of
   * the write the product chose from the handler's own overhead.
   */
  repositoryCreate: { perSecond: number; latencyMs: Summary };
  ratio: { p50: number; p99: number; throughput: number };
  /** DynamoDB, Step Functions and SNS work per report (the API call and the workflow start it triggers). */
  perReport: { dynamoOps: Record<string, number>; writeUnits: number; readUnits: number; transitions: number; workflowInvocations: number; snsPublishes: number };
  /** Median latency of each kind of DynamoDB command during the measured reports (the report's own and its workflow's). */
  dynamoP50Ms: Record<string, number>;
}

export async function runIntake(s: Session, opts: IntakeOptions = INTAKE_DEFAULTS): Promise<IntakeResult> {
  const random = rng(5);
  const places = placesOf(s.bench.county);
  const tokens = new Map(await Promise.all(places.map(async (p) => [p.gridId, await s.token('grid', p.gridId)] as const)));
  const report = async (i: number) => {
    const place = places[i % places.length]!;
    const res = await s.call<{ id?: string }>('POST', '/incidents', tokens.get(place.gridId)!, reportBody(random, HOLD_CATEGORY, place));
    return res.status === 201 ? res.body.id ?? null : null;
  };

  note(`intake: ${opts.warmup} warm-up reports (discarded)`);
  await runPool(opts.warmup, opts.concurrency, report);
  await waitUntil(() => s.settled(), 120_000);

  note(`intake: ${opts.reports} reports at ${opts.concurrency} in flight`);
  const mark = s.meter.mark();
  const api = await runPool(opts.reports, opts.concurrency, report);
  const settleStart = Date.now();
  await waitUntil(() => s.settled(), 120_000, 50);
  const settledSeconds = (api.wallMs + (Date.now() - settleStart)) / 1000;
  const delta = s.meter.since(mark);
  const ids = api.results.filter((id): id is string => id !== null);

  note('intake: the floor, PutItem of the same items');
  const items = await asCreated(s, ids);
  const floorItems = items.map(withFreshId);
  const put = (item: Record<string, unknown>) => s.doc.send(new PutCommand({
    TableName: s.tableName, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' },
  }));
  await runPool(Math.min(200, floorItems.length), opts.concurrency, (i) => put(withFreshId(items[i]!)).then(() => undefined));
  const floor = await runPool(floorItems.length, opts.concurrency, (i) => put(floorItems[i]!).then(() => undefined));
  await deleteItems(s, floorItems);

  note('intake: the repository\'s create alone, same items');
  const repository = new IncidentRepository(s.doc, s.tableName);
  const createItems = items.map(withFreshId).map((item) => fromItem(item));
  const create = await runPool(createItems.length, opts.concurrency, (i) => repository.create(createItems[i]!));
  await deleteItems(s, createItems.map(toItem));

  const apiLatency = summarize(api.latenciesMs);
  const floorLatency = summarize(floor.latenciesMs);
  const apiRate = ids.length / (api.wallMs / 1000);
  const floorRate = floorItems.length / (floor.wallMs / 1000);
  return {
    reports: opts.reports,
    concurrency: opts.concurrency,
    warmupDiscarded: opts.warmup,
    api: { perSecond: round(apiRate, 1), latencyMs: apiLatency, failures: opts.reports - ids.length, wallSeconds: round(api.wallMs / 1000) },
    settledSeconds: round(settledSeconds),
    floor: {
      perSecond: round(floorRate, 1), latencyMs: floorLatency, wallSeconds: round(floor.wallMs / 1000),
      itemBytes: summarize(floorItems.map((i) => Buffer.byteLength(JSON.stringify(i)))),
    },
    repositoryCreate: { perSecond: round(createItems.length / (create.wallMs / 1000), 1), latencyMs: summarize(create.latenciesMs) },
    ratio: { p50: round(apiLatency.p50 / floorLatency.p50), p99: round(apiLatency.p99 / floorLatency.p99), throughput: round(floorRate / apiRate) },
    perReport: perReport(delta, opts.reports),
    dynamoP50Ms: Object.fromEntries(Object.entries(delta.durations).filter(([k, v]) => k.startsWith('dynamo:') && v.length > 0)
      .map(([k, v]) => [k.slice('dynamo:'.length), summarize(v).p50])),
  };
}

function perReport(d: MeterDelta, n: number): IntakeResult['perReport'] {
  const ops = Object.fromEntries(Object.entries(d.dynamo).map(([kind, t]) => [kind, round(t.ops / n, 2)]));
  const { writeUnits, readUnits } = dynamoTotals(d.dynamo);
  const invocations = Object.values(d.invocations).reduce((s, t) => s + t.count, 0);
  return {
    dynamoOps: ops, writeUnits: round(writeUnits / n, 2), readUnits: round(readUnits / n, 2),
    transitions: round(d.transitions / n, 2), workflowInvocations: round(invocations / n, 2), snsPublishes: round(d.snsPublishes / n, 2),
  };
}

/** The stored items as the report handler wrote them (before the workflow's bookkeeping). */
async function asCreated(s: Session, ids: string[]): Promise<Record<string, unknown>[]> {
  return (await getIncidents(s, ids)).map((incident) => toItem({ ...incident, workflow: { ...incident.workflow, taskToken: null, notifiedThrough: 0 } }));
}

function withFreshId(item: Record<string, unknown>): Record<string, unknown> {
  const incident = fromItem(item);
  const id = randomUUID();
  return toItem({ ...incident, id, workflow: { ...incident.workflow, executionName: `${id}-1` } });
}
