/**
 * The cost measurement: prices the replay's metered work per path and per county-month (bench/cost.ts), after
 * measuring what the replay does not exercise: the reconciler's steady-state run (every active incident
 * checked, none to resume) and the stored size of a finished incident.
 */
import { toItem } from '#storage/incident-item.js';
import { INDEXES } from '#storage/table-design.js';
import { designs, DESIGNS, fixedMonthly, monthly, pathUsage, price, type CostLines, type DesignName, type MonthlyCost, type MonthlyExtras, type PathUsage, type Units } from './cost.js';
import type { ListingResult } from './listing.js';
import { note } from './output.js';
import { round } from './percentiles.js';
import { waitUntil } from './pool.js';
import { CN_NORTH_1, US_EAST_1, type PriceList } from './prices.js';
import { pathOf, type ReplayRun } from './replay.js';
import type { Session } from './session.js';
import { stackFacts } from './stack-facts.js';
import { COUNTY_INCIDENTS_PER_MONTH } from './workload.js';

/** Assumptions for what the replay does not do; docs/performance.md states them. */
export const ASSUMPTIONS = {
  /** Each grid leader and town/city supervisor opens a list this many times a day. */
  listsPerPersonPerDay: 5,
  reconcileRunsPerMonth: (30 * 24 * 60) / 5,
  monthsStored: 12,
  /** CloudWatch Logs bytes not measured here: Lambda's START/END/REPORT lines per invocation, the state
   * machine's ALL-level execution log per transition (inputs and outputs included), an access log line per request. */
  lambdaPlatformBytesPerInvocation: 330,
  stateMachineLogBytesPerTransition: 1_200,
  accessLogBytesPerRequest: 350,
  /** DynamoDB's per-item storage overhead. */
  itemOverheadBytes: 100,
  /** The bookkeeping item (keys, mark, counted snapshot, token) and an index entry (keys, filter attributes, overhead). */
  bookkeepingItemBytes: 600,
  indexEntryBytes: 250,
} as const;

export interface CostResult {
  prices: { region: string; currency: string; notes: string[]; unverified: string[] }[];
  memoryMb: Record<string, number>;
  transitionsCheck: { runner: number; fromTasks: number };
  mix: Record<string, number>;
  perPath: Record<string, {
    usage: PathUsage;
    /** Where the transitions go: the first sync and route, three per wait (await, then sync and route when it
     * ends), and the final Done (a stage change costs nothing more since the route goes to the next stage's await). */
    transitions: { start: number; perWait: number; stageChanges: number; done: number };
    units: Record<DesignName, Units>;
    cost: Record<string, Record<DesignName, CostLines>>;
  }>;
  reconciler: { activeChecked: number; seconds: number; readUnitsPerActive: number; msPerActive: number; describeCalls: number };
  extras: MonthlyExtras;
  monthly: Record<string, Record<DesignName, MonthlyCost>>;
  /** Per region: the county's KMS keys (its own, and its share of the city's) and alarms a month; secrets apart. */
  fixed: Record<string, number>;
  fixedParts: Record<string, { keys: number; alarms: number; secrets: number }>;
  stack: { alarms: number; alarmMetrics: number; compositeAlarms: number; kmsKeys: number; secrets: number; countiesPerCity: number; resources: number; largestStackResources: number; filterPoliciesPerTopic: Record<string, number> };
}

