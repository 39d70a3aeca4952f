/**
 * The run's figures as Markdown tables (bench/results/latest.md), ready to paste into docs/performance.md so
 * the document always shows one real run.
 */
import type { DesignName } from './cost.js';
import type { BenchResults } from './summary.js';

const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const usd = (v: number) => `$${v < 0.001 ? v.toFixed(6) : v.toFixed(4)}`;
const cny = (v: number) => `¥${v < 0.01 ? v.toFixed(5) : v.toFixed(4)}`;
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const DESIGNS: DesignName[] = ["as built", "cheapest"];
const PATHS = ['on-spot', 'grid', 'escalated-once', 'top', 'rejected'];

export function toMarkdown(r: BenchResults & { startedAt?: unknown; machine?: unknown; timings?: unknown; loadAverage?: unknown; comparison?: unknown }): string {
  const out: string[] = [`Run of ${String(r.startedAt)} on ${JSON.stringify(r.machine)}; phase seconds ${JSON.stringify(r.timings)}; one-minute load average before and after each phase ${JSON.stringify(r.loadAverage)}.`];
  const comparison = r.comparison as string[][] | undefined;
  if (comparison) out.push('### Old and new (bench/runs/ and this run)', table(comparison[0]!, comparison.slice(1)));
  if (r.coldStart) {
    const c = r.coldStart;
    out.push(`### Cold start (node ${c.node}, median of ${c.runs})`, table(
      ['bundle', 'KiB', 'ready ms', 'over floor ms', 'ready ms with --enable-source-maps', 'CPU ms', 'CPU ms over floor', 'CPU ms with --enable-source-maps', 'largest packages (KiB)'],
      [c.floor, ...c.bundles].map((b) => [b.entry, f(b.bundleKiB), f(b.readyMs), f(b.overFloorMs), f(b.readyMsSourceMapsFlag), f(b.cpuMs), f(b.overFloorCpuMs), f(b.cpuMsSourceMapsFlag), b.largest.slice(0, 4).map((l) => `${l.pkg} ${f(l.kib, 0)}`).join(', ')]),
    ));
  }
  if (r.listing) {
    const l = r.listing;
    out.push(`### Listing (p50 of ${l.queries[0]?.small.latencyMs.n ?? 0} sequential calls)`, table(
      ['list', `p50 ms, ${l.incidents.small} incidents`, `p50 ms, ${l.incidents.large}`, 'ratio', 'read units per call'],
      [
        ...l.queries.map((q) => [`${q.name} (\`${q.path}\`)`, f(q.small.p50Ms), f(q.large.p50Ms), f(q.ratioP50, 2), `${q.small.readUnitsPerCall} → ${q.large.readUnitsPerCall}`]),
        ['for scale: the grid\'s open incidents by a Scan of the table', f(l.scan.smallMs), f(l.scan.largeMs), f(l.scan.ratio, 1), `→ ${l.scan.readUnitsLarge}`],
      ],
    ));
  }
  if (r.intake) {
    const i = r.intake;
    out.push(`### Intake (${i.reports} reports, ${i.concurrency} in flight, ${i.warmupDiscarded} discarded first)`, table(
      ['', 'per second', 'p50 ms', 'p99 ms'],
      [
        ['POST /incidents through the local API (its workflows held)', f(i.api.perSecond), f(i.api.latencyMs.p50), f(i.api.latencyMs.p99)],
        ['floor: PutItem of the same items', f(i.floor.perSecond), f(i.floor.latencyMs.p50), f(i.floor.latencyMs.p99)],
        ['ratio API / floor', `${i.ratio.throughput}×`, `${i.ratio.p50}×`, `${i.ratio.p99}×`],
        [`POST /incidents with the workflows running on the same database (${i.live.reports} reports)`, f(i.live.perSecond), f(i.live.latencyMs.p50), f(i.live.latencyMs.p99)],
        ['ratio of that to the floor', `${i.liveRatio.throughput}×`, `${i.liveRatio.p50}×`, `${i.liveRatio.p99}×`],
      ],
    ), `Per report, the request: ${Object.entries(i.perReport.requestPath.dynamoOps).map(([k, v]) => `${v} ${k}`).join(', ')}; ${i.perReport.requestPath.writeUnits} write units. With the first workflow stage it starts: ${Object.entries(i.perReport.dynamoOps).map(([k, v]) => `${v} ${k}`).join(', ')}; ${i.perReport.writeUnits} write units, ${i.perReport.readUnits} read units, ${i.perReport.transitions} transitions, ${i.perReport.snsPublishes} SNS publish (the held workflows caught up in ${i.settledSeconds} s). DynamoDB p50: ${Object.entries(i.dynamoP50Ms).map(([k, v]) => `${k} ${f(v)} ms`).join(', ')}.`);
  }
  if (r.deadlines) {
    const d = r.deadlines;
    out.push(`### Deadlines (${d.incidents} incidents due within one second)`, table(
      ['', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['deadline → `escalated` on the timeline', f(d.lagMs.p50, 0), f(d.lagMs.p99, 0), f(d.lagMs.max, 0)],
        ['deadline → message to the town published', f(d.notificationLagMs.p50, 0), f(d.notificationLagMs.p99, 0), f(d.notificationLagMs.max, 0)],
      ],
    ), `The database's floor for the burst: its ${d.floor.writeRequests} write requests take ${d.floor.seconds} s as plain PutItems at 16 in flight (${d.floor.perSecond}/s); the p99 lags are ${d.floor.escalatedP99Ratio}× (escalated) and ${d.floor.townMessageP99Ratio}× (town told) that floor. Memory per waiting incident: ${d.memory.heapPerIncidentKiB} KiB of heap, ${d.memory.rssPerIncidentKiB} KiB of RSS (heap ${d.memory.heapBeforeMiB} → ${d.memory.heapAfterMiB} MiB). Workflows resumed in ${d.startSeconds} s, all waiting before the deadline: ${d.allWaitingBeforeDeadline}.`);
  }
  if (r.replay) {
    const p = r.replay;
    out.push(`### Replay (${p.scaling.incidents} incidents, 1 in ${p.scaling.sample} of ${p.scaling.countyIncidents4Months})`, table(
      ['figure', 'value'],
      [
        ['ended (from the records)', Object.entries(p.actual).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['planned', Object.entries(p.planned).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['status', Object.entries(p.figures.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['resolved at level', Object.entries(p.figures.resolvedAtLevel).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['resolved on the spot', p.figures.resolvedOnSpot],
        ['escalations', `${p.figures.escalations.deadline} by deadline, ${p.figures.escalations.manual} by hand`],
        ['reminders', `${p.figures.reminders.approaching} at 80 %, ${p.figures.reminders.overdue} overdue; ${p.figures.overdue} overdue`],
        ['closed', `${p.figures.closed.verified} verified, ${p.figures.closed['verification-window']} by the window`],
        ['on time', `${f(p.figures.onTimeRate * 100)} %`],
        ['deadline → escalation under this load', `p50 ${f(p.escalationLagMs.p50, 0)} ms, p99 ${f(p.escalationLagMs.p99, 0)} ms`],
        ['/stats for the window', `HTTP ${p.stats.status}; ${p.statsAgree ? 'resolutions per level and on the spot agree with the records' : 'does not agree with the records'}`],
        ['state transitions', `${p.work.transitions} (runner's event logs); ${p.work.transitionsFromTasks} from the tasks invoked`],
        ['API requests, SNS publishes', `${p.work.apiRequests}, ${p.work.snsPublishes}`],
        ['errors', `${p.errors.http5xx} HTTP 5xx, ${p.errors.executionsFailed} failed executions, ${p.errors.unfinished} unfinished, ${p.errors.logError} ERROR and ${p.errors.logWarn} WARN log lines, ${p.errors.raceLosses} actions refused (incident moved on)`],
      ],
    ));
  }
  if (r.cost) {
    const c = r.cost;
    const paths = PATHS.filter((p) => c.perPath[p]);
    out.push('### Work per incident (as built)', table(
      ['path', 'share', 'transitions', 'Lambda invocations', 'GB-s', 'write units', 'read units', 'SNS publishes', 'e-mails', 'API requests'],
      paths.map((p) => { const u = c.perPath[p]!.units['as built']; return [p, `${f((c.mix[p] ?? 0) * 100)} %`, f(u.transitions), f(u.lambdaInvocations), f(u.gbSeconds, 3), f(u.writeUnits, 0), f(u.readUnits), f(u.snsPublishes), f(u.emails), f(u.apiRequests)]; }),
    ));
    out.push('### Where the transitions go', table(
      ['path', 'first sync + route', 'waits (await, then sync + route or the closing task)', 'Done (and Continue as new)', 'total'],
      paths.map((p) => { const t = c.perPath[p]!.transitions; return [p, f(t.start, 0), f(t.perWait), f(t.done), f(c.perPath[p]!.units['as built'].transitions)]; }),
    ));
    for (const region of ['us-east-1', 'cn-north-1']) {
      const money = region === 'us-east-1' ? usd : cny;
      out.push(`### Cost per incident, ${region}`, table(
        ['path', ...DESIGNS, 'as built: transitions', 'as built: DynamoDB', 'as built: Lambda', 'as built: SNS + e-mail', 'as built: API Gateway'],
        paths.map((p) => {
          const cost = c.perPath[p]!.cost[region]!;
          const a = cost['as built'];
          return [p, ...DESIGNS.map((d) => money(cost[d].total)), money(a.transitions), money(a.writeUnits + a.readUnits), money(a.lambdaInvocations + a.gbSeconds), money(a.snsPublishes + a.emails), money(a.apiRequests)];
        }),
      ));
    }
    out.push('### Per month, one county of the demo\'s size', table(
      ['region', 'design', 'total', ...Object.keys(c.monthly['us-east-1']!['as built'].lines)],
      Object.entries(c.monthly).flatMap(([region, byDesign]) => Object.entries(byDesign).map(([d, m]) => [region, d, `${m.currency} ${f(m.total, 2)}`, ...Object.values(m.lines).map((v) => f(v, 3))])),
    ));
  }
  return `${out.join('\n\n')}\n`;
}
