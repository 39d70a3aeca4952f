/**
 * Issue 9, item 3: a dead or stalled DynamoDB is noticed. The real `npm start` runtime, its DynamoDB Local
 * stopped (SIGSTOP: alive, not answering) and killed (SIGKILL): /health answers 503 while the database cannot,
 * requests answer 504/503 with Retry-After saying the outcome is unknown and a retry with the same
 * Idempotency-Key is safe (and it is: one incident), and the runtime starts a dead DynamoDB Local again with its
 * data. A read-only data dir fails at once, saying so.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers/county-client.js';
import { FIXTURES } from '../helpers/local-county.js';
import { javaProcessesOf, spawnCounty, type SpawnedCounty } from '../helpers/spawned-county.js';

const HAZARD = { category: 'safety-hazard', gridId: 'north-01', title: 'Loose power line', description: 'A cable hangs low' };
const running: SpawnedCounty[] = [];
afterAll(async () => {
  for (const c of running) {
    for (const pid of javaProcessesOf(c.dataDir)) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
  }
  await Promise.all(running.map((c) => c.stop()));
});

/** A county of its own on disk, one incident reported, and the pid of its DynamoDB Local's Java. */
async function countyWithIncident(name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `gridflow-${name}-`));
  const county = await spawnCounty({ configFile: join(FIXTURES, 'testville.json'), dataDir });
  running.push(county);
  const reporter = await county.token('reporter', 'testville', `resident-${name}`);
  const created = await county.call('POST', '/incidents', { token: reporter, body: HAZARD });
  expect(created.status).toBe(201);
  const [java] = javaProcessesOf(dataDir);
  return { county, dataDir, reporter, created, java: java! };
}

test('a stalled database: /health 503, a request 504 with Retry-After, and its retry with the same key makes one incident', async () => {
  const { county, reporter, java } = await countyWithIncident('outage');
  process.kill(java, 'SIGSTOP');
  let resumed = false;
  try {
    const health = await county.call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(health.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(health.body).toMatchObject({ status: 503, type: 'https://gridflow.dev/problems/service-unavailable' });

    const key = { 'idempotency-key': 'outage-report-1' };
    const stalled = await county.call('POST', '/incidents', { token: reporter, body: { ...HAZARD, title: 'Reported during the stall' }, headers: key });
    expect([503, 504]).toContain(stalled.status);
    expect(stalled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(stalled.body.detail).toMatch(/whether this request took effect is unknown.*same Idempotency-Key is safe/);

    process.kill(java, 'SIGCONT');
    resumed = true;
    await until('/health answering 200', async () => (await county.call('GET', '/health')).status === 200, 30_000);
    // The retry: the write of the stalled request either happened (its response is replayed) or not (applied now).
    const retried = await until('the retry answered', async () => {
      const r = await county.call('POST', '/incidents', { token: reporter, body: { ...HAZARD, title: 'Reported during the stall' }, headers: key });
      return r.status === 409 ? false : r; // still in flight: its lease says when to come back
    }, 90_000);
    expect(retried.status).toBe(201);
    const again = await county.call('POST', '/incidents', { token: reporter, body: { ...HAZARD, title: 'Reported during the stall' }, headers: key });
    expect(again.text).toBe(retried.text);
    const mine = await county.call('GET', '/incidents?limit=100', { token: reporter });
    expect(mine.body.items.filter((i: { title: string }) => i.title === 'Reported during the stall')).toHaveLength(1);
  } finally {
    if (!resumed) process.kill(java, 'SIGCONT');
  }
}, 180_000);

test('a dead database is started again by the runtime, with its data', async () => {
  const { county, dataDir, reporter, created, java } = await countyWithIncident('dead-db');
  process.kill(java, 'SIGKILL');
  await until('a new DynamoDB Local', () => javaProcessesOf(dataDir).some((pid) => pid !== java), 60_000);
  await until('/health answering 200', async () => (await county.call('GET', '/health')).status === 200, 60_000);
  expect(county.output()).toMatch(/DynamoDB Local exited by itself \(code \d+|signal SIGKILL\).*starting it again|DynamoDB Local exited by itself/);
  expect((await county.call('GET', `/incidents/${created.body.id}`, { token: reporter })).status).toBe(200);
  expect((await county.call('POST', '/incidents', { token: reporter, body: { ...HAZARD, title: 'After the restart' } })).status).toBe(201);
}, 180_000);

test('a read-only data dir fails at once, saying so', async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'gridflow-readonly-')), 'data');
  mkdirSync(dataDir);
  // As root a 0555 directory is still writable: make it immutable instead.
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'chattr' : 'chmod', asRoot ? ['+i', dataDir] : ['555', dataDir]);
  try {
    await expect(spawnCounty({ configFile: join(FIXTURES, 'testville.json'), dataDir })).rejects.toThrow(/exited \(1\) before ready[\s\S]*the data dir .* is not writable \((EACCES|EPERM|EROFS)\)/);
  } finally {
    execFileSync(asRoot ? 'chattr' : 'chmod', asRoot ? ['-i', dataDir] : ['755', dataDir]);
  }
  expect(javaProcessesOf(dataDir)).toEqual([]);
}, 60_000);
