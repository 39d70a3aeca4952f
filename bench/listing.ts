/**
 * Listing: "open incidents of one grid, soonest deadline first" (GET /incidents?gridId=…&status=open) with
 * 100 and with 10,000 incidents in the county. Both times the grid holds the same 25 open incidents, so the
 * page is the same; only the county's history grows (9,900 more incidents over four months, seeded with
 * BatchWrite through the repository's item mapping). An index answers in the same time at both sizes; a
 * scan would not. Two more lists show what does and does not grow: the county-wide open list (an index
 * too) and a grid's incidents of one category (its own index, `gridCategory`, since issue 12; before, the grid's
 * all-status index plus a filter, which read past the grid's other categories).
 * For scale, the same answer by a Scan of the table.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { nominalMs } from '#domain/deadlines.js';
import { INDEXES } from '#storage/table-design.js';
import { actorsOf, liveThrough, planIncident } from './history.js';
import { note } from './output.js';
import { round, summarize, type Summary } from './percentiles.js';
import type { Session } from './session.js';
import { dynamoTotals } from './meter.js';
import { seedIncidents } from './table.js';
import { placesOf, REPLAY_DAYS, rng } from './workload.js';

export interface ListingOptions { small: number; large: number; openInGrid: number; samples: number; warmup: number }
export const LISTING_DEFAULTS: ListingOptions = { small: 100, large: 10_000, openInGrid: 25, samples: 200, warmup: 50 };

interface QueryFigures { p50Ms: number; latencyMs: Summary; items: number; readUnitsPerCall: number }
export interface ListingQuery { name: string; path: string; role: string; small: QueryFigures; large: QueryFigures; ratioP50: number }
/** What the same answer would cost without the index: a Scan of the table for the grid's open incidents. */
export interface ScanReference { smallMs: number; largeMs: number; ratio: number; readUnitsLarge: number }
export interface ListingResult {
  incidents: { small: number; large: number }; grid: string; openInGrid: number; seedSeconds: number; seedItemsPerSecond: number;
  queries: ListingQuery[];
  scan: ScanReference;
}

