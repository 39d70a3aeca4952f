/**
 * A county ten times the demo (issue 12): the demo county's towns cloned ten times (880 grids, 30 towns, every
 * person with an id, phone and e-mail of their own), synthesized like any county, to show what grows with a
 * county's size in the stack: resources per stack (CloudFormation allows 500), SNS subscription filter policies
 * per topic (200 by default), alarms and keys (which do not grow). `npx tsx bench/ten-times.ts` writes
 * bench/results/ten-times.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCounty } from '#config/county-loader.js';
import type { County } from '#config/county-schema.js';
import { stackFacts } from './stack-facts.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FACTOR = 10;

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

function main(): void {
  const demo = JSON.parse(readFileSync(join(ROOT, 'counties/shouyang.json'), 'utf8')) as Json;
  const rows = [1, FACTOR].map((factor) => {
    const county: County = parseCounty(scaledCounty(demo, factor), `shouyang x${factor}`);
    const grids = county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids)).length;
    const facts = stackFacts(county);
    return {
      factor, towns: county.towns.length, grids,
      resources: facts.resources, largestStackResources: facts.largestStackResources,
      filterPoliciesPerTopic: facts.filterPoliciesPerTopic,
      alarms: facts.alarms, alarmMetrics: facts.alarmMetrics, kmsKeys: facts.kmsKeys, logGroups: facts.logGroups,
    };
  });
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/ten-times.json'), `${JSON.stringify(rows, null, 2)}\n`);
  console.log(JSON.stringify(rows, null, 2));
}

main();
