/**
 * Intake: reports through the local HTTP API at a fixed number in flight, against the floor the database
 * sets: the same number of PutItem writes of the same items (the incidents the API stored, with fresh ids)
 * from the same process at the same concurrency, with the repository's create condition. The ratio is the
 * handler's overhead (JWT check, validation, the workflow start) over one conditional write. The workflows the
 * reports start are held at their first task meanwhile (one local database serves both; in the cloud they
 * would not slow the API), then run and are metered; a second, shorter run lets them run alongside.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { toItem } from '#storage/incident-item.js';
import { HOLD_CATEGORY } from './bench-county.js';
import { dynamoTotals, type MeterDelta } from './meter.js';
import { note } from './output.js';
import { round, summarize, type Summary } from './percentiles.js';
import { runPool, waitUntil } from './pool.js';
import type { Session } from './session.js';
import { deleteItems, getIncidents, withFreshId } from './table.js';
import { placesOf, reportBody, rng } from './workload.js';

export interface IntakeOptions { reports: number; warmup: number; concurrency: number; liveReports: number }
export const INTAKE_DEFAULTS: IntakeOptions = { reports: 1_000, warmup: 200, concurrency: 16, liveReports: 500 };

interface Phase { perSecond: number; latencyMs: Summary; failures: number; wallSeconds: number }

export interface IntakeResult {
  reports: number;
  concurrency: number;
  warmupDiscarded: number;
  /**
   * The request path: POST /incidents while the workflows it starts are held at their first task (the local
   * database is shared; in the cloud the workflows never slow the API's writes).
   */
  api: Phase;
  /** Then the held workflows ran: seconds until every one waited at its first stage. */
  settledSeconds: number;
  /** POST /incidents with the workflows running alongside on the same local database (how the 2026-11-29 run measured). */
  live: Phase & { reports: number };
  floor: { perSecond: number; latencyMs: Summary; wallSeconds: number; itemBytes: Summary };
  ratio: { p50: number; p99: number; throughput: number };
  liveRatio: { p50: number; p99: number; throughput: number };
  /**
   * The held workflows that finished their first stage (each then waits on its grid stage's token), of `reports`.
   * Fewer means some failed on the way (a flooded database timing out), and `perReport` counts short.
   */
  firstStagesDone: number;
  /** DynamoDB, Step Functions and SNS work per report: the API call, and the workflow's first stage it starts. */
  perReport: {
    dynamoOps: Record<string, number>; writeUnits: number; readUnits: number;
    requestPath: { writeUnits: number; readUnits: number; dynamoOps: Record<string, number> };
    transitions: number; workflowInvocations: number; snsPublishes: number;
  };
  /** Median latency of each kind of DynamoDB command during the request-path phase and its workflows' run. */
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

  note(`intake: ${opts.reports} reports at ${opts.concurrency} in flight, their workflows held`);
  const waitingBefore = s.local.stepFunctions.stats().waitingTokens;
  const mark = s.meter.mark();
  const release = s.meter.holdWorkflows();
  let api: Awaited<ReturnType<typeof runPool<string | null>>>;
  try {
    api = await runPool(opts.reports, opts.concurrency, report);
  } finally {
    release();
  }
  const requestPath = s.meter.since(mark);
  const settleStart = Date.now();
  await waitUntil(() => s.settled(), 240_000, 50);
  const settledSeconds = (Date.now() - settleStart) / 1000;
  const delta = s.meter.since(mark);
  const firstStagesDone = s.local.stepFunctions.stats().waitingTokens - waitingBefore;
  const ids = api.results.filter((id): id is string => id !== null);

  note(`intake: ${opts.liveReports} reports with their workflows running alongside`);
  const live = await runPool(opts.liveReports, opts.concurrency, report);
  await waitUntil(() => s.settled(), 240_000, 50);

  note('intake: the floor, PutItem of the same items');
  const items = (await getIncidents(s, ids)).map(toItem);
  const floorItems = items.map(withFreshId);
  const put = (item: Record<string, unknown>) => s.doc.send(new PutCommand({
    TableName: s.tableName, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' },
  }));
  await runPool(Math.min(200, floorItems.length), opts.concurrency, (i) => put(withFreshId(items[i]!)).then(() => undefined));
  const floor = await runPool(floorItems.length, opts.concurrency, (i) => put(floorItems[i]!).then(() => undefined));
  await deleteItems(s, floorItems);

  const floorLatency = summarize(floor.latenciesMs);
  const floorRate = floorItems.length / (floor.wallMs / 1000);
  const phase = (p: typeof api, n: number): Phase => ({
    perSecond: round(p.results.filter((x) => x !== null).length / (p.wallMs / 1000), 1), latencyMs: summarize(p.latenciesMs),
    failures: n - p.results.filter((x) => x !== null).length, wallSeconds: round(p.wallMs / 1000),
  });
  const ratioOf = (p: Phase) => ({ p50: round(p.latencyMs.p50 / floorLatency.p50), p99: round(p.latencyMs.p99 / floorLatency.p99), throughput: round(floorRate / p.perSecond) });
  const apiPhase = phase(api, opts.reports);
  const livePhase = { ...phase(live, opts.liveReports), reports: opts.liveReports };
  return {
    reports: opts.reports,
    concurrency: opts.concurrency,
    warmupDiscarded: opts.warmup,
    api: apiPhase,
    settledSeconds: round(settledSeconds),
    live: livePhase,
    floor: {
      perSecond: round(floorRate, 1), latencyMs: floorLatency, wallSeconds: round(floor.wallMs / 1000),
      itemBytes: summarize(floorItems.map((i) => Buffer.byteLength(JSON.stringify(i)))),
    },
    ratio: ratioOf(apiPhase),
    liveRatio: ratioOf(livePhase),
    firstStagesDone,
    perReport: perReport(delta, requestPath, opts.reports),
    dynamoP50Ms: Object.fromEntries(Object.entries(delta.durations).filter(([k, v]) => k.startsWith('dynamo:') && v.length > 0)
      .map(([k, v]) => [k.slice('dynamo:'.length), summarize(v).p50])),
  };
}

function perReport(d: MeterDelta, requestPath: MeterDelta, n: number): IntakeResult['perReport'] {
  const ops = (m: MeterDelta) => Object.fromEntries(Object.entries(m.dynamo).map(([kind, t]) => [kind, round(t.ops / n, 2)]));
  const { writeUnits, readUnits } = dynamoTotals(d.dynamo);
  const request = dynamoTotals(requestPath.dynamo);
  const invocations = Object.values(d.invocations).reduce((s, t) => s + t.count, 0);
  return {
    dynamoOps: ops(d), writeUnits: round(writeUnits / n, 2), readUnits: round(readUnits / n, 2),
    requestPath: { writeUnits: round(request.writeUnits / n, 2), readUnits: round(request.readUnits / n, 2), dynamoOps: ops(requestPath) },
    transitions: round(d.transitions / n, 2), workflowInvocations: round(invocations / n, 2), snsPublishes: round(d.snsPublishes / n, 2),
  };
}
