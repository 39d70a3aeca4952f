/**
 * Replay: four months of one county's incidents at Jinzhong's proportions (workload.ts), through the API and
 * the workflow, with time compressed (one county day = `daySeconds` seconds, deadlines likewise: see
 * bench-county.ts). Every incident is an actor script: reported by a grid leader or a resident; acknowledged,
 * resolved, escalated or rejected by the people its plan names, each opening the incident before acting;
 * people whose level the workflow escalated to act when the message reaches them; verified by the
 * reporter, or left to close when the window passes. A sample (1 in `sample`) keeps the local database,
 * which writes a few hundred items a second, ahead of the compressed clock; figures per incident scale.
 *
 * The run ends with the records, the county's /stats for the replay window, the work metered per incident
 * (for the cost per path), and everything that went wrong.
 */
import { nominalMs } from '#domain/deadlines.js';
import type { Incident, Level } from '#domain/incident.js';
import { deadlineAtEvent } from '#domain/notifications.js';
import { actorsOf, planIncident, resolverOf, type Plan } from './history.js';
import type { IncidentUsage, MeterDelta } from './meter.js';
import { NotificationTail } from './notifications.js';
import { note } from './output.js';
import { round, summarize, type Summary } from './percentiles.js';
import { sleep, waitUntil } from './pool.js';
import type { Session } from './session.js';
import { getIncidents } from './table.js';
import { COUNTY_INCIDENTS_4_MONTHS, placesOf, REPLAY_DAYS, reportBody, rng, type Outcome } from './workload.js';

export interface ReplayOptions { sample: number; seed: number }
export const REPLAY_DEFAULTS: ReplayOptions = { sample: 20, seed: 42 };

export type Path = Outcome | 'unfinished';

export interface ReplayResult {
  scaling: { cityIncidents4Months: number; countyIncidents4Months: number; sample: number; incidents: number; daySeconds: number; replaySeconds: number };
  planned: Record<string, number>;
  /** How the incidents actually ended, from the records. */
  actual: Record<Path, number>;
  plannedVsActual: Record<string, number>;
  figures: {
    byStatus: Record<string, number>;
    resolvedAtLevel: Record<string, number>;
    resolvedOnSpot: number;
    escalations: { deadline: number; manual: number };
    reminders: { approaching: number; overdue: number };
    overdue: number;
    closed: { verified: number; 'verification-window': number };
    onTimeRate: number;
  };
  /** Deadline -> escalation under this load, for escalations the deadline fired. */
  escalationLagMs: Summary;
  stats: { status: number; body: unknown };
  /** /stats against the records: resolutions per level and on the spot (other phases add only open incidents). */
  statsAgree: boolean | null;
  work: { transitions: number; transitionsFromTasks: number; workflowInvocations: Record<string, number>; apiRequests: number; snsPublishes: number; writeUnits: number; readUnits: number };
  errors: {
    http5xx: number; httpStatuses: Record<string, number>; executionsFailed: number; unfinished: number; logWarn: number; logError: number;
    /** Actions refused because the incident had changed meanwhile (409) or moved out of the actor's reach (403), and why. */
    raceLosses: number; refusals: Record<string, number>; problems: string[];
  };
}

interface Trace { id: string | null; plan: Plan; raceLosses: number; statuses: Record<string, number>; refusals: string[] }

/** The view of an incident the API returns (the fields the actors look at). */
interface View { id: string; status: string; level: Level; deadline: string | null; acknowledgedBy: string | null; resolution: { at: string } | null }

export interface ReplayRun { result: ReplayResult; incidents: Incident[]; usage: Map<string, IncidentUsage>; delta: MeterDelta }

