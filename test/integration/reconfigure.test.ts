/**
 * Issue 9, item 5, on the local county across a restart with a changed county file (contract §2): an open
 * incident at a level the new ladder lacks moves to the nearest remaining level above with a fresh deadline and
 * an `escalated` event with reason `reconfigured`, announced to that level only; a file that removes a grid or a
 * category with open incidents is refused, at start-up and by `npm run -s check-config`, listing them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from '../helpers/county-client.js';
import { REPO_ROOT, spawnCounty, writeCountyCopy, type SpawnedCounty } from '../helpers/spawned-county.js';

interface Event { at: string; type: string; level: string; reason: string | null }
interface Incident { id: string; level: string; status: string; deadline: string; version: number; timeline: Event[] }

const running: SpawnedCounty[] = [];
afterAll(async () => { await Promise.all(running.map((c) => c.stop())); });
const HAZARD = { category: 'safety-hazard', title: 'Loose power line', description: 'A cable hangs low' };

const checkConfig = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'local/config-check-cli.ts', ...args], {
  cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' },
}).then(({ stdout }) => ({ code: 0, stdout, stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

test('a ladder that lost the county level moves the incident waiting there to the city; removing a grid in use is refused', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-reconfigure-'));
  const fourLevels = writeCountyCopy('testville4', () => undefined, 'testville4-before');
  const first = await spawnCounty({ configFile: fourLevels, dataDir });
  running.push(first);
  const [countyDesk, reporter] = await Promise.all([first.token('county', 'testville4', 'county-desk'), first.token('reporter', 'testville4', 'resident-r')]);
  const atCounty = (await first.call('POST', '/incidents', { token: reporter, body: { ...HAZARD, gridId: 'north-01' } })).body as Incident;
  for (let i = 0; i < 2; i++) expect((await first.call('POST', `/incidents/${atCounty.id}/actions`, { token: countyDesk, body: { action: 'escalate' } })).status).toBe(200);
  const inSouth = (await first.call('POST', '/incidents', { token: reporter, body: { ...HAZARD, gridId: 'south-02' } })).body as Incident;
  const before = await first.waitFor<Incident>(atCounty.id, countyDesk, (i) => i.level === 'county');
  running.splice(running.indexOf(first), 1);
  expect(await first.stop()).toEqual({ code: 0, signal: null });

  // A file without grid south-02: refused at start-up and by the check, both listing the incident.
  const withoutSouth02 = writeCountyCopy('testville4', (c) => {
    c.towns[1].communities[0].grids = c.towns[1].communities[0].grids.filter((g: { id: string }) => g.id !== 'south-02');
  }, 'testville4-without-south-02');
  const listed = new RegExp(`grid "south-02" was removed but still has 1 open incident: ${inSouth.id}`);
  await expect(spawnCounty({ configFile: withoutSouth02, dataDir })).rejects.toThrow(listed);
  const refused = await checkConfig('--config', withoutSouth02, '--data-dir', dataDir);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(listed);

  // A file whose ladder lost the county level: accepted; the incident at the county moves to the city.
  const threeLevels = writeCountyCopy('testville4', (c) => { c.ladder = ['grid', 'town', 'city']; }, 'testville4-after');
  const ok = await checkConfig('--config', threeLevels, '--data-dir', dataDir);
  expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/valid; removes nothing 2 open incidents need/) });
  const restartedAt = Date.now();
  const second = await spawnCounty({ configFile: threeLevels, dataDir });
  running.push(second);
  const moved = await second.waitFor<Incident>(atCounty.id, countyDesk, (i) => i.level === 'city');
  const event = moved.timeline.at(-1)!;
  expect(event).toMatchObject({ type: 'escalated', level: 'city', reason: 'reconfigured', actor: null });
  expect(Date.parse(event.at)).toBeGreaterThanOrEqual(restartedAt);
  expect(moved.version).toBe(before.version + 1);
  // A fresh deadline at the city: its frozen 8 hours from the move.
  expect(Date.parse(moved.deadline) - Date.parse(event.at)).toBe(8 * 3_600_000);
  // Announced to the city only: the county level has no topic any more.
  const index = moved.timeline.length - 1;
  await until('the city message', () => second.notifications().some((n) => n.attributes.notificationId === `${atCounty.id}:${index}:city`));
  expect(second.notifications().filter((n) => n.attributes.incidentId === atCounty.id && n.attributes.event === 'escalated' && Number(n.attributes.notificationId!.split(':')[1]) === index)
    .map((n) => n.level)).toEqual(['city']);
  // The other incident, still at the grid, is untouched.
  expect((await second.call('GET', `/incidents/${inSouth.id}`, { token: countyDesk })).body).toMatchObject({ level: 'grid', version: inSouth.version });
}, 240_000);