export async function runCost(s: Session, replay: ReplayRun, listing: ListingResult | undefined): Promise<CostResult> {
  note('cost: the county stack\'s facts (memory sizes, alarms, keys, subscriptions)');
  const facts = stackFacts(s.bench.demo);
  const reconciler = await measureReconciler(s);

  const finished = replay.incidents.filter((i) => pathOf(i) !== 'unfinished');
  const perPathUsage = pathUsage(finished, replay.usage, facts);
  const mix = Object.fromEntries(Object.entries(perPathUsage).map(([p, u]) => [p, round(u.incidents / finished.length, 4)]));

  const county = s.bench.demo;
  const people = county.towns.reduce((n, t) => n + t.communities.reduce((m, c) => m + c.grids.length, 0) + t.supervisors.length, 0) + county.city.supervisors.length;
  const incidentsN = Math.max(1, replay.incidents.length);
  const workflowInvocations = Object.values(replay.delta.invocations).reduce((a, t) => a + t.count, 0);
  const apiRequests = Object.values(replay.delta.http).reduce((a, b) => a + b, 0);
  const alwaysIn = Object.values(INDEXES).filter((i) => i.sortKey === 'gsiCreated').length;
  const extras: MonthlyExtras = {
    incidentsPerMonth: COUNTY_INCIDENTS_PER_MONTH * s.bench.scale,
    lists: {
      perMonth: people * ASSUMPTIONS.listsPerPersonPerDay * 30,
      readUnits: listing?.queries[0]?.large.readUnitsPerCall ?? 4,
      ms: listing?.queries[0]?.large.p50Ms ?? 20,
    },
    reconciler: {
      runs: ASSUMPTIONS.reconcileRunsPerMonth,
      activeIncidents: round(activeIncidents(replay, s.bench.daySeconds, s.bench.scale)),
      readUnitsPerActive: reconciler.readUnitsPerActive,
      msPerActive: reconciler.msPerActive,
    },
    logBytesPerIncident: round((replay.delta.logs.bytes
      + workflowInvocations * ASSUMPTIONS.lambdaPlatformBytesPerInvocation
      + apiRequests * (ASSUMPTIONS.lambdaPlatformBytesPerInvocation + ASSUMPTIONS.accessLogBytesPerRequest)
      + replay.delta.transitions * ASSUMPTIONS.stateMachineLogBytesPerTransition) / incidentsN),
    // The incident item, its bookkeeping item, and an entry (keys and filter attributes) in each all-status index.
    storedBytesPerIncident: round(finished.reduce((sum, i) => sum + Buffer.byteLength(JSON.stringify(toItem(i))) + ASSUMPTIONS.itemOverheadBytes, 0)
      / Math.max(1, finished.length) + ASSUMPTIONS.bookkeepingItemBytes + alwaysIn * ASSUMPTIONS.indexEntryBytes),
    monthsStored: ASSUMPTIONS.monthsStored,
  };

  const regions: PriceList[] = [US_EAST_1, CN_NORTH_1];
  const perPath: CostResult['perPath'] = {};
  for (const [path, usage] of Object.entries(perPathUsage)) {
    const byDesign = designs(usage, facts, 'withSms');
    const china = designs(usage, facts, 'withoutSms');
    // A sync and its route open the run; each wait is an await, then a sync and its route or (after the last
    // stage's wait) the closing task, which ends the run itself; a route to the end enters Done.
    const closes = usage.closes;
    const afterWaits = 2 * Math.max(0, usage.syncs - closes - 1) + closes;
    const explained = { start: 2, perWait: usage.awaits + afterWaits, stageChanges: 0, done: 0 };
    explained.done = Math.max(0, usage.transitions - explained.start - explained.perWait);
    perPath[path] = {
      usage: roundDeep(usage),
      transitions: roundDeep(explained, 2),
      units: roundDeep(byDesign),
      cost: Object.fromEntries(regions.map((p) => [p.region, Object.fromEntries(
        (Object.entries(p.currency === 'CNY' ? china : byDesign) as [DesignName, Units][]).map(([d, u]) => [d, roundDeep(price(u, p), 7)]),
      ) as Record<DesignName, CostLines>])),
    };
  }
  const monthlyCost: CostResult['monthly'] = {};
  for (const p of regions) {
    const byDesign = {} as Record<DesignName, MonthlyCost>;
    for (const d of DESIGNS) {
      const units = Object.fromEntries(Object.entries(perPathUsage).map(([path, u]) => [path, designs(u, facts, p.currency === 'CNY' ? 'withoutSms' : 'withSms')[d]]));
      byDesign[d] = monthly(mix, units, d === 'cheapest' ? { ...extras, reconciler: { ...extras.reconciler, runs: 0 } } : extras, facts, p);
    }
    monthlyCost[p.region] = byDesign;
  }
  return {
    prices: regions.map((p) => ({ region: p.region, currency: p.currency, notes: p.notes, unverified: priceKeys.filter((k) => !p.verified.includes(k)) })),
    memoryMb: facts.memoryMb,
    transitionsCheck: { runner: replay.result.work.transitions, fromTasks: replay.result.work.transitionsFromTasks },
    mix,
    perPath,
    reconciler,
    extras,
    monthly: monthlyCost,
    fixed: Object.fromEntries(regions.map((p) => { const f = fixedMonthly(facts, p); return [p.region, round(f.keys + f.alarms, 2)]; })),
    fixedParts: Object.fromEntries(regions.map((p) => { const { keys, alarms, secrets } = fixedMonthly(facts, p); return [p.region, roundDeep({ keys, alarms, secrets }, 3)]; })),
    stack: {
      alarms: facts.alarms, alarmMetrics: facts.alarmMetrics, compositeAlarms: facts.compositeAlarms, kmsKeys: facts.kmsKeys, secrets: facts.secrets,
      countiesPerCity: facts.countiesPerCity, resources: facts.resources, largestStackResources: facts.largestStackResources, filterPoliciesPerTopic: facts.filterPoliciesPerTopic,
    },
  };
}

