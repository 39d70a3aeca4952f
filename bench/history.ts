/**
 * Realistic stored incidents without going through the API: a report built by the domain's own
 * reportIncident, then lived through by the domain's own rules (advance() for the workflow's timers,
 * applyAction() for people) up to `now`, and mapped to an item with the repository's toItem. Seeding
 * 10,000 of these takes seconds of CPU and a few BatchWrites, and the items look exactly like the API's.
 */
import type { County } from '#config/county-schema.js';
import { advance, stageOf } from '#domain/advance.js';
import type { ActionName, Caller, Incident, Level } from '#domain/incident.js';
import { calendarOf } from '#domain/deadlines.js';
import { applyAction, reportIncident } from '#domain/lifecycle.js';
import {
  between, CITY_LATE_SHARE, RESOLVE_BY_SHARE, MANUAL_ESCALATION_SHARE, pick, reportBody, RESIDENT_REPORT_SHARE, RESIDENTS, VERIFIED_SHARE,
  CATEGORY_MIX, OUTCOME_MIX, type Outcome, type Place,
} from './workload.js';

export interface Actors {
  grid(gridId: string): Caller;
  level(level: Level, place: Place): Caller;
  resident(n: number): Caller;
}

export function actorsOf(county: County): Actors {
  const supervisor = (townId: string) => county.towns.find((t) => t.id === townId)?.supervisors[0]?.id ?? `${townId}-supervisor`;
  const grid = (gridId: string): Caller => ({ sub: `leader-${gridId}`, name: `leader-${gridId}`, role: 'grid', scope: gridId });
  return {
    grid,
    level: (level, place) => {
      if (level === 'grid') return grid(place.gridId);
      if (level === 'town') { const sub = supervisor(place.townId); return { sub, name: sub, role: 'town', scope: place.townId }; }
      if (level === 'county') return { sub: `${county.id}-office`, name: 'county office', role: 'county', scope: county.id };
      const sub = county.city.supervisors[0]?.id ?? 'city-supervisor';
      return { sub, name: sub, role: 'city', scope: county.city.id };
    },
    resident: (n) => ({ sub: `resident-${n}`, name: `resident-${n}`, role: 'reporter', scope: county.id }),
  };
}

/** What the people around one incident will do, decided when it is reported. */
export interface Plan {
  category: string;
  place: Place;
  outcome: Outcome;
  /** Reporter: the grid leader on patrol, or resident n. */
  resident: number | null;
  /** Levels whose supervisor escalates by hand (half way through the level's deadline). */
  manual: Level[];
  /** When the resolving level resolves, as a share of its deadline (> 1: late, after the deadline). */
  resolveShare: number;
  acknowledge: boolean;
  /** Verified explicitly at this share of the verification window, or left to close by itself (null). */
  verifyShare: number | null;
}

export function planIncident(random: () => number, county: County, places: readonly Place[]): Plan {
  const outcome = pick(random, OUTCOME_MIX);
  const ladder = county.ladder;
  const resolver = resolverOf(outcome, ladder);
  const manual = ladder.slice(0, ladder.indexOf(resolver)).filter(() => random() < MANUAL_ESCALATION_SHARE);
  const late = resolver === ladder[ladder.length - 1] && outcome === 'top' && random() < CITY_LATE_SHARE;
  return {
    category: pick(random, CATEGORY_MIX),
    place: places[Math.floor(random() * places.length)]!,
    outcome,
    resident: outcome !== 'on-spot' && random() < RESIDENT_REPORT_SHARE ? Math.floor(random() * RESIDENTS) : null,
    manual,
    resolveShare: late ? between(random, 1.2, 2.5) : between(random, 0.2, RESOLVE_BY_SHARE),
    acknowledge: random() < 0.6,
    verifyShare: random() < VERIFIED_SHARE ? between(random, 0.1, 0.6) : null,
  };
}

/** The level that resolves an incident of this outcome (rejected ones are rejected at the first rung). */
export function resolverOf(outcome: Outcome, ladder: readonly Level[]): Level {
  if (outcome === 'escalated-once') return ladder[1] ?? ladder[0]!;
  if (outcome === 'top') return ladder[ladder.length - 1]!;
  return ladder[0]!;
}

