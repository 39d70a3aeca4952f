/**
 * Cost per incident and per county-month, from what the replay really did (bench/replay.ts, metered by
 * bench/meter.ts), priced with bench/prices.ts:
 *  - per path (how the incident ended): the mean work of the replay's incidents that ended that way;
 *  - transitions per incident from each task's outcome (bench/meter.ts: a sync and its route, an await, the
 *    closing task, Done), checked against the runner's own count of StateEntered events for the whole replay;
 *  - Lambda: workflow tasks as invoked (with their measured durations) plus one invocation per API request
 *    (its duration: the request's latency through the local gateway, an upper bound), at the stack's memory;
 *  - DynamoDB: the read and write units DynamoDB Local reported (ReturnConsumedCapacity=INDEXES), with
 *    transactions recomputed by the documented rule (bench/meter.ts says why).
 * One other design is priced from the same counts (see `designs`): the cheapest the author can argue for (no
 * state machine: a one-time EventBridge Scheduler schedule per due point).
 */
import { HANDLERS, ROUTES } from '#infra/handlers.js';
import type { Incident, Level } from '#domain/incident.js';
import type { IncidentUsage } from './meter.js';
import { round } from './percentiles.js';
import type { PriceList } from './prices.js';
import { pathOf, type Path } from './replay.js';
import type { StackFacts } from './stack-facts.js';

const SYNC = 'functions/workflow/sync.ts';
const AWAIT = 'functions/workflow/await.ts';

/** Work per incident, averaged over the incidents of one path. */
export interface PathUsage {
  incidents: number;
  transitions: number;
  stageChanges: number;
  /** Invocations of the sync function, the closing task's included. */
  syncs: number;
  /** Of those, closing tasks (one transition each, no route). */
  closes: number;
  awaits: number;
  /** Mean duration of one task invocation (ms). */
  syncMs: number;
  awaitMs: number;
  apiRequests: number;
  apiMs: number;
  apiByRoute: Record<string, number>;
  writeUnits: number;
  readUnits: number;
  bookkeeping: Record<string, { ops: number; units: number }>;
  visible: IncidentUsage['visible'];
  snsPublishes: number;
  emails: { withSms: number; withoutSms: number };
  sms: number;
  /** Timeline changes the clock made (reminders, deadline escalations, overdue, closing by the window). */
  dueEvents: number;
}

/** The billable units of one incident under one design. */
export interface Units {
  transitions: number;
  lambdaInvocations: number;
  gbSeconds: number;
  writeUnits: number;
  readUnits: number;
  snsPublishes: number;
  emails: number;
  apiRequests: number;
  schedulerInvocations: number;
}

export interface CostLines extends Record<keyof Units, number> { total: number }

const DUE_EVENTS = new Set(['reminded', 'overdue']);
export const dueEventsOf = (incident: Incident): number => incident.timeline.filter((e) =>
  DUE_EVENTS.has(e.type) || (e.type === 'escalated' && e.reason === 'deadline') || (e.type === 'closed' && e.reason === 'verification-window')).length;

export function pathUsage(incidents: readonly Incident[], usage: Map<string, IncidentUsage>, facts: StackFacts): Record<string, PathUsage> {
  const groups = new Map<Path, Incident[]>();
  for (const i of incidents) groups.set(pathOf(i), [...(groups.get(pathOf(i)) ?? []), i]);
  const out: Record<string, PathUsage> = {};
  for (const [path, list] of groups) {
    const n = list.length;
    const sum = (f: (u: IncidentUsage, i: Incident) => number) => list.reduce((s, i) => s + f(usage.get(i.id) ?? emptyUsage, i), 0);
    const mean = (f: (u: IncidentUsage, i: Incident) => number) => sum(f) / n;
    const count = (u: IncidentUsage, entry: string) => u.invocations[entry]?.count ?? 0;
    const ms = (u: IncidentUsage, entry: string) => u.invocations[entry]?.ms ?? 0;
    // The closing task after the last wait is an invocation of the sync function too.
    const closes = sum((u) => count(u, `${SYNC}#close`));
    const syncs = sum((u) => count(u, SYNC)) + closes;
    const awaits = sum((u) => count(u, AWAIT));
    const apiRequests = sum((u) => Object.values(u.api).reduce((a, b) => a + b, 0));
    const routes = new Set(list.flatMap((i) => Object.keys(usage.get(i.id)?.api ?? {})));
    const fields = new Set(list.flatMap((i) => Object.keys(usage.get(i.id)?.bookkeeping ?? {})));
    const deliveries = (sms: boolean) => mean((u, i) => Object.entries(u.snsByLevel).reduce((s, [level, k]) => s + k * facts.deliveries(level as Level, i.townId, i.gridId, sms).email, 0));
    out[path] = {
      incidents: n,
      transitions: mean((u) => u.transitions),
      stageChanges: mean((u) => u.stageChanges),
      syncs: syncs / n,
      closes: closes / n,
      awaits: awaits / n,
      syncMs: sum((u) => ms(u, SYNC) + ms(u, `${SYNC}#close`)) / Math.max(1, syncs),
      awaitMs: sum((u) => ms(u, AWAIT)) / Math.max(1, awaits),
      apiRequests: apiRequests / n,
      apiMs: sum((u) => u.apiMs) / Math.max(1, apiRequests),
      apiByRoute: Object.fromEntries([...routes].map((r) => [r, mean((u) => u.api[r] ?? 0)])),
      writeUnits: mean((u) => u.writeUnits),
      readUnits: mean((u) => u.readUnits),
      bookkeeping: Object.fromEntries([...fields].map((f) => [f, { ops: mean((u) => u.bookkeeping[f]?.ops ?? 0), units: mean((u) => u.bookkeeping[f]?.units ?? 0) }])),
      visible: {
        ops: mean((u) => u.visible.ops), transactions: mean((u) => u.visible.transactions), units: mean((u) => u.visible.units),
        tableUnits: mean((u) => u.visible.tableUnits), transactionTableUnits: mean((u) => u.visible.transactionTableUnits),
        indexWrites: mean((u) => u.visible.indexWrites), indexUnits: mean((u) => u.visible.indexUnits), counterWrites: mean((u) => u.visible.counterWrites),
      },
      snsPublishes: mean((u) => u.snsPublishes),
      emails: { withSms: deliveries(true), withoutSms: deliveries(false) },
      sms: mean((u, i) => Object.entries(u.snsByLevel).reduce((s, [level, k]) => s + k * facts.deliveries(level as Level, i.townId, i.gridId, true).sms, 0)),
      dueEvents: mean((_, i) => dueEventsOf(i)),
    };
  }
  return out;
}

