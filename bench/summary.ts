/** The figures of a run, as a person reads them (bench/results/latest.json holds everything). */
import type { ColdStartResult } from './cold-start.js';
import type { CostResult } from './cost-run.js';
import type { DeadlinesResult } from './deadlines.js';
import type { IntakeResult } from './intake.js';
import type { ListingResult } from './listing.js';
import { say } from './output.js';
import type { ReplayResult } from './replay.js';

export interface BenchResults {
  coldStart?: ColdStartResult;
  listing?: ListingResult;
  intake?: IntakeResult;
  deadlines?: DeadlinesResult;
  replay?: ReplayResult;
  cost?: CostResult;
}

const pad = (v: unknown, n: number) => String(v).padEnd(n);
const num = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const money = (v: number) => (v >= 0.01 ? v.toFixed(4) : v.toExponential(2));

export function printSummary(r: BenchResults): void {
  if (r.coldStart) {
    const c = r.coldStart;
    say(`\nCOLD START  (node ${c.node}, median of ${c.runs} fresh processes; bundles built by the stack's construct in ${c.buildSeconds} s)`);
    say(`  ${pad('bundle', 34)}${pad('KiB', 8)}${pad('ready ms', 10)}${pad('over floor', 12)}${pad('srcmap flag', 12)}${pad('CPU ms', 9)}${pad('CPU over', 10)}${pad('CPU map flag', 13)}largest packages (KiB)`);
    for (const b of [c.floor, ...c.bundles]) {
      say(`  ${pad(b.entry, 34)}${pad(num(b.bundleKiB), 8)}${pad(num(b.readyMs), 10)}${pad(num(b.overFloorMs), 12)}${pad(num(b.readyMsSourceMapsFlag), 12)}${pad(num(b.cpuMs), 9)}${pad(num(b.overFloorCpuMs), 10)}${pad(num(b.cpuMsSourceMapsFlag), 13)}${b.largest.slice(0, 4).map((l) => `${l.pkg} ${num(l.kib, 0)}`).join(', ')}`);
    }
  }
  if (r.listing) {
    const l = r.listing;
    say(`\nLISTING  (p50 ms of sequential calls; ${l.incidents.small} vs ${l.incidents.large} incidents in the county; grid ${l.grid} holds ${l.openInGrid} open)`);
    for (const q of l.queries) {
      say(`  ${pad(q.name, 72)} ${num(q.small.p50Ms)} -> ${num(q.large.p50Ms)} ms  ratio ${num(q.ratioP50, 2)}   read units/call ${q.small.readUnitsPerCall} -> ${q.large.readUnitsPerCall}`);
    }
    say(`  for scale, the grid's open incidents by a Scan of the table: ${num(l.scan.smallMs)} -> ${num(l.scan.largeMs)} ms (ratio ${num(l.scan.ratio, 1)}), ${l.scan.readUnitsLarge} read units`);
    say(`  seeding: ${l.seedItemsPerSecond} items/s by BatchWrite`);
  }
  if (r.intake) {
    const i = r.intake;
    say(`\nINTAKE  (${i.reports} reports at ${i.concurrency} in flight after ${i.warmupDiscarded} discarded)`);
    say(`  API    ${num(i.api.perSecond)} reports/s   p50 ${num(i.api.latencyMs.p50)} ms   p99 ${num(i.api.latencyMs.p99)} ms   failures ${i.api.failures}`);
    say(`  floor  ${num(i.floor.perSecond)} PutItem/s   p50 ${num(i.floor.latencyMs.p50)} ms   p99 ${num(i.floor.latencyMs.p99)} ms   (items ~${num(i.floor.itemBytes.p50, 0)} bytes)`);
    say(`  ratio  p50 ${i.ratio.p50}x   p99 ${i.ratio.p99}x   throughput ${i.ratio.throughput}x   (the API's workflows held; they caught up in ${i.settledSeconds} s)`);
    say(`  live   ${num(i.live.perSecond)} reports/s   p50 ${num(i.live.latencyMs.p50)} ms   p99 ${num(i.live.latencyMs.p99)} ms   ratio p50 ${i.liveRatio.p50}x   (workflows on the same database)`);
    say(`  the request alone: ${Object.entries(i.perReport.requestPath.dynamoOps).map(([k, v]) => `${k} ${v}`).join(', ')}; ${i.perReport.requestPath.writeUnits} write units`);
    say(`  DynamoDB p50 during the run: ${Object.entries(i.dynamoP50Ms).map(([k, v]) => `${k} ${num(v)} ms`).join(', ')}`);
    if (i.firstStagesDone < i.reports) say(`  SHORT COUNT: only ${i.firstStagesDone} of ${i.reports} held workflows finished their first stage (the others failed on the way); the figures per report below count less than a stage each`);
    say(`  per report: ${Object.entries(i.perReport.dynamoOps).map(([k, v]) => `${k} ${v}`).join(', ')}; ${i.perReport.writeUnits} write units, ${i.perReport.readUnits} read units, ${i.perReport.transitions} transitions, ${i.perReport.snsPublishes} SNS`);
  }
  if (r.deadlines) {
    const d = r.deadlines;
    say(`\nDEADLINES  (${d.incidents} incidents due in the second ${d.deadlineSecond})`);
    say(`  deadline -> escalated   p50 ${num(d.lagMs.p50, 0)} ms   p99 ${num(d.lagMs.p99, 0)} ms   max ${num(d.lagMs.max, 0)} ms   (${d.escalated} escalated; all done ${d.burstSeconds} s after the second)`);
    say(`  deadline -> town told   p50 ${num(d.notificationLagMs.p50, 0)} ms   p99 ${num(d.notificationLagMs.p99, 0)} ms`);
    say(`  the database's floor: ${d.floor.writeRequests} write requests take ${d.floor.seconds} s as plain PutItems (${d.floor.perSecond}/s); p99 over it: escalated ${d.floor.escalatedP99Ratio}x, town told ${d.floor.townMessageP99Ratio}x`);
    say(`  memory per waiting incident: ${d.memory.heapPerIncidentKiB} KiB heap, ${d.memory.rssPerIncidentKiB} KiB RSS (heap ${d.memory.heapBeforeMiB} -> ${d.memory.heapAfterMiB} MiB)`);
  }
  if (r.replay) {
    const p = r.replay;
    const f = p.figures;
    say(`\nREPLAY  (${p.scaling.incidents} incidents = 1 in ${p.scaling.sample} of ${p.scaling.countyIncidents4Months}, four months in ${p.scaling.replaySeconds} s)`);
    say(`  ended: ${Object.entries(p.actual).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    say(`  status: ${Object.entries(f.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}; resolved at ${Object.entries(f.resolvedAtLevel).map(([k, v]) => `${k} ${v}`).join(', ')}; on the spot ${f.resolvedOnSpot}; on time ${(f.onTimeRate * 100).toFixed(1)} %`);
    say(`  escalations ${f.escalations.deadline} by deadline + ${f.escalations.manual} by hand; reminders ${f.reminders.approaching} approaching + ${f.reminders.overdue} overdue; overdue ${f.overdue}; closed ${f.closed.verified} verified + ${f.closed['verification-window']} by the window`);
    say(`  escalation lag under load: p50 ${num(p.escalationLagMs.p50, 0)} ms, p99 ${num(p.escalationLagMs.p99, 0)} ms`);
    say(`  work: ${p.work.transitions} transitions (tasks say ${p.work.transitionsFromTasks}), ${p.work.apiRequests} API requests, ${p.work.snsPublishes} SNS, ${p.work.writeUnits} write / ${p.work.readUnits} read units`);
    const st = p.stats.body as { total?: number; resolvedAtLevel?: Record<string, number>; resolvedOnSpot?: number; onTimeRate?: number } | undefined;
    say(`  /stats for the window: HTTP ${p.stats.status}; total ${st?.total ?? '-'}, resolved at ${Object.entries(st?.resolvedAtLevel ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}, on the spot ${st?.resolvedOnSpot ?? '-'}, on time ${st?.onTimeRate !== undefined ? (st.onTimeRate * 100).toFixed(1) : '-'} % -> ${p.statsAgree === null ? 'not comparable' : p.statsAgree ? 'agrees with the records' : 'DISAGREES with the records'}`);
    say(`  errors: ${p.errors.http5xx} HTTP 5xx, ${p.errors.executionsFailed} failed executions, ${p.errors.unfinished} unfinished, ${p.errors.logError} ERROR / ${p.errors.logWarn} WARN log lines`);
    say(`  actions refused because the incident had moved on: ${p.errors.raceLosses}${Object.keys(p.errors.refusals).length ? ` (${Object.entries(p.errors.refusals).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${v}x ${k}`).join('; ')})` : ''}`);
  }
  if (r.cost) {
    const c = r.cost;
    say(`\nCOST PER INCIDENT  (transitions: runner ${c.transitionsCheck.runner}, from tasks ${c.transitionsCheck.fromTasks})`);
    say(`  ${pad('path', 16)}${pad('share', 8)}${pad('trans.', 8)}${pad('lambda', 8)}${pad('WRU', 8)}${pad('RRU', 7)}${pad('SNS', 6)}${pad('API', 6)}${pad('us-east-1 $', 13)}${pad(' cheapest $', 12)}cn-north-1 ¥`);
    for (const [path, p] of Object.entries(c.perPath)) {
      const u = p.units['as built'];
      const us = p.cost['us-east-1']!;
      const cn = p.cost['cn-north-1']!;
      say(`  ${pad(path, 16)}${pad(num((c.mix[path] ?? 0) * 100, 1) + '%', 8)}${pad(num(u.transitions), 8)}${pad(num(u.lambdaInvocations), 8)}${pad(num(u.writeUnits, 0), 8)}${pad(num(u.readUnits), 7)}${pad(num(u.snsPublishes), 6)}${pad(num(u.apiRequests), 6)}${pad(money(us['as built'].total), 13)}${pad(money(us.cheapest.total), 12)}${money(cn['as built'].total)}`);
    }
    say('\nPER MONTH, ONE COUNTY OF THIS RUN\'S SIZE (the demo\'s, times --scale)');
    for (const [region, byDesign] of Object.entries(c.monthly)) {
      for (const [design, m] of Object.entries(byDesign)) {
        say(`  ${pad(region, 11)} ${pad(design, 22)} ${m.currency} ${num(m.total, 2)} a month for ${Math.round(m.incidents)} incidents (${money(m.perIncident)} each)`);
      }
    }
  }
}

/** The targets of issue 12: this run beside the recorded ones (bench/compare.ts). */
export function printComparison(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  say('\nOLD AND NEW (bench/runs/ and this run)');
  for (const row of rows) say(`  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(Math.min(widths[c]!, 26)))).join('  ')}`);
}
