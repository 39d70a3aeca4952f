/**
 * Crash safety of the local runtime (contract §6, issue 3): the real `npm start` process, killed with
 * SIGKILL while incidents wait, restarted on the same data dir. Executions live in memory, so everything
 * after the restart comes from the records: the reconciler resumes each incident, the deadline that passed
 * while the runtime was down fires once, and the notifications it owes are written once.
 *
 * The restart also loads an edited county file (the `slow` category's deadlines changed from seconds to an
 * hour): incidents reported before the edit keep the policy frozen on them, new ones get the new one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/local-county.js';
import { expectedNotificationIds as expectedIds, until } from '../helpers/county-client.js';
import { expectStatsToAgree } from '../helpers/stats-check.js';
import {
  expectNoJavaLeft, javaProcessesOf, spawnCounty, writeCountyCopy, type NotificationLine, type SpawnedCounty,
} from '../helpers/spawned-county.js';

interface Event { at: string; type: string; level: string; reason: string | null }
interface Incident { id: string; level: string; status: string; deadline: string; createdAt: string; timeline: Event[] }

const WAITING = 5;
const GRID_S = 6;
const TOWN_S = 8;
const slowCounty = (deadlines: Record<string, string>) => writeCountyCopy('testville', (c) => {
  c.categories.push({ id: 'slow', name: 'Slow matter', deadlines });
}, 'testville-crash');

const running: SpawnedCounty[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
});

const ms = (iso: string) => Date.parse(iso);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const events = (i: Incident, type: string) => i.timeline.filter((e) => e.type === type);


/** Processes whose command line names the data dir: the runtime, the DynamoDB watchdog shell, Java. */
function processesOf(dataDir: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dataDir));
}

const idsFor = (lines: NotificationLine[], id: string) => lines.filter((l) => l.attributes.incidentId === id).map((l) => l.attributes.notificationId!).sort();

