/**
 * Working time over the local county (contract §7): a drill over the National Day week with the county's clock
 * started where the drill needs it (`clock`, as `npm start -- --clock` does), restarted on the same data dir at
 * later instants; working-time deadlines and extensions through the API; `npm run deadline` printing the same
 * instants the workflow uses; and `npm start -- --clock` itself.
 *
 * test/fixtures/counties/calendarville.json: office hours 08:30-12:00 and 14:30-17:30 (summer afternoons
 * 15:00-18:00), National Day 1-7 October 2026 off, 10 October worked; `sanitation` is 4 working hours at grid
 * and 2 working days at town.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/local-county.js';
import { REPO_ROOT, spawnCounty } from '../helpers/spawned-county.js';

interface Event { at: string; type: string; level: string; reason: string | null }
interface Incident { id: string; createdAt: string; level: string; status: string; deadline: string | null; timeline: Event[]; allowedActions: string[] }

const CONFIG = join(FIXTURES, 'calendarville.json');
const bj = (local: string) => new Date(`${local}+08:00`);

/** The real `npm start -- --clock ISO` on `dataDir`: each run of the drill is the county restarted at another instant. */
const start = (dataDir: string, clock: string) => spawnCounty({ configFile: CONFIG, dataDir, args: ['--clock', clock] });

/**
 * `npm run -s deadline -- ...` as ops run it. Not execFileSync: blocking the event loop for the seconds a tsx start
 * takes lets the county close an idle keep-alive connection unseen, and the next request on it fails (ECONNRESET).
 */
async function deadlineCli(...args: string[]): Promise<{ deadline: string; reminderAt: string }> {
  const { NODE_OPTIONS: _jest, ...env } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/deadline.ts', ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  return JSON.parse(stdout) as { deadline: string; reminderAt: string };
}

test('a drill over the National Day week: the deadline skips the holiday, the extended deadline fires, the town gets working days and a working-days extension', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-drill-'));
  // Wednesday 30 September, 16:00 in Beijing: a summer afternoon, the eve of the National Day week.
  let api = await start(dataDir, '2026-09-30T16:00:00+08:00');
  let id: string;
  let pacedId: string;
  try {
    expect(api.output()).toContain('clock started at 2026-09-30T08:00:00.000Z');
    // 2026 has the national schedule, 2027 not yet: the county says so at start-up.
    expect(api.output()).toMatch(/warning: the calendar of Calendarville County names no holidays or make-up workdays for 2027/);
    const [reporter, leader, town] = await Promise.all([
      api.token('reporter', 'calendarville', 'resident-1'), api.token('grid', 'north-01', 'leader-1'), api.token('town', 'north', 'sup-north'),
    ]);
    const created = await api.call('POST', '/incidents', { token: reporter, body: { category: 'sanitation', gridId: 'north-01', title: 'Overflowing bins', description: 'By the school gate' } });
    expect(created.status).toBe(201);
    const incident = created.body as Incident;
    id = incident.id;
    // The county's clock, not the machine's: reported on 30 September.
    // Minutes at most (the start-up under load), not the two months to the real date.
    expect(Date.parse(incident.createdAt) - bj('2026-09-30T16:00').getTime()).toBeLessThan(180_000);
    // 4 working hours: 16:00-18:00 today, the holiday week off, then 08:30-10:30 on 8 October, plus the seconds
    // the start-up took (they are working time too).
    const lag = Date.parse(incident.createdAt) - bj('2026-09-30T16:00').getTime();
    expect(incident.deadline).toBe(new Date(bj('2026-10-08T10:30').getTime() + lag).toISOString());
    // The same instants `npm run deadline` prints for that start: one module computes both.
    const cli = await deadlineCli('--config', CONFIG, '--category', 'sanitation', '--level', 'grid', '--at', incident.createdAt);
    expect(cli.deadline).toBe(incident.deadline);

    // A working-time extension: two more working hours from the current deadline, approved by the town.
    const asked = await api.call('POST', `/incidents/${id}/actions`, { token: leader, body: { action: 'request-extension', note: 'The truck is booked', extension: { working: 'PT2H' } } });
    expect(asked.status).toBe(200);
    const approved = await api.call('POST', `/incidents/${id}/actions`, { token: town, body: { action: 'approve-extension' } });
    expect(approved.status).toBe(200);
    // 10:30 + 2 working hours = 12:00 (1.5 h) + 0.5 h of the afternoon from 14:30 = 15:00 on 8 October.
    expect(approved.body.deadline).toBe(new Date(bj('2026-10-08T15:00').getTime() + lag).toISOString());

    // The workflow waits on the same clock: a 6 s deadline escalates 6 s later on it, on 30 September.
    const paced = (await api.call('POST', '/incidents', { token: reporter, body: { category: 'paced', gridId: 'north-01', title: 'Bins', description: 'Full' } })).body as Incident;
    const moved = await api.waitFor<Incident>(paced.id, reporter, (i) => i.level === 'town', 20_000);
    const up = Date.parse(moved.timeline.find((e) => e.type === 'escalated')!.at);
    expect(up - Date.parse(paced.createdAt)).toBeGreaterThanOrEqual(6000);
    expect(up - bj('2026-09-30T16:00').getTime()).toBeLessThan(300_000);
    pacedId = paced.id;
    // Left overdue at the top when the county goes down: its reminders (every 6 s) fall due during the outage.
    await api.waitFor<Incident>(paced.id, reporter, (i) => i.timeline.some((e) => e.type === 'overdue'), 30_000);
  } finally {
    await api.stop();
  }

  // The county comes back on 8 October just after the extended deadline (it was down over the holiday, when
  // nothing was due): the escalation fires at once, and the town's two working days run to the close of the
  // make-up Saturday 10 October.
  api = await start(dataDir, '2026-10-08T15:00:30+08:00');
  try {
    const token = await api.token('county', 'calendarville', 'desk');
    const atTown = await api.waitFor<Incident>(id!, token, (i) => i.level === 'town', 20_000);
    const escalated = atTown.timeline.find((e) => e.type === 'escalated')!;
    expect(escalated.reason).toBe('deadline');
    expect(Date.parse(escalated.at)).toBeGreaterThanOrEqual(bj('2026-10-08T15:00:30').getTime());
    // At once: when the restarted county's reconciler resumed it, at the end of its start-up.
    expect(Date.parse(escalated.at) - bj('2026-10-08T15:00:30').getTime()).toBeLessThan(180_000);
    expect(atTown.deadline).toBe(bj('2026-10-10T17:30').toISOString());
    // A working-days extension at the town (contract §10): to the close of the first working day after the day of
    // the current deadline; Sunday 11 October is a weekend day again, so Monday 12 October at 17:30 (winter hours).
    const sup = await api.token('town', 'north', 'sup-north');
    const asked = await api.call('POST', `/incidents/${id!}/actions`, { token: sup, body: { action: 'request-extension', note: 'The contractor comes Monday', extension: { workingDays: 1 } } });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ pendingExtension: { extension: { workingDays: 1 }, by: 'sup-north' } });
    const approved = await api.call('POST', `/incidents/${id!}/actions`, { token, body: { action: 'approve-extension' } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ level: 'town', deadline: bj('2026-10-12T17:30').toISOString(), pendingExtension: null });
    // The grid's 80 % reminder fell due during the outage and was overtaken by the escalation: never sent late.
    expect(atTown.timeline.filter((e) => e.type === 'reminded')).toEqual([]);

    // After the outage, the overdue reminders of the top level do not come in a burst: one missed reminder at once,
    // the next one period (6 s) after it was sent, each later one a period after the previous was due (contract §10;
    // issue 9) — so the k-th after the restart goes out at least k periods after the first, however late each ran.
    const reminded = await api.waitFor<Incident>(pacedId!, token, (i) => i.timeline.filter((e) => e.reason === 'overdue').length === 3, 40_000);
    const restart = bj('2026-10-08T15:00:30').getTime();
    const after = reminded.timeline.filter((e) => e.reason === 'overdue' && Date.parse(e.at) >= restart).map((e) => Date.parse(e.at));
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(after[0]! - restart).toBeLessThan(180_000);
    for (let k = 1; k < after.length; k++) expect(after[k]! - after[0]!).toBeGreaterThanOrEqual(k * 6000);
  } finally {
    await api.stop();
  }
}, 240_000);

