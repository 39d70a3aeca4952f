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
import { scaledCounty } from './bench-county.js';
import { stackFacts } from './stack-facts.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FACTOR = 10;

type Json = Record<string, unknown>;

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