const emptyUsage: IncidentUsage = {
  dynamoOps: 0, writeUnits: 0, readUnits: 0, bookkeeping: {},
  visible: { ops: 0, transactions: 0, units: 0, tableUnits: 0, transactionTableUnits: 0, indexWrites: 0, indexUnits: 0, counterWrites: 0 },
  invocations: {}, stageChanges: 0, transitions: 0, snsPublishes: 0, snsByLevel: {}, api: {}, apiMs: 0,
};

/** GB-seconds of the API requests of one incident, each at its route's memory size. */
function apiGbSeconds(p: PathUsage, facts: StackFacts): number {
  return Object.entries(p.apiByRoute).reduce((s, [route, k]) => {
    const fn = ROUTES.find((r) => `${r.method} ${r.path}` === route)?.fn;
    const entry = fn ? HANDLERS[fn] : 'functions/api/report.ts';
    return s + k * (p.apiMs / 1000) * ((facts.memoryMb[entry] ?? 512) / 1024);
  }, 0);
}

const gb = (facts: StackFacts, entry: string) => (facts.memoryMb[entry] ?? 512) / 1024;

export type DesignName = 'as built' | 'cheapest';
export const DESIGNS: readonly DesignName[] = ['as built', 'cheapest'];

/**
 * The same incidents under two designs:
 *  - `as built`: what the run metered;
 *  - `cheapest`: no state machine. Each due point (80 % reminder, deadline, overdue reminder, verification
 *    window) is a one-time EventBridge Scheduler schedule invoking the sync code; actions reschedule it from the
 *    API. The table, its indexes, the outbox and the counters stay as built; the task token, its write and the
 *    await's version check go, and so do the syncs that found nothing due (each wake is a due point or an action).
 */
export function designs(p: PathUsage, facts: StackFacts, emailsFor: 'withSms' | 'withoutSms'): Record<DesignName, Units> {
  const common = { snsPublishes: p.snsPublishes, emails: p.emails[emailsFor], apiRequests: p.apiRequests };
  const api = apiGbSeconds(p, facts);
  const asBuilt: Units = {
    ...common,
    transitions: p.transitions,
    lambdaInvocations: p.syncs + p.awaits + p.apiRequests,
    gbSeconds: api + p.syncs * (p.syncMs / 1000) * gb(facts, SYNC) + p.awaits * (p.awaitMs / 1000) * gb(facts, AWAIT),
    writeUnits: p.writeUnits,
    readUnits: p.readUnits,
    schedulerInvocations: 0,
  };
  const wakes = p.dueEvents + actionsOf(p);
  const cheapest: Units = {
    ...common,
    transitions: 0,
    schedulerInvocations: p.dueEvents,
    lambdaInvocations: p.apiRequests + p.dueEvents,
    gbSeconds: api + p.dueEvents * (p.syncMs / 1000) * gb(facts, SYNC),
    writeUnits: p.writeUnits - (p.bookkeeping.taskToken?.units ?? 0),
    // One read of the record per wake instead of one per sync, and no version check per await.
    readUnits: Math.max(0, p.readUnits - Math.max(0, p.syncs - wakes) - p.awaits),
  };
  return { 'as built': asBuilt, cheapest };
}

/** Supervisor and reporter actions of a path (each wakes the workflow once). */
const actionsOf = (p: PathUsage): number => p.apiByRoute['POST /incidents/{id}/actions'] ?? 0;

