/**
 * The figures issue 12 set targets for, this run's beside those of earlier runs (bench/runs/*.json, committed,
 * the oldest being the 2026-11-29 run docs/performance.md first reported). Every run also lands in
 * bench/results/history/ (not committed); `npm run bench -- --record NAME` writes bench/runs/NAME.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from './summary.js';

export const RUNS_DIR = fileURLToPath(new URL('./runs/', import.meta.url));

export type FigureName =
  | 'intakeRatioP50' | 'intakeLiveRatioP50' | 'intakePerSecond' | 'writeUnitsPerReport' | 'writeUnitsOnSpotLifecycle'
  | 'burstEscalatedP99Ms' | 'burstTownMessageP99Ms' | 'burstEscalatedP99OverFloor' | 'burstFloorSeconds' | 'coldStartWorstOverFloorMs' | 'coldStartWorstOverFloorCpuMs' | 'transitionsOnSpot' | 'transitionsGrid'
  | 'fixedCostPerCountyMonthUsd' | 'countyMonthUsd' | 'categoryListRatio' | 'openGridListRatio' | 'replayEscalationP99Ms';

export interface RecordedRun { run: string; source?: string; machine?: string; figures: Partial<Record<FigureName, number | null>> }

interface FigureDoc { name: FigureName; label: string; target: string; meets?: (v: number) => boolean }

export const FIGURES: readonly FigureDoc[] = [
  { name: 'intakeRatioP50', label: 'report through the API vs PutItem floor, p50 at 16 in flight', target: '≤ 2×', meets: (v) => v <= 2 },
  { name: 'intakeLiveRatioP50', label: '  the same with the workflows running on the same local database', target: '—' },
  { name: 'intakePerSecond', label: 'reports per second through the API (16 in flight)', target: '—' },
  { name: 'writeUnitsPerReport', label: 'DynamoDB write units per report (with its first workflow stage)', target: '≤ 12', meets: (v) => v <= 12 },
  { name: 'writeUnitsOnSpotLifecycle', label: 'write units per on-the-spot lifecycle (replay mean)', target: '≤ 40', meets: (v) => v <= 40 },
  { name: 'burstEscalatedP99Ms', label: '1,000 deadlines in one second: deadline → escalated, p99 ms', target: '≤ 2000', meets: (v) => v <= 2000 },
  { name: 'burstTownMessageP99Ms', label: '  the same burst: deadline → town message, p99 ms', target: '≤ 3000', meets: (v) => v <= 3000 },
  { name: 'burstFloorSeconds', label: '  the database\'s floor: the burst\'s write requests as plain PutItems, s', target: '—' },
  { name: 'burstEscalatedP99OverFloor', label: '  deadline → escalated p99 over that floor', target: '—' },
  { name: 'coldStartWorstOverFloorMs', label: 'cold start over the empty bundle, worst handler, ms', target: '≤ +50', meets: (v) => v <= 50 },
  { name: 'coldStartWorstOverFloorCpuMs', label: '  the same in CPU ms (user + system; steady under other load)', target: '≤ +50', meets: (v) => v <= 50 },
  { name: 'transitionsOnSpot', label: 'state transitions, on-the-spot lifecycle', target: '≤ 4', meets: (v) => v <= 4 },
  { name: 'transitionsGrid', label: 'state transitions, resolved at grid', target: '—' },
  { name: 'fixedCostPerCountyMonthUsd', label: 'fixed cost per county-month (us-east-1), alarms and keys', target: '≤ $1.50', meets: (v) => v <= 1.5 },
  { name: 'countyMonthUsd', label: 'a county of the demo\'s size per month (us-east-1)', target: '—' },
  { name: 'categoryListRatio', label: 'a grid\'s incidents of one category, 10,000 vs 100 incidents (p50)', target: '≤ 1.5×', meets: (v) => v <= 1.5 },
  { name: 'openGridListRatio', label: 'a grid\'s open incidents, 10,000 vs 100 incidents (p50)', target: '≤ 1.5×', meets: (v) => v <= 1.5 },
  { name: 'replayEscalationP99Ms', label: 'deadline → escalated under the replay\'s load, p99 ms', target: '—' },
];

/** This run's figures, from its results (null: not measured in this run). */
export function figuresOf(r: BenchResults & { fixedCost?: { usd: number } }): RecordedRun['figures'] {
  const path = (p: string) => r.cost?.perPath[p]?.units['as built'];
  const listing = (fragment: string) => r.listing?.queries.find((q) => q.name.includes(fragment))?.ratioP50 ?? null;
  return {
    intakeRatioP50: r.intake?.ratio.p50 ?? null,
    intakeLiveRatioP50: r.intake?.liveRatio.p50 ?? null,
    intakePerSecond: r.intake?.api.perSecond ?? null,
    // A short count (some first stages failed) is no figure of a report's cost.
    writeUnitsPerReport: r.intake && r.intake.firstStagesDone >= r.intake.reports ? r.intake.perReport.writeUnits : null,
    writeUnitsOnSpotLifecycle: path('on-spot')?.writeUnits ?? null,
    burstEscalatedP99Ms: r.deadlines?.lagMs.p99 ?? null,
    burstTownMessageP99Ms: r.deadlines?.notificationLagMs.p99 ?? null,
    burstFloorSeconds: r.deadlines?.floor?.seconds ?? null,
    burstEscalatedP99OverFloor: r.deadlines?.floor?.escalatedP99Ratio ?? null,
    coldStartWorstOverFloorMs: r.coldStart ? Math.max(...r.coldStart.bundles.map((b) => b.overFloorMs)) : null,
    coldStartWorstOverFloorCpuMs: r.coldStart?.bundles.every((b) => b.overFloorCpuMs !== undefined) ? Math.max(...r.coldStart.bundles.map((b) => b.overFloorCpuMs)) : null,
    transitionsOnSpot: path('on-spot')?.transitions ?? null,
    transitionsGrid: path('grid')?.transitions ?? null,
    fixedCostPerCountyMonthUsd: r.cost?.fixed['us-east-1'] ?? null,
    countyMonthUsd: r.cost?.monthly['us-east-1']?.['as built'].total ?? null,
    categoryListRatio: listing('category'),
    openGridListRatio: listing('open incidents of one grid'),
    replayEscalationP99Ms: r.replay?.escalationLagMs.p99 ?? null,
  };
}