export async function runListing(s: Session, opts: ListingOptions = LISTING_DEFAULTS): Promise<ListingResult> {
  const county = s.bench.demo; // history keeps the real deadlines
  const random = rng(11);
  const places = placesOf(county);
  const actors = actorsOf(county);
  const target = places.find((p) => p.gridId === 'nangang-01') ?? places[0]!;
  const now = Date.now();
  const history = (n: number) => Array.from({ length: n }, () => {
    const plan = planIncident(random, county, places);
    const reportedAt = now - random() * REPLAY_DAYS * 86_400_000;
    return liveThrough(county, plan, randomUUID(), reportedAt, now, random, actors);
  });
  // The grid's open incidents: reported recently, to be resolved later than now.
  const open = Array.from({ length: opts.openInGrid }, () => {
    const plan = { ...planIncident(random, county, places), place: target, outcome: 'grid' as const, manual: [], resolveShare: 0.95 };
    const grid = nominalMs(county.categories.find((c) => c.id === plan.category)!.deadlines[county.ladder[0]!]!);
    return liveThrough(county, plan, randomUUID(), now - random() * 0.6 * grid, now, random, actors);
  });

  const first = [...open, ...history(opts.small - opts.openInGrid)];
  // The category list's page at 100 incidents holds only the grid's few incidents of that category; at 10,000 a full
  // page. The same list with that small page's size at both sizes compares equal work: what grows with history only.
  const smallPage = Math.max(1, first.filter((i) => i.gridId === target.gridId && i.category === 'conflict').length);
  const town = await s.token('town', target.townId, actors.level('town', target).sub);
  const countyRole = await s.token('county', county.id, `${county.id}-office`);
  const queries = [
    { name: 'open incidents of one grid, soonest deadline first', path: `/incidents?gridId=${target.gridId}&status=open`, role: 'town', token: town },
    { name: 'open incidents of the county, soonest deadline first', path: '/incidents?status=open', role: 'county', token: countyRole },
    { name: 'one grid\'s incidents of one category, newest first (gridCategory index)', path: `/incidents?gridId=${target.gridId}&category=conflict`, role: 'town', token: town },
    { name: `the same, pages of ${smallPage} (the 100-incident page's size) at both sizes`, path: `/incidents?gridId=${target.gridId}&category=conflict&limit=${smallPage}`, role: 'town', token: town },
  ];
  const measure = async (): Promise<QueryFigures[]> => {
    const out: QueryFigures[] = [];
    for (const q of queries) {
      for (let i = 0; i < opts.warmup; i++) await s.call('GET', q.path, q.token);
      const mark = s.meter.mark();
      const ms: number[] = [];
      let items = 0;
      for (let i = 0; i < opts.samples; i++) {
        const res = await s.call<{ items?: unknown[] }>('GET', q.path, q.token);
        if (res.status !== 200) throw new Error(`${q.path} answered ${res.status}`);
        items = res.body.items?.length ?? 0;
        ms.push(res.ms);
      }
      const delta = s.meter.since(mark);
      // The index Query and the page's items read from the table.
      const readUnits = dynamoTotals(delta.dynamo).readUnits;
      const latencyMs = summarize(ms);
      out.push({ p50Ms: latencyMs.p50, latencyMs, items, readUnitsPerCall: round(readUnits / opts.samples, 2) });
    }
    return out;
  };

  // Published as the workflow would have; not counted in the stats (no workflow runs here: the listing is what is measured).
  await seedIncidents(s, first, { counters: false });
  note(`listing: ${opts.small} incidents in the county, measuring`);
  // The first calls also warm the JIT of this process and of DynamoDB Local: one untimed round first.
  await measure();
  const small = await measure();
  const scanSmall = await scanFor(s, target.gridId, 3);
  note(`listing: seeding ${opts.large - opts.small} more (BatchWrite)`);
  const more = history(opts.large - opts.small);
  const seedStart = Date.now();
  await seedIncidents(s, more, { counters: false });
  const seedSeconds = (Date.now() - seedStart) / 1000;
  note(`listing: ${opts.large} incidents in the county, measuring`);
  const large = await measure();
  // Seconds at this size on DynamoDB Local: once is enough to make the point.
  const scanLarge = await scanFor(s, target.gridId, 1);
  return {
    incidents: { small: opts.small, large: opts.large },
    grid: target.gridId,
    openInGrid: opts.openInGrid,
    seedSeconds: round(seedSeconds, 1),
    seedItemsPerSecond: round(more.length / seedSeconds, 1),
    queries: queries.map((q, i) => ({
      name: q.name, path: q.path, role: q.role, small: small[i]!, large: large[i]!, ratioP50: round(large[i]!.p50Ms / small[i]!.p50Ms),
    })),
    scan: { smallMs: scanSmall.ms, largeMs: scanLarge.ms, ratio: round(scanLarge.ms / scanSmall.ms), readUnitsLarge: scanLarge.readUnits },
  };
}

/** Full Scans filtered to the grid's open incidents, through the bench's own client: the median of `times`. */
async function scanFor(s: Session, gridId: string, times: number): Promise<{ ms: number; readUnits: number }> {
  const runs: { ms: number; readUnits: number }[] = [];
  for (let r = 0; r < times; r++) {
    const t0 = performance.now();
    let readUnits = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await s.doc.send(new ScanCommand({
        TableName: s.tableName, FilterExpression: '#g = :g', ExpressionAttributeNames: { '#g': INDEXES.gridOpen.partitionKey },
        ExpressionAttributeValues: { ':g': gridId }, ReturnConsumedCapacity: 'TOTAL', ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }));
      readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    runs.push({ ms: performance.now() - t0, readUnits });
  }
  runs.sort((a, b) => a.ms - b.ms);
  const mid = runs[Math.floor(runs.length / 2)]!;
  return { ms: round(mid.ms, 1), readUnits: mid.readUnits };
}
