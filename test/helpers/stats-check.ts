/**
 * /stats against the records: what the figures and the series must say about a set of incidents, computed
 * from their records as the API returns them (GET /incidents/{id}), independently of the counters. The
 * counters follow the records within moments (the workflow counts after each change), so a test waits for
 * them to agree, bounded, and fails with both sides shown.
 */
import { isDeepStrictEqual } from 'node:util';
import { localDate } from '#domain/local-days.js';
import type { CountyClient } from './county-client.js';

interface Event { at: string; type: string }
interface Record {
  id: string; category: string; status: string; overdue: boolean; resolvedOnSpot: boolean;
  resolution: { level: string } | null; createdAt: string; timeline: Event[];
}

export interface Expected {
  total: number;
  byStatus: { [status: string]: number };
  byCategory: { [category: string]: number };
  resolvedAtLevel: { [level: string]: number };
  resolvedOnSpot: number;
  overdueOpen: number;
  /** Days with events only. */
  series: { [day: string]: { reported: number; resolved: number; escalated: number; closed: number } };
}

export function expectedOf(records: readonly Record[], timeZone: string): Expected {
  const e: Expected = { total: 0, byStatus: {}, byCategory: {}, resolvedAtLevel: {}, resolvedOnSpot: 0, overdueOpen: 0, series: {} };
  const bump = (o: { [k: string]: number }, k: string) => { o[k] = (o[k] ?? 0) + 1; };
  for (const r of records) {
    e.total++;
    bump(e.byStatus, r.status);
    bump(e.byCategory, r.category);
    const resolved = r.resolution !== null && (r.status === 'resolved' || r.status === 'closed');
    if (resolved) bump(e.resolvedAtLevel, r.resolution!.level);
    if (resolved && r.resolvedOnSpot && !r.timeline.some((x) => x.type === 'reopened')) e.resolvedOnSpot++;
    if (r.status === 'open' && r.overdue) e.overdueOpen++;
    for (const x of r.timeline) {
      if (!['reported', 'resolved', 'escalated', 'closed'].includes(x.type)) continue;
      const day = (e.series[localDate(x.at, timeZone)] ??= { reported: 0, resolved: 0, escalated: 0, closed: 0 });
      day[x.type as 'reported']++;
    }
  }
  return e;
}

/** The same fields of a /stats body (zeros dropped, days without events dropped). */
function actualOf(body: any): Expected {
  const nonZero = (o: { [k: string]: number }) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0));
  const series: Expected['series'] = {};
  for (const d of body.series ?? []) {
    if (d.reported || d.resolved || d.escalated || d.closed) series[d.date] = { reported: d.reported, resolved: d.resolved, escalated: d.escalated, closed: d.closed };
  }
  return {
    total: body.total, byStatus: nonZero(body.byStatus), byCategory: nonZero(body.byCategory), resolvedAtLevel: nonZero(body.resolvedAtLevel),
    resolvedOnSpot: body.resolvedOnSpot, overdueOpen: body.overdueOpen, series,
  };
}

/**
 * Waits until /stats for `token` (whose jurisdiction holds exactly the incidents `ids`) agrees with their records,
 * the series from a day before the first report to now; fails after `timeoutMs` showing both.
 */
export async function expectStatsToAgree(client: CountyClient, token: string, ids: readonly string[], timeZone: string, timeoutMs = 20_000): Promise<Expected> {
  const end = Date.now() + timeoutMs;
  let last: { expected: Expected; actual: Expected } | undefined;
  for (;;) {
    const records = await Promise.all(ids.map(async (id) => (await client.call('GET', `/incidents/${id}`, { token })).body as Record));
    const expected = expectedOf(records, timeZone);
    const from = new Date(Math.min(...records.map((r) => Date.parse(r.createdAt))) - 86_400_000).toISOString();
    const res = await client.call('GET', `/stats?series=day&from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date().toISOString())}`, { token });
    const actual = actualOf(res.body);
    if (isDeepStrictEqual(actual, expected)) return expected;
    last = { expected, actual };
    if (Date.now() > end) {
      expect(last.actual).toEqual(last.expected);
      return expected;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
