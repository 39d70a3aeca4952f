/**
 * How late an escalation fires on the local stack: N incidents reported through the API in one burst, so
 * their grid deadlines fall within the same moment, then the lag from each deadline to the `escalated`
 * event on its timeline and to the message that tells the town in notifications.jsonl.
 *
 *   npx tsx bench/escalation-lag.ts [--incidents 50] [--deadline PT10S]
 *
 * The deadline should be long enough for the 80 % reminder to come first (as with real, hour-long
 * deadlines): the workflow then waits from the reminder to the deadline, in whole seconds.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

interface Event { at: string; type: string; level: string }
interface Incident { id: string; level: string; deadline: string; timeline: Event[] }

const { values } = parseArgs({ options: { incidents: { type: 'string', default: '50' }, deadline: { type: 'string', default: 'PT10S' } } });
const N = Number(values.incidents);
if (!Number.isInteger(N) || N < 1) throw new Error('--incidents must be a positive integer');

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The SDK's notice that its 2027 releases need Node 22 says nothing about this measurement (as in local/main.ts).
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes('NodeVersionSupportWarning')) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
const { startLocalCounty } = await import('#local/runtime.js');
const { mintToken } = await import('#local/tokens.js');

const fixture = fileURLToPath(new URL('../test/fixtures/counties/testville.json', import.meta.url));
const county = JSON.parse(readFileSync(fixture, 'utf8'));
county.categories.push({ id: 'lag', name: 'Lag probe', deadlines: { grid: values.deadline, town: 'PT1H', city: 'PT1H' } });
const dir = mkdtempSync(join(tmpdir(), 'gridflow-escalation-lag-'));
const configFile = join(dir, 'testville.json');
writeFileSync(configFile, JSON.stringify(county));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Nearest-rank percentile. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
const summary = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50)} ms, p99 ${percentile(s, 99)} ms, max ${s[s.length - 1]} ms (min ${s[0]} ms)`;
};

const local = await startLocalCounty({ configFile, dataDir: join(dir, 'data'), port: 0, inMemory: true });
try {
  const token = await mintToken(local.dataDir, { role: 'county', scope: 'testville', sub: 'bench' });
  const get = async (id: string) => {
    const res = await fetch(`${local.url}/incidents/${id}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET /incidents/${id}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Incident>;
  };
  const grids = local.county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids.map((g) => g.id)));
  // The county role may not report; a grid leader reports in its own grid.
  const leaders = new Map(await Promise.all(grids.map(async (g) => [g, await mintToken(local.dataDir, { role: 'grid', scope: g })] as const)));
  const reported = await Promise.all(Array.from({ length: N }, async (_, k) => {
    const gridId = grids[k % grids.length]!;
    const res = await fetch(`${local.url}/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${leaders.get(gridId)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'lag', gridId, title: `Lag probe ${k}`, description: 'bench' }),
    });
    if (res.status !== 201) throw new Error(`report: ${res.status} ${await res.text()}`);
    return (await res.json()) as Incident;
  }));
  const deadlines = reported.map((i) => Date.parse(i.deadline));
  const spread = Math.max(...deadlines) - Math.min(...deadlines);

  // Read nothing until the deadlines have passed, so the probe does not load the stack it measures.
  await sleep(Math.max(...deadlines) - Date.now() + 1_500);
  const escalated = new Map<string, Incident>();
  for (let round = 0; escalated.size < N && round < 100; round++) {
    for (const i of reported) {
      if (escalated.has(i.id)) continue;
      const now = await get(i.id);
      if (now.level !== 'grid') escalated.set(i.id, now);
    }
    if (escalated.size < N) await sleep(200);
  }
  if (escalated.size < N) throw new Error(`only ${escalated.size} of ${N} incidents escalated`);

  const eventLag = reported.map((i) => {
    const up = escalated.get(i.id)!.timeline.find((e) => e.type === 'escalated')!;
    return Date.parse(up.at) - Date.parse(i.deadline);
  });
  const lines = readFileSync(local.notificationsFile, 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { publishedAt: string; level: string; attributes: Record<string, string> });
  const messageLag = reported.map((i) => {
    const m = lines.find((l) => l.attributes.incidentId === i.id && l.attributes.event === 'escalated' && l.level === 'town');
    if (!m) throw new Error(`no town message for ${i.id}`);
    return Date.parse(m.publishedAt) - Date.parse(i.deadline);
  });
  const reminders = [...escalated.values()].filter((i) => i.timeline.some((e) => e.type === 'reminded')).length;

  process.stdout.write([
    `escalation lag on the local stack: ${N} incidents, grid deadline ${values.deadline}, deadlines within ${spread} ms of each other`,
    `  deadline -> escalated event:      ${summary(eventLag)}`,
    `  deadline -> town message written: ${summary(messageLag)}`,
    `  80 % reminder sent before the deadline: ${reminders} of ${N}`,
    '',
  ].join('\n'));
} finally {
  await local.stop();
}