interface TimedAction { at: number; caller: Caller; action: ActionName; note?: string }

/**
 * The incident of `plan` reported at `reportedAt`, as it stands at `now`: workflow steps fire at their due
 * times (advance), people act at theirs. Actions that no longer apply (the level moved on) are skipped,
 * as a person would find the incident changed.
 */
export function liveThrough(county: County, plan: Plan, id: string, reportedAt: number, now: number, random: () => number, actors: Actors): Incident {
  const reporter = plan.resident === null ? actors.grid(plan.place.gridId) : actors.resident(plan.resident);
  const body = reportBody(random, plan.category, plan.place, { onSpot: plan.outcome === 'on-spot', withReporter: plan.resident !== null || random() < 0.5 });
  let incident = reportIncident(body, plan.outcome === 'on-spot' ? actors.grid(plan.place.gridId) : reporter, county, new Date(reportedAt), id);
  incident = { ...incident, workflow: { ...incident.workflow, executionName: `${id}-1` } };
  const resolver = resolverOf(plan.outcome, county.ladder);
  let wake = reportedAt;
  let actions: TimedAction[] = [];
  let planned = '';

  for (let guard = 0; guard < 200; guard++) {
    // People's next moves for the incident as it is now (re-planned whenever its level or status changed).
    const key = `${incident.status}/${incident.level}`;
    if (key !== planned) {
      planned = key;
      actions = nextActions(incident, plan, resolver, actors, reporter);
    }
    const action = actions[0];
    const stage = stageOf(incident);
    if (stage === 'end') break;
    const t = Math.min(wake, action?.at ?? Number.POSITIVE_INFINITY);
    if (t > now) break;
    if (action && action.at <= wake) {
      actions.shift();
      try {
        incident = applyAction(incident, action.caller, { action: action.action, note: action.note ?? null }, new Date(action.at), { countyId: county.id, cityId: county.city.id, county }).incident;
      } catch {
        // The action no longer applies (moved on meanwhile): a person would see that and not do it.
      }
      // An action answers the waiting stage: the workflow looks at the record right away.
      wake = action.at;
      continue;
    }
    const step = advance(incident, stage, new Date(wake), calendarOf(county));
    incident = step.incident;
    wake += step.step.waitSeconds * 1000;
  }
  return { ...incident, workflow: { ...incident.workflow, notifiedThrough: incident.timeline.length, taskToken: null } };
}

function nextActions(incident: Incident, plan: Plan, resolver: Level, actors: Actors, reporter: Caller): TimedAction[] {
  if (incident.status === 'resolved') {
    if (plan.verifyShare === null || !incident.workflow.verificationDue) return [];
    // The window as it ran for this incident (whatever clock its spec counts in).
    const window = Date.parse(incident.workflow.verificationDue) - Date.parse(incident.resolution?.at ?? incident.updatedAt);
    const at = Date.parse(incident.workflow.verificationDue) - window + plan.verifyShare * window;
    return [{ at, caller: reporter.role === 'reporter' ? reporter : actors.grid(plan.place.gridId), action: 'verify' }];
  }
  if (incident.status !== 'open') return [];
  const level = incident.level;
  const entered = Date.parse(incident.workflow.levelEnteredAt);
  const duration = Date.parse(incident.deadline ?? incident.workflow.levelEnteredAt) - entered;
  const actor = actors.level(level, plan.place);
  if (plan.outcome === 'rejected') return [{ at: entered + 0.2 * duration, caller: actor, action: 'reject', note: '重复上报，已合并处理。' }];
  if (level === resolver) {
    return [
      ...(plan.acknowledge ? [{ at: entered + 0.1 * duration, caller: actor, action: 'acknowledge' as const }] : []),
      { at: entered + plan.resolveShare * duration, caller: actor, action: 'resolve', note: '已协调相关部门处理完毕。' },
    ];
  }
  if (plan.manual.includes(level)) return [{ at: entered + 0.5 * duration, caller: actor, action: 'escalate', note: '超出本级处置能力，提请上级协调。' }];
  return [];
}
