/**
 * The county the bench runs: the demo county's towns, grids and people (counties/shouyang.json), with time
 * compressed so that months of deadlines pass in minutes, written to a temp file and loaded like any
 * county file (validated by the product's own loader).
 *
 *  - the demo's categories keep their ids, their deadlines and the verification window scaled by
 *    `daySeconds` (one day of the county = that many seconds), rounded up to whole seconds (the workflow
 *    waits in whole seconds) and never under MIN_SECONDS: below that the 80 % reminder and the deadline
 *    would fall in the same whole second and the reminder would never be sent, which real deadlines
 *    (hours, days) always allow;
 *  - `bench-hold` waits longer than any run (intake and listing incidents must not move meanwhile);
 *  - `bench-deadline`: a ten-minute grid deadline for the deadline burst (long enough that the 80 % reminder
 *    of an incident seeded to fall due a minute from now has already been sent);
 *  - no webhooks: the local sink would POST to the config's example URLs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCounty, loadCountyFile, parseCounty } from '#config/county-loader.js';
import type { County } from '#config/county-schema.js';
import { localName } from '#config/names.js';
import { nominalMs } from '#domain/deadlines.js';
import type { DeadlineSpec } from '#domain/incident.js';

export const DEMO_COUNTY_ID = 'shouyang';
export const HOLD_CATEGORY = 'bench-hold';
export const DEADLINE_CATEGORY = 'bench-deadline';
/** The deadline burst's grid deadline. */
export const DEADLINE_GRID_SECONDS = 600;

const HOLD = 'P30D';
/** The shortest compressed deadline: 80 % of it (4 s) and all of it (5 s) are different whole seconds. */
export const MIN_SECONDS = 5;

/**
 * A deadline of the real county, compressed into calendar time: whole seconds, at least MIN_SECONDS. A working-time
 * deadline counts by its nominal length (deadlines.ts nominalMs): compressed days have no office hours.
 */
export function compress(spec: DeadlineSpec, daySeconds: number): string {
  const seconds = Math.max(MIN_SECONDS, Math.ceil((nominalMs(spec) / 86_400_000) * daySeconds));
  return `PT${seconds}S`;
}

export interface BenchCounty {
  county: County;
  /** The demo's towns repeated this many times (bench --scale; ten-times.ts). */
  scale: number;
  /** The demo county as shipped: real deadlines, for seeded history. */
  demo: County;
  file: string;
  daySeconds: number;
}

export function writeBenchCounty(dir: string, daySeconds: number, scale = 1): BenchCounty {
  const shipped = loadCounty(DEMO_COUNTY_ID);
  const demo = scale === 1 ? shipped : parseCounty(scaledCounty(shipped as unknown as Json, scale), `${DEMO_COUNTY_ID} x${scale}`);
  const ladderOf = (iso: (level: string) => string) => Object.fromEntries(demo.ladder.map((l) => [l, iso(l)]));
  const raw = {
    ...demo,
    name: `${localName(demo.name, 'en')} (bench)`,
    verificationWindow: compress(demo.verificationWindow, daySeconds),
    webhooks: [],
    categories: [
      ...demo.categories.map((c) => ({
        ...c,
        deadlines: ladderOf((l) => compress(c.deadlines[l as keyof typeof c.deadlines]!, daySeconds)),
      })),
      { id: HOLD_CATEGORY, name: 'Bench: waits the whole run', deadlines: ladderOf(() => HOLD) },
      {
        id: DEADLINE_CATEGORY,
        name: 'Bench: deadline burst',
        deadlines: ladderOf((l) => (l === demo.ladder[0] ? `PT${DEADLINE_GRID_SECONDS}S` : HOLD)),
      },
    ],
  };
  const file = join(dir, `${demo.id}.bench.json`);
  writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
  return { county: loadCountyFile(file), scale, demo, file, daySeconds };
}

type Json = Record<string, unknown>;

/** The demo county with its towns repeated `factor` times under new ids (the first copy keeps the originals). */
export function scaledCounty(demo: Json, factor: number): Json {
  const towns = demo.towns as Json[];
  let phone = 13900000000;
  const person = (p: Json, k: number): Json => ({
    ...p, id: k === 0 ? p.id : `${String(p.id)}-x${k}`,
    ...(p.phone ? { phone: String(phone++) } : {}),
    ...(p.email ? { email: String(p.email).replace('@', k === 0 ? '@' : `+x${k}@`) } : {}),
  });
  const copies = Array.from({ length: factor }, (_, k) => towns.map((t) => ({
    ...t,
    id: k === 0 ? t.id : `${String(t.id)}-x${k}`,
    supervisors: (t.supervisors as Json[]).map((p) => person(p, k)),
    communities: (t.communities as Json[]).map((c) => ({
      ...c,
      id: k === 0 ? c.id : `${String(c.id)}-x${k}`,
      grids: (c.grids as Json[]).map((g) => ({ ...g, id: k === 0 ? g.id : `${String(g.id)}-x${k}`, leader: person(g.leader as Json, k) })),
    })),
  })));
  return { ...demo, towns: copies.flat() };
}