export function recordedRuns(): RecordedRun[] {
  return readdirSync(RUNS_DIR).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(readFileSync(join(RUNS_DIR, f), 'utf8')) as RecordedRun);
}

const show = (v: number | null | undefined) => (v === null || v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2));

/** Rows: figure, target, each recorded run, this run, whether this run meets the target. */
export function comparisonRows(now: RecordedRun): string[][] {
  const earlier = recordedRuns().filter((r) => r.run !== now.run);
  const head = ['figure', 'target', ...earlier.map((r) => r.run), `this run (${now.run})`, 'met'];
  return [head, ...FIGURES.map((f) => {
    const v = now.figures[f.name];
    const met = f.meets === undefined || v === null || v === undefined ? '' : f.meets(v) ? 'yes' : 'no';
    return [f.label, f.target, ...earlier.map((r) => show(r.figures[f.name])), show(v), met];
  })];
}

/** Keeps this run in bench/results/history/, and under bench/runs/ when asked to record it. */
export function saveRun(resultsDir: string, now: RecordedRun, record: string | undefined): void {
  const history = join(resultsDir, 'history');
  mkdirSync(history, { recursive: true });
  writeFileSync(join(history, `${now.run.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(now, null, 2)}\n`);
  if (record) writeFileSync(join(RUNS_DIR, `${record}.json`), `${JSON.stringify({ ...now, run: record }, null, 2)}\n`);
}
