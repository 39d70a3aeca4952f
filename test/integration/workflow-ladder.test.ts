/**
 * Issue 3's workflow end to end, over HTTP only: the local county runs the synthesized state machine on
 * DynamoDB Local, and second-long deadlines climb the ladder while the tests poll the incident.
 *
 * The county is testville plus one category, `slow` (PT6S at every level): the workflow waits in whole
 * seconds (a Step Functions task timeout), so it wakes up to a second after the moment it waits for, and
 * the 80 % mark of a 2 s deadline (1.6 s) usually rounds up to the deadline itself, where the escalation
 * wins. The 80 % mark of 6 s leaves the reminder more than that second before the deadline. The 4-level ladder is a second county (testville4), run as the real
 * `npm start` process next to this one. Frozen policy across a county file edit is proved in
 * crash-restart.test.ts, which restarts the runtime on the same data dir with an edited file anyway.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, startTestCounty, type TestCounty } from '../helpers/local-county.js';
import { spawnCounty, writeCountyCopy, type SpawnedCounty } from '../helpers/spawned-county.js';

interface Event { at: string; type: string; level: string; actor: string | null; note: string | null; reason: string | null }
interface Incident {
  id: string; status: string; level: string; deadline: string | null; overdue: boolean; version: number;
  resolution: { note: string; by: string; level: string; at: string } | null; timeline: Event[];
}

/** Seconds-long deadlines fire on a whole-second timer: at most ~1 s late, plus the machine's load. */
const LATE_MS = 2_500;
const SECOND = 1_000;

let t: TestCounty;
let four: SpawnedCounty;
let reporter: string, leader: string, northTown: string, southTown: string, city: string;