export function price(u: Units, prices: PriceList): CostLines {
  const lines: Record<keyof Units, number> = {
    transitions: u.transitions * prices.stepFunctionsPerTransition,
    lambdaInvocations: u.lambdaInvocations * prices.lambdaPerRequest,
    gbSeconds: u.gbSeconds * prices.lambdaPerGbSecond,
    writeUnits: u.writeUnits * prices.dynamoPerWriteUnit,
    readUnits: u.readUnits * prices.dynamoPerReadUnit,
    snsPublishes: u.snsPublishes * prices.snsPerPublish,
    emails: u.emails * prices.snsPerEmail,
    apiRequests: u.apiRequests * prices.apiPerRequest,
    schedulerInvocations: u.schedulerInvocations * prices.schedulerPerInvocation,
  };
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}

/** Everything a county pays in a month besides the incidents' own lifecycles. */
export interface MonthlyExtras {
  /** List requests a month (people opening their lists) and what one costs. */
  /** The county's incidents a month (the demo's COUNTY_INCIDENTS_PER_MONTH, times the bench's scale). */
  incidentsPerMonth: number;
  lists: { perMonth: number; readUnits: number; ms: number };
  /** The reconciler: runs a month, and per run its units at the county's typical number of active incidents. */
  reconciler: { runs: number; activeIncidents: number; readUnitsPerActive: number; msPerActive: number };
  /** CloudWatch Logs bytes per incident (handlers measured; platform, state machine and access logs estimated). */
  logBytesPerIncident: number;
  /** Stored bytes per incident (item and its index copies) and how many months of history are stored. */
  storedBytesPerIncident: number;
  monthsStored: number;
}

/**
 * What a county pays every month whatever happens (docs/performance.md, "Fixed cost"): its customer-managed KMS
 * keys (the city topic uses the AWS managed key for SNS, free: infra/city-stack.ts), CloudWatch alarms by the metric
 * (a metric-math alarm pays for each metric it reads, a composite alarm a flat rate), and Secrets Manager secrets
 * its channels name.
 */
export function fixedMonthly(facts: StackFacts, prices: PriceList): { keys: number; alarms: number; secrets: number; total: number } {
  const keys = facts.kmsKeys * prices.kmsPerKeyMonth;
  const alarms = facts.alarmMetrics * prices.alarmPerMonth + facts.compositeAlarms * prices.compositeAlarmPerMonth;
  const secrets = facts.secrets * prices.secretPerMonth;
  return { keys, alarms, secrets, total: keys + alarms + secrets };
}

export interface MonthlyCost {
  region: string;
  currency: string;
  incidents: number;
  lines: Record<string, number>;
  total: number;
  perIncident: number;
}

export function monthly(mix: Record<string, number>, perPath: Record<string, Units>, extras: MonthlyExtras, facts: StackFacts, prices: PriceList): MonthlyCost {
  const n = extras.incidentsPerMonth;
  const lifecycle = Object.entries(mix).reduce((s, [path, share]) => s + share * (perPath[path] ? price(perPath[path]!, prices).total : 0), 0) * n;
  const listEntry = 'functions/api/list-incidents.ts';
  const listMem = (facts.memoryMb[listEntry] ?? 512) / 1024;
  const lists = extras.lists.perMonth * (prices.apiPerRequest + prices.lambdaPerRequest + extras.lists.readUnits * prices.dynamoPerReadUnit
    + (extras.lists.ms / 1000) * listMem * prices.lambdaPerGbSecond);
  const r = extras.reconciler;
  const reconcileMem = (facts.memoryMb['functions/workflow/reconcile.ts'] ?? 512) / 1024;
  const reconciler = r.runs * (prices.lambdaPerRequest + r.activeIncidents * (r.readUnitsPerActive * prices.dynamoPerReadUnit
    + (r.msPerActive / 1000) * reconcileMem * prices.lambdaPerGbSecond));
  const logs = (extras.logBytesPerIncident * n / 1e9) * prices.logsPerGb;
  const storage = (extras.storedBytesPerIncident * n * extras.monthsStored / 1e9) * prices.dynamoStoragePerGbMonth;
  const fixed = fixedMonthly(facts, prices);
  // Tracing is on outside China: every API request and every execution is a trace.
  const traces = Object.entries(mix).reduce((s, [path, share]) => s + share * ((perPath[path]?.apiRequests ?? 0) + ((perPath[path]?.transitions ?? 0) > 0 ? 1 : 0)), 0) * n;
  const lines = {
    'incident lifecycles': lifecycle,
    'X-Ray traces': traces * prices.xrayPerTrace,
    'lists (people opening their lists)': lists,
    'reconciler every 5 minutes': reconciler,
    'CloudWatch Logs ingestion': logs,
    [`storage after ${extras.monthsStored} months of history`]: storage,
    [`KMS keys (${facts.kmsKeys}) and alarms (${facts.alarmMetrics} metrics)`]: fixed.keys + fixed.alarms,
    [`channel secrets (${facts.secrets})`]: fixed.secrets,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return { region: prices.region, currency: prices.currency, incidents: n, lines: roundAll(lines, 4), total: round(total, 2), perIncident: round(total / n, 5) };
}

const roundAll = (r: Record<string, number>, digits: number) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, digits)]));