test('SIGKILL with waiting incidents; on restart each missed deadline fires once, nothing is lost or doubled', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-crash-'));
  const before = await spawnCounty({ configFile: slowCounty({ grid: `PT${GRID_S}S`, town: `PT${TOWN_S}S`, city: `PT${TOWN_S}S` }), dataDir });
  running.push(before);
  const reporter = await before.token('reporter', 'testville', 'resident-crash');
  const grids = ['north-01', 'north-02', 'south-01', 'south-02', 'north-01'];
  const created: Incident[] = await Promise.all(grids.slice(0, WAITING).map(async (gridId, k) => {
    const res = await before.call('POST', '/incidents', { token: reporter, body: { category: 'slow', gridId, title: `Waiting ${k}`, description: 'waits through a crash' } });
    expect(res.status).toBe(201);
    return res.body as Incident;
  }));
  // Waiting: each workflow has run its first step (the assigned message is out) and sleeps until the 80 % mark.
  await until('the assigned messages', () => before.notifications().filter((l) => l.attributes.event === 'assigned').length === WAITING);
  expect(javaProcessesOf(dataDir)).toHaveLength(1);

  // kill -9: no shutdown handler runs.
  before.child.kill('SIGKILL');
  expect(await before.exited).toEqual({ code: null, signal: 'SIGKILL' });
  running.splice(running.indexOf(before), 1);
  const killedAt = Date.now();
  const lastDeadline = Math.max(...created.map((i) => ms(i.deadline)));
  expect(killedAt).toBeLessThan(Math.min(...created.map((i) => ms(i.createdAt))) + GRID_S * 800); // before any reminder was due
  // The DynamoDB Local watchdog sees its parent's pipe close and ends Java: nothing of the runtime survives.
  await expectNoJavaLeft(dataDir);
  await until('no process of the killed runtime', () => processesOf(dataDir).length === 0, 5_000);

  // Every grid deadline passes while the runtime is down.
  await sleepUntil(lastDeadline + 500);
  const after = await spawnCounty({ configFile: slowCounty({ grid: 'PT1H', town: 'PT1H', city: 'PT1H' }), dataDir });
  running.push(after);
  const readyAt = Date.now();

  const countyRole = await after.token('county', 'testville', 'county-desk');
  const atTown = await Promise.all(created.map((i) => after.waitFor<Incident>(i.id, reporter, (x) => x.level === 'town')));
  for (const [k, incident] of atTown.entries()) {
    const ups = events(incident, 'escalated');
    expect(ups).toHaveLength(1);
    expect(ups[0]).toMatchObject({ level: 'town', reason: 'deadline' });
    // Fired when the runtime came back, at once: the town's deadline runs from then, by the frozen 8 s.
    expect(ms(ups[0]!.at)).toBeGreaterThan(killedAt);
    expect(ms(ups[0]!.at)).toBeLessThan(readyAt + 3_000);
    expect(ms(incident.deadline) - ms(ups[0]!.at)).toBe(TOWN_S * 1000);
    expect(incident.timeline.slice(0, 2).map((e) => e.type)).toEqual(['reported', 'assigned']);
    expect(incident.createdAt).toBe(created[k]!.createdAt);
  }
  const listed = await after.call('GET', '/incidents?category=slow&status=open&limit=100', { token: countyRole });
  expect(listed.body.items.map((i: Incident) => i.id).sort()).toEqual(created.map((i) => i.id).sort());

  // The edited file applies to what is reported from now on.
  const fresh = await after.call('POST', '/incidents', { token: reporter, body: { category: 'slow', gridId: 'south-01', title: 'After the edit', description: 'new policy' } });
  expect(ms(fresh.body.deadline) - ms(fresh.body.createdAt)).toBe(3_600_000);

  // They wait again at the town, and its (frozen) deadline fires too, once.
  const atCity = await Promise.all(created.map((i) => after.waitFor<Incident>(i.id, reporter, (x) => x.level === 'city', TOWN_S * 1000 + 8_000)));
  for (const [k, incident] of atCity.entries()) {
    const ups = events(incident, 'escalated');
    expect(ups.map((e) => [e.level, e.reason])).toEqual([['town', 'deadline'], ['city', 'deadline']]);
    expect(ms(ups[1]!.at)).toBeGreaterThanOrEqual(ms(atTown[k]!.deadline));
  }

  // Notifications: exactly what each timeline owes, each once, across both runs.
  await until('every owed message', () => atCity.every((i) => {
    const got = idsFor(after.notifications(), i.id);
    return got.length >= expectedIds(i).length;
  }));
  const lines = after.notifications();
  for (const incident of await Promise.all(created.map(async (i) => (await after.call('GET', `/incidents/${i.id}`, { token: reporter })).body as Incident))) {
    expect(idsFor(lines, incident.id)).toEqual(expectedIds(incident));
    expect(lines.filter((l) => l.attributes.incidentId === incident.id && l.attributes.event === 'escalated')).toHaveLength(4);
  }
  const ids = lines.map((l) => l.attributes.notificationId);
  expect(new Set(ids).size).toBe(ids.length);

  // The stats count what the records hold: every report and escalation once, across the crash.
  const counted = await expectStatsToAgree(after, countyRole, [...created.map((i) => i.id), fresh.body.id], 'Asia/Shanghai');
  expect(counted).toMatchObject({ total: WAITING + 1, byStatus: { open: WAITING + 1 } });
  expect(Object.values(counted.series).reduce((n, d) => n + d.escalated, 0)).toBe(2 * WAITING);

  // A clean stop this time: Java is gone when the process is.
  running.splice(running.indexOf(after), 1);
  expect(await after.stop()).toEqual({ code: 0, signal: null });
  expect(javaProcessesOf(dataDir)).toEqual([]);
}, 120_000);

/**
 * `npm start` runs `tsx local/main.ts` under `sh -c`. Both get in the way of Ctrl-C: the non-interactive sh
 * dies of the terminal's SIGINT at once, so npm reports the signal (exit 130) before the runtime has
 * stopped, and tsx SIGKILLs its child when it does not confirm the signal within 30 ms (exit 130 under
 * load). This runs what `"start": "exec node --import tsx local/main.ts"` would: the runtime itself, in
 * its own process group (package.json is not this test's to change).
 */
test('the runtime as npm start runs it prints ready; Ctrl-C (SIGINT to its process group) exits 0 with no Java left', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-sigint-'));
  const county = await spawnCounty({ configFile: join(FIXTURES, 'testville.json'), dataDir });
  running.push(county);
  expect(county.output()).toMatch(/^gridflow: Testville County \(testville\) ready at http:\/\/127\.0\.0\.1:\d+ /m);
  expect((await county.call('GET', '/health')).status).toBe(200);
  expect(javaProcessesOf(dataDir)).toHaveLength(1);
  running.splice(running.indexOf(county), 1);
  expect(await county.stop()).toEqual({ code: 0, signal: null });
  // A clean stop waits for Java: the data dir is free for the next start the moment the process is gone.
  expect(javaProcessesOf(dataDir)).toEqual([]);
  expect(processesOf(dataDir)).toEqual([]);
}, 90_000);