beforeAll(async () => {
  const config = writeCountyCopy('testville', (c) => {
    // 10 s a level: the 80 % reminder (8 s) leaves room for a first workflow stage started late on a loaded machine.
    c.categories.push({ id: 'slow', name: 'Slow matter', deadlines: { grid: 'PT10S', town: 'PT10S', city: 'PT10S' } });
  }, 'testville-ladder');
  const started = await Promise.allSettled([
    startTestCounty(config),
    spawnCounty({ configFile: join(FIXTURES, 'testville4.json'), dataDir: mkdtempSync(join(tmpdir(), 'gridflow-testville4-')) }),
  ] as const);
  if (started[0].status === 'fulfilled') t = started[0].value;
  if (started[1].status === 'fulfilled') four = started[1].value;
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  [reporter, leader, northTown, southTown, city] = await Promise.all([
    t.token('reporter', 'testville', 'resident-1'),
    t.token('grid', 'north-01', 'leader-north-01'),
    t.token('town', 'north', 'sup-north'),
    t.token('town', 'south', 'sup-south'),
    t.token('city', 'testcity', 'sup-city'),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([t?.stop(), four?.stop()]);
});

const report = async (category: string, title = 'Dispute over a wall'): Promise<Incident> => {
  const res = await t.call('POST', '/incidents', {
    token: reporter, body: { category, gridId: 'north-01', title, description: 'Two neighbours argue over a wall' },
  });
  expect(res.status).toBe(201);
  return res.body;
};
const act = (id: string, body: object, token: string) => t.call('POST', `/incidents/${id}/actions`, { token, body });
const get = async (id: string, token = reporter): Promise<Incident> => (await t.call('GET', `/incidents/${id}`, { token })).body;
const events = (i: Incident, type: string, reason?: string) => i.timeline.filter((e) => e.type === type && (reason === undefined || e.reason === reason));
const ms = (iso: string | null) => Date.parse(iso!);
/** Every visible change is one event and one version: reported+assigned is version 1. */
const expectVersionMatchesTimeline = (i: Incident) => expect(i.version).toBe(i.timeline.length - 1);

/** The escalation by deadline from `from`, fired at (not before) the deadline, with the new level's deadline from then. */
function expectDeadlineEscalation(e: Event | undefined, to: string, missed: string | null, nextDeadline: string | null, periodMs: number) {
  expect(e).toMatchObject({ type: 'escalated', level: to, reason: 'deadline', actor: null });
  expect(ms(e!.at)).toBeGreaterThanOrEqual(ms(missed));
  expect(ms(e!.at) - ms(missed)).toBeLessThan(LATE_MS);
  expect(ms(nextDeadline) - ms(e!.at)).toBe(periodMs);
}

test.concurrent('grid -> town -> city by deadline; at the top overdue, then exactly 3 reminders a period apart and never a 4th', async () => {
  const created = await report('conflict');
  expect(ms(created.deadline) - ms(created.timeline[0]!.at)).toBe(2 * SECOND);

  const atTown = await t.waitFor<Incident>(created.id, reporter, (i) => i.level === 'town');
  expectDeadlineEscalation(events(atTown, 'escalated')[0], 'town', created.deadline, atTown.deadline, 2 * SECOND);
  expect(atTown.status).toBe('open');
  expectVersionMatchesTimeline(atTown);

  const atCity = await t.waitFor<Incident>(created.id, reporter, (i) => i.level === 'city');
  expectDeadlineEscalation(events(atCity, 'escalated')[1], 'city', atTown.deadline, atCity.deadline, 2 * SECOND);
  expect(atCity.overdue).toBe(false);

  const overdue = await t.waitFor<Incident>(created.id, reporter, (i) => i.overdue);
  const marked = events(overdue, 'overdue');
  expect(marked).toHaveLength(1);
  expect(marked[0]).toMatchObject({ level: 'city', actor: null });
  expect(ms(marked[0]!.at)).toBeGreaterThanOrEqual(ms(atCity.deadline));
  expect(overdue).toMatchObject({ status: 'open', level: 'city', deadline: atCity.deadline });

  const reminded = await t.waitFor<Incident>(created.id, reporter, (i) => events(i, 'reminded', 'overdue').length >= 3, 20_000);
  const reminders = events(reminded, 'reminded', 'overdue');
  let due = ms(atCity.deadline);
  reminders.forEach((r, k) => {
    // Each reminder is due one city period after the previous one was due (the first: after the missed deadline);
    // one sent so late that the next was already due (a stalled machine) moves the next to one period after it.
    const regular = due + 2 * SECOND;
    due = k > 0 && regular <= ms(reminders[k - 1]!.at) ? ms(reminders[k - 1]!.at) + 2 * SECOND : regular;
    expect(r).toMatchObject({ level: 'city', actor: null });
    expect(ms(r.at)).toBeGreaterThanOrEqual(due);
    expect(ms(r.at) - due).toBeLessThan(LATE_MS);
  });

  // Past the 4th period (and its timer's rounding): still 3.
  const fourthDue = ms(atCity.deadline) + 4 * 2 * SECOND;
  await new Promise((r) => setTimeout(r, Math.max(0, fourthDue + LATE_MS - Date.now())));
  const later = await get(created.id);
  expect(events(later, 'reminded', 'overdue')).toHaveLength(3);
  expect(events(later, 'overdue')).toHaveLength(1);
  expect(events(later, 'escalated')).toHaveLength(2);
  expect(later.status).toBe('open');
  expectVersionMatchesTimeline(later);
  // Ends the workflow so it does not outlive the county.
  expect((await act(created.id, { action: 'resolve', note: 'Settled at last' }, city)).status).toBe(200);
}, 45_000);

test.concurrent('manual escalate: the grid leader to the town, the town to the city; the top cannot escalate', async () => {
  const created = await report('safety-hazard', 'Loose power line');
  const toTown = await act(created.id, { action: 'escalate', note: 'Needs the power company' }, leader);
  expect(toTown.status).toBe(200);
  expect(toTown.body).toMatchObject({ level: 'town', status: 'open', version: 2 });
  const up = events(toTown.body, 'escalated')[0]!;
  expect(up).toMatchObject({ level: 'town', reason: 'manual', actor: 'leader-north-01', note: 'Needs the power company' });
  expect(ms(toTown.body.deadline) - ms(up.at)).toBe(2 * 3600 * SECOND); // the town's own deadline, from now

  const toCity = await act(created.id, { action: 'escalate' }, northTown);
  expect(toCity.status).toBe(200);
  expect(toCity.body).toMatchObject({ level: 'city', version: 3 });
  const upAgain = events(toCity.body, 'escalated')[1]!;
  expect(upAgain).toMatchObject({ level: 'city', reason: 'manual', actor: 'sup-north' });
  expect(ms(toCity.body.deadline) - ms(upAgain.at)).toBe(4 * 3600 * SECOND);

  expect((await act(created.id, { action: 'escalate' }, city)).status).toBe(409);
  expect((await get(created.id)).timeline.map((e) => e.type)).toEqual(['reported', 'assigned', 'escalated', 'escalated']);
  expect((await act(created.id, { action: 'resolve', note: 'Line replaced' }, city)).status).toBe(200);
});

test.concurrent('the 80 % reminder reaches each level once, before its deadline', async () => {
  const created = await report('slow');
  const atCity = await t.waitFor<Incident>(created.id, reporter,
    (i) => i.level === 'city' && events(i, 'reminded', 'approaching').length === 3, 45_000);
  const entered = [atCity.timeline[1]!, ...events(atCity, 'escalated')]; // assigned, then each escalation
  expect(entered.map((e) => e.level)).toEqual(['grid', 'town', 'city']);
  const approaching = events(atCity, 'reminded', 'approaching');
  expect(approaching.map((r) => r.level)).toEqual(['grid', 'town', 'city']);
  approaching.forEach((r, k) => {
    const enteredAt = ms(entered[k]!.at);
    expect(r.actor).toBeNull();
    expect(ms(r.at)).toBeGreaterThanOrEqual(enteredAt + 8 * SECOND); // 80 % of PT10S
    expect(ms(r.at)).toBeLessThan(enteredAt + 10 * SECOND); // before the level's deadline
    // ... and the level still escalated at its own deadline afterwards.
    if (k < 2) expect(ms(entered[k + 1]!.at)).toBeGreaterThanOrEqual(enteredAt + 10 * SECOND);
  });
  expect(events(atCity, 'escalated').map((e) => e.reason)).toEqual(['deadline', 'deadline']);
  expect((await act(created.id, { action: 'resolve', note: 'Agreed on a fence' }, city)).status).toBe(200);
  // Once resolved, the city deadline passes without an overdue or another reminder.
  await new Promise((r) => setTimeout(r, Math.max(0, ms(atCity.deadline) + LATE_MS - Date.now())));
  const after = await get(created.id);
  expect(events(after, 'reminded')).toHaveLength(3);
  expect(events(after, 'overdue')).toHaveLength(0);
}, 60_000);

test.concurrent('resolved at town, the incident closes by itself when the verification window passes', async () => {
  const created = await report('safety-hazard', 'Blocked drain');
  expect((await act(created.id, { action: 'escalate' }, leader)).status).toBe(200);
  const resolved = await act(created.id, { action: 'resolve', note: 'Drain cleared by the town crew' }, northTown);
  expect(resolved.status).toBe(200);
  expect(resolved.body).toMatchObject({
    status: 'resolved', level: 'town', deadline: null,
    resolution: { level: 'town', by: 'sup-north', note: 'Drain cleared by the town crew' },
  });
  const closed = await t.waitFor<Incident>(created.id, reporter, (i) => i.status === 'closed');
  const close = events(closed, 'closed')[0]!;
  expect(close).toMatchObject({ reason: 'verification-window', actor: null, level: 'town' });
  expect(ms(close.at) - ms(resolved.body.resolution.at)).toBeGreaterThanOrEqual(3 * SECOND);
  expect(ms(close.at) - ms(resolved.body.resolution.at)).toBeLessThan(3 * SECOND + LATE_MS);
  expect(closed.timeline.map((e) => e.type)).toEqual(['reported', 'assigned', 'escalated', 'resolved', 'closed']);
  expectVersionMatchesTimeline(closed);
  expect((await act(created.id, { action: 'reopen', note: 'too late' }, reporter)).status).toBe(409);
});

test.concurrent('resolved at the city while overdue; reopen returns it to the city with a fresh deadline; resolved again', async () => {
  const created = await report('conflict');
  const overdue = await t.waitFor<Incident>(created.id, reporter, (i) => i.overdue);
  expect(overdue.level).toBe('city');

  const resolved = await act(created.id, { action: 'resolve', note: 'Mediated by the city' }, city);
  expect(resolved.status).toBe(200);
  expect(resolved.body).toMatchObject({ status: 'resolved', level: 'city', deadline: null, resolution: { level: 'city', by: 'sup-city' } });

  const reopened = await act(created.id, { action: 'reopen', note: 'They argue again' }, reporter);
  expect(reopened.status).toBe(200);
  const back = events(reopened.body, 'reopened')[0]!;
  expect(reopened.body).toMatchObject({ status: 'open', level: 'city', resolution: null, overdue: false });
  expect(back).toMatchObject({ level: 'city', actor: 'resident-1', note: 'They argue again' });
  expect(ms(reopened.body.deadline) - ms(back.at)).toBe(2 * SECOND); // the city's own period, from now

  // The workflow waits on the fresh deadline: it fires once more, and only after the reopen.
  const again = await t.waitFor<Incident>(created.id, reporter, (i) => i.overdue);
  const overdueEvents = events(again, 'overdue');
  expect(overdueEvents).toHaveLength(2);
  expect(ms(overdueEvents[1]!.at)).toBeGreaterThanOrEqual(ms(reopened.body.deadline));

  const resolvedAgain = await act(created.id, { action: 'resolve', note: 'Wall rebuilt on the line' }, city);
  expect(resolvedAgain.status).toBe(200);
  expect(resolvedAgain.body.resolution).toMatchObject({ level: 'city', note: 'Wall rebuilt on the line' });
  const verified = await act(created.id, { action: 'verify' }, reporter);
  expect(verified.status).toBe(200);
  expect(verified.body.status).toBe('closed');
  expect(events(verified.body, 'closed')[0]).toMatchObject({ reason: 'verified', actor: 'resident-1' });
  expectVersionMatchesTimeline(verified.body);
}, 30_000);

test.concurrent('a supervisor of another town gets 404; a grid leader acting at town level gets 403', async () => {
  const created = await report('safety-hazard', 'Fallen tree');
  expect((await t.call('GET', `/incidents/${created.id}`, { token: southTown })).status).toBe(404);
  for (const body of [{ action: 'acknowledge' }, { action: 'escalate' }, { action: 'resolve', note: 'not mine' }]) {
    expect((await act(created.id, body, southTown)).status).toBe(404);
  }
  expect((await act(created.id, { action: 'escalate' }, leader)).status).toBe(200);
  for (const body of [{ action: 'acknowledge' }, { action: 'escalate' }, { action: 'resolve', note: 'done' }, { action: 'comment', note: 'hm' }]) {
    const res = await act(created.id, body, leader);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  }
  // Refusals change nothing.
  const after = await get(created.id, northTown);
  expect(after).toMatchObject({ level: 'town', version: 2 });
  expect((await act(created.id, { action: 'acknowledge' }, northTown)).status).toBe(200);
  expect((await act(created.id, { action: 'resolve', note: 'Tree removed' }, northTown)).status).toBe(200);
});

test.concurrent('a 4-level ladder (testville4) climbs grid -> town -> county -> city by deadline', async () => {
  const resident = await four.token('reporter', 'testville4', 'resident-4');
  const res = await four.call('POST', '/incidents', {
    token: resident, body: { category: 'conflict', gridId: 'south-02', title: 'Noise at night', description: 'Music after midnight' },
  });
  expect(res.status).toBe(201);
  const created: Incident = res.body;
  const top = await four.waitFor<Incident>(created.id, resident, (i) => i.level === 'city', 20_000);
  const ups = events(top, 'escalated');
  expect(ups.map((e) => [e.level, e.reason])).toEqual([['town', 'deadline'], ['county', 'deadline'], ['city', 'deadline']]);
  // Each level waited its own 2 s from the moment it was reached.
  expect(ms(ups[0]!.at)).toBeGreaterThanOrEqual(ms(created.deadline));
  expect(ms(ups[1]!.at) - ms(ups[0]!.at)).toBeGreaterThanOrEqual(2 * SECOND);
  expect(ms(ups[2]!.at) - ms(ups[1]!.at)).toBeGreaterThanOrEqual(2 * SECOND);
  expect(ms(top.deadline) - ms(ups[2]!.at)).toBe(2 * SECOND);
  // Above the town, a town supervisor may no longer act; the city may.
  const southTown4 = await four.token('town', 'south', 'sup-south-4');
  expect((await four.call('POST', `/incidents/${created.id}/actions`, { token: southTown4, body: { action: 'acknowledge' } })).status).toBe(403);
  const city4 = await four.token('city', 'testcity', 'sup-city-4');
  expect((await four.call('POST', `/incidents/${created.id}/actions`, { token: city4, body: { action: 'resolve', note: 'Quiet now' } })).status).toBe(200);
}, 30_000);