test('`npm run deadline` prints the demo county\'s instants and refuses what it cannot compute', async () => {
  // The worked examples of the closing note (counties/shouyang.json, 2026 national schedule).
  expect(await deadlineCli('--county', 'shouyang', '--category', 'sanitation', '--level', 'grid', '--at', '2026-09-30T16:00:00+08:00'))
    .toEqual({ deadline: '2026-10-08T02:30:00.000Z', reminderAt: '2026-10-08T01:42:00.000Z' });
  expect(await deadlineCli('--county', 'shouyang', '--category', 'information-collection', '--level', 'grid', '--at', '2026-09-30T10:00:00+08:00'))
    .toEqual({ deadline: '2026-10-10T09:30:00.000Z', reminderAt: '2026-10-10T02:06:00.000Z' });
  expect(await deadlineCli('--county', 'shouyang', '--category', 'sanitation', '--level', 'town', '--at', '2026-02-13T15:00:00+08:00'))
    .toEqual({ deadline: '2026-02-24T09:30:00.000Z', reminderAt: '2026-02-24T03:54:00.000Z' });
  // Calendar time stays calendar time.
  expect(await deadlineCli('--county', 'shouyang', '--category', 'conflict', '--level', 'grid', '--at', '2026-09-30T16:00:00+08:00'))
    .toEqual({ deadline: '2026-10-01T08:00:00.000Z', reminderAt: '2026-10-01T03:12:00.000Z' });
  for (const args of [
    ['--county', 'shouyang', '--category', 'nope', '--level', 'grid', '--at', '2026-09-30T16:00:00+08:00'],
    ['--county', 'shouyang', '--category', 'sanitation', '--level', 'county', '--at', '2026-09-30T16:00:00+08:00'],
    ['--county', 'shouyang', '--category', 'sanitation', '--level', 'grid', '--at', 'tomorrow'],
  ]) {
    await expect(deadlineCli(...args)).rejects.toThrow(/Command failed/);
  }
}, 60_000);