const priceKeys = ['stepFunctionsPerTransition', 'lambdaPerRequest', 'lambdaPerGbSecond', 'dynamoPerWriteUnit', 'dynamoPerReadUnit', 'dynamoStoragePerGbMonth',
  'snsPerPublish', 'snsPerEmail', 'apiPerRequest', 'logsPerGb', 'xrayPerTrace', 'schedulerPerInvocation', 'kmsPerKeyMonth', 'alarmPerMonth'] as const;

/**
 * Incidents a workflow holds at a time in a real county: arrivals a day times the days an incident stays
 * open or waits for verification (from the replay's records, in county days).
 */
function activeIncidents(replay: ReplayRun, daySeconds: number, scale: number): number {
  const lives = replay.incidents.flatMap((i) => {
    const end = [...i.timeline].reverse().find((e) => e.type === 'closed' || e.type === 'rejected');
    return end ? [(Date.parse(end.at) - Date.parse(i.createdAt)) / 1000 / daySeconds] : [];
  });
  const meanDays = lives.reduce((a, b) => a + b, 0) / Math.max(1, lives.length);
  return ((COUNTY_INCIDENTS_PER_MONTH * scale) / 30) * meanDays;
}

/** Two reconciler runs: the first resumes whatever has no execution (seeded history), the second is the steady state. */
async function measureReconciler(s: Session): Promise<CostResult['reconciler']> {
  note('cost: the reconciler, once to resume, once measured');
  await s.local.reconcile();
  await waitUntil(() => s.settled(), 120_000, 100);
  const mark = s.meter.mark();
  const t0 = Date.now();
  const report = await s.local.reconcile();
  const seconds = (Date.now() - t0) / 1000;
  const d = s.meter.since(mark);
  const readUnits = Object.values(d.dynamo).reduce((sum, t) => sum + t.readUnits, 0);
  const ms = d.invocations['functions/workflow/reconcile.ts']?.ms ?? seconds * 1000;
  const n = Math.max(1, report.checked);
  return {
    activeChecked: report.checked,
    seconds: round(seconds, 2),
    readUnitsPerActive: round(readUnits / n, 4),
    msPerActive: round(ms / n, 3),
    describeCalls: d.sfnApi.DescribeExecutionCommand ?? 0,
  };
}

function roundDeep<T>(value: T, digits = 4): T {
  if (typeof value === 'number') return round(value, digits) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v, digits)])) as T;
}