export async function runReplay(s: Session, opts: ReplayOptions = REPLAY_DEFAULTS): Promise<ReplayRun> {
  const county = s.bench.county;
  const daySeconds = s.bench.daySeconds;
  const random = rng(opts.seed);
  const places = placesOf(county);
  const actors = actorsOf(county);
  // A county `scale` times the demo has as many times its incidents.
  const countyIncidents = COUNTY_INCIDENTS_4_MONTHS * s.bench.scale;
  const n = Math.round(countyIncidents / opts.sample);
  const span = REPLAY_DAYS * daySeconds * 1000;
  // Poisson arrivals over the span: sorted uniform instants.
  const arrivals = Array.from({ length: n }, () => random() * span).sort((a, b) => a - b);
  const plans = arrivals.map(() => planIncident(random, county, places));
  const deadlineMs = (category: string, level: Level) => nominalMs(county.categories.find((c) => c.id === category)!.deadlines[level]!);
  const windowMs = nominalMs(county.verificationWindow);
  const token = (caller: { role: Parameters<Session['token']>[0]; scope: string; sub: string }) => s.token(caller.role, caller.scope, caller.sub);
  const next = (level: Level) => county.ladder[county.ladder.indexOf(level) + 1];

  // Whatever ran before must be parked: the replay's figures are its own.
  await waitUntil(() => s.settled(), 120_000, 100);
  const tail = new NotificationTail(s.local.notificationsFile).start();
  const mark = s.meter.mark();
  const usage = s.meter.attribute();
  const started = Date.now() + 500;
  const from = new Date(started).toISOString();
  note(`replay: ${n} incidents (1 in ${opts.sample} of a county's ${countyIncidents} in four months) over ${round(span / 1000)} s`);

  const lifecycle = async (plan: Plan, at: number): Promise<Trace> => {
    const trace: Trace = { id: null, plan, raceLosses: 0, statuses: {}, refusals: [] };
    const count = (route: string, status: number) => { const k = `${route} ${status}`; trace.statuses[k] = (trace.statuses[k] ?? 0) + 1; };
    await sleep(started + at - Date.now());
    const leader = await token(actors.grid(plan.place.gridId));
    const reporter = plan.outcome === 'on-spot' || plan.resident === null ? leader : await token(actors.resident(plan.resident));
    const body = reportBody(random, plan.category, plan.place, { onSpot: plan.outcome === 'on-spot', withReporter: plan.resident !== null || random() < 0.5 });
    const created = await s.call<View>('POST', '/incidents', reporter, body);
    count('POST /incidents', created.status);
    if (created.status !== 201) return trace;
    let view = created.body;
    const id = view.id;
    trace.id = id;
    const open = async (as: string) => {
      const res = await s.call<View>('GET', `/incidents/${id}`, as);
      count('GET /incidents/{id}', res.status);
      if (res.status === 200) view = res.body;
    };
    /** Open the incident at `when`, and act if it is still where it was. */
    const act = async (when: number, as: string, action: string, note?: string) => {
      await sleep(when - Date.now());
      const before = { status: view.status, level: view.level };
      await open(as);
      if (view.status !== before.status || view.level !== before.level) return;
      const res = await s.call<View>('POST', `/incidents/${id}/actions`, as, { action, ...(note ? { note } : {}) });
      count(`POST ${action}`, res.status);
      if (res.status === 200) view = res.body;
      else {
        trace.raceLosses++;
        trace.refusals.push(`${action} ${res.status}: ${(res.body as { detail?: string } | undefined)?.detail ?? ''}`);
        await open(as);
      }
    };

    const planned = county.ladder.indexOf(resolverOf(plan.outcome, county.ladder));
    for (let guard = 0; guard < 12 && view.status === 'open'; guard++) {
      const level = view.level;
      // Whoever holds it at or above the planned level resolves it (it can get there early if people are late).
      const resolver = county.ladder.indexOf(level) >= planned ? level : county.ladder[planned]!;
      const duration = deadlineMs(plan.category, level);
      const entered = Date.parse(view.deadline!) - duration;
      const as = await token(actors.level(level, plan.place));
      if (plan.outcome === 'rejected') {
        await act(entered + 0.2 * duration, as, 'reject', '重复上报，已合并处理。');
      } else if (level === resolver) {
        if (plan.acknowledge && view.acknowledgedBy === null) await act(entered + 0.1 * duration, as, 'acknowledge');
        if (view.status === 'open' && view.level === level) await act(entered + plan.resolveShare * duration, as, 'resolve', '已协调相关部门处理完毕。');
      } else if (plan.manual.includes(level)) {
        await act(entered + 0.5 * duration, as, 'escalate', '超出本级处置能力，提请上级协调。');
      } else {
        // Nobody at this level acts: the deadline escalates it, and the next level opens it when told.
        const up = next(level);
        if (!up) break;
        await tail.next(id, 'escalated', up, duration * 3 + 15_000);
        await open(await token(actors.level(up, plan.place)));
      }
    }
    if (view.status === 'resolved' && plan.verifyShare !== null && view.resolution) {
      const at = Date.parse(view.resolution.at) + plan.verifyShare * windowMs;
      await sleep(at - Date.now());
      const res = await s.call<View>('POST', `/incidents/${id}/actions`, reporter, { action: 'verify' });
      count('POST verify', res.status);
      if (res.status !== 200) trace.raceLosses++;
    }
    return trace;
  };

  const traces = await Promise.all(plans.map((p, i) => lifecycle(p, arrivals[i]!)));
  const ids = traces.flatMap((t) => (t.id ? [t.id] : []));
  note('replay: every actor is done; waiting for the workflows to finish');
  const arnOf = (id: string) => `${s.local.stepFunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}-1`;
  const running = () => ids.filter((id) => { try { return s.local.stepFunctions.describeExecution(arnOf(id)).status === 'RUNNING'; } catch { return false; } });
  await waitUntil(() => running().length === 0, windowMs + 60_000, 250);
  tail.stop();
  const to = new Date().toISOString();
  const delta = s.meter.since(mark);
  const incidents = await getIncidents(s, ids);
  const countyToken = await s.token('county', county.id, `${county.id}-office`);
  const stats = await s.call('GET', `/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, countyToken);

  const result = summarizeReplay({ s, opts, traces, incidents, usage, delta, stats, running: running().length, span, daySeconds });
  return { result, incidents, usage, delta };
}

export function pathOf(incident: Incident): Path {
  if (incident.status === 'rejected') return 'rejected';
  if (incident.status === 'open' || !incident.resolution) return 'unfinished';
  if (incident.resolvedOnSpot) return 'on-spot';
  const rung = incident.policy.ladder.indexOf(incident.resolution.level);
  return rung === 0 ? 'grid' : rung === incident.policy.ladder.length - 1 ? 'top' : 'escalated-once';
}

function summarizeReplay(args: {
  s: Session; opts: ReplayOptions; traces: Trace[]; incidents: Incident[]; usage: Map<string, IncidentUsage>; delta: MeterDelta;
  stats: { status: number; body: unknown }; running: number; span: number; daySeconds: number;
}): ReplayResult {
  const { traces, incidents, delta } = args;
  const tally = <K extends string>(keys: K[]) => keys.reduce<Record<string, number>>((acc, k) => { acc[k] = (acc[k] ?? 0) + 1; return acc; }, {});
  const byId = new Map(incidents.map((i) => [i.id, i]));
  const events = incidents.flatMap((i) => i.timeline);
  const resolved = incidents.filter((i) => i.resolution);
  const onTime = resolved.filter((i) => {
    const at = i.timeline.findIndex((e) => e.type === 'resolved');
    const deadline = deadlineAtEvent(i, at);
    return deadline === null || Date.parse(i.resolution!.at) <= Date.parse(deadline);
  });
  const lags = incidents.flatMap((i) => i.timeline.flatMap((e, k) => {
    if (e.type !== 'escalated' || e.reason !== 'deadline') return [];
    const deadline = deadlineAtEvent(i, k - 1);
    return deadline ? [Date.parse(e.at) - Date.parse(deadline)] : [];
  }));
  const statuses: Record<string, number> = {};
  for (const t of traces) for (const [k, v] of Object.entries(t.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const invocations = Object.fromEntries(Object.entries(delta.invocations).map(([k, v]) => [k, v.count]));
  let fromTasks = 0;
  for (const [id, u] of args.usage) if (byId.has(id)) fromTasks += u.transitions;
  const failed = args.s.local.stepFunctions.listExecutions().filter((e) => e.status !== 'RUNNING' && e.status !== 'SUCCEEDED' && byId.has(e.name.replace(/-\d+$/, ''))).length;
  const apiRequests = Object.values(delta.http).reduce((sum, v) => sum + v, 0);
  const { writeUnits, readUnits } = Object.values(delta.dynamo).reduce((acc, t) => ({ writeUnits: acc.writeUnits + t.writeUnits, readUnits: acc.readUnits + t.readUnits }), { writeUnits: 0, readUnits: 0 });
  return {
    scaling: {
      cityIncidents4Months: 102_326, countyIncidents4Months: COUNTY_INCIDENTS_4_MONTHS * args.s.bench.scale, sample: args.opts.sample,
      incidents: traces.length, daySeconds: args.daySeconds, replaySeconds: round(args.span / 1000),
    },
    planned: tally(traces.map((t) => t.plan.outcome)),
    actual: tally(incidents.map(pathOf)) as Record<Path, number>,
    plannedVsActual: tally(traces.flatMap((t) => (t.id && byId.has(t.id) ? [`${t.plan.outcome} -> ${pathOf(byId.get(t.id)!)}`] : []))),
    figures: {
      byStatus: tally(incidents.map((i) => i.status)),
      resolvedAtLevel: tally(resolved.map((i) => i.resolution!.level)),
      resolvedOnSpot: incidents.filter((i) => i.resolvedOnSpot).length,
      escalations: { deadline: events.filter((e) => e.type === 'escalated' && e.reason === 'deadline').length, manual: events.filter((e) => e.type === 'escalated' && e.reason === 'manual').length },
      reminders: { approaching: events.filter((e) => e.type === 'reminded' && e.reason === 'approaching').length, overdue: events.filter((e) => e.type === 'reminded' && e.reason === 'overdue').length },
      overdue: events.filter((e) => e.type === 'overdue').length,
      closed: { verified: events.filter((e) => e.type === 'closed' && e.reason === 'verified').length, 'verification-window': events.filter((e) => e.type === 'closed' && e.reason === 'verification-window').length },
      onTimeRate: round(onTime.length / Math.max(1, resolved.length), 3),
    },
    escalationLagMs: summarize(lags),
    stats: args.stats,
    statsAgree: statsAgree(args.stats, tally(resolved.map((i) => i.resolution!.level)), incidents.filter((i) => i.resolvedOnSpot).length),
    work: { transitions: delta.transitions, transitionsFromTasks: fromTasks, workflowInvocations: invocations, apiRequests, snsPublishes: delta.snsPublishes, writeUnits, readUnits },
    errors: {
      http5xx: Object.entries(statuses).filter(([k]) => / 5\d\d$/.test(k)).reduce((sum, [, v]) => sum + v, 0),
      httpStatuses: statuses,
      executionsFailed: failed,
      unfinished: args.running,
      logWarn: delta.logs.warn,
      logError: delta.logs.error,
      raceLosses: traces.reduce((sum, t) => sum + t.raceLosses, 0),
      refusals: tally(traces.flatMap((t) => t.refusals.map((r) => r.replace(/[0-9a-f-]{36}/g, '<id>').replace(/\d+/g, 'N')))),
      problems: [],
    },
  };
}

function statsAgree(stats: { status: number; body: unknown }, resolvedAtLevel: Record<string, number>, onSpot: number): boolean | null {
  if (stats.status !== 200) return null;
  const body = stats.body as { resolvedAtLevel?: Record<string, number>; resolvedOnSpot?: number };
  const levels = new Set([...Object.keys(resolvedAtLevel), ...Object.keys(body.resolvedAtLevel ?? {})]);
  return body.resolvedOnSpot === onSpot && [...levels].every((l) => (body.resolvedAtLevel?.[l] ?? 0) === (resolvedAtLevel[l] ?? 0));
}
