/**
 * What the workflow publishes (contract §5), read where the local county writes it: notifications.jsonl,
 * and the config webhooks. The English county is testville with two webhooks pointing at a server this
 * test runs on 127.0.0.1; the zh-CN county is a copy of testville with Chinese names and locale, run as
 * the real `npm start` process next to it (one county per process).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';
import { expectedNotificationIds as expectedIds, until } from '../helpers/county-client.js';
import { spawnCounty, writeCountyCopy, type NotificationLine, type SpawnedCounty } from '../helpers/spawned-county.js';

interface Event { at: string; type: string; level: string; reason: string | null }
interface Incident { id: string; level: string; status: string; deadline: string | null; overdue: boolean; timeline: Event[] }

const NAME = 'Wang Fang';
const PHONE = '13912345678';
const ATTRIBUTES = ['event', 'level', 'countyId', 'townId', 'communityId', 'gridId', 'category', 'incidentId'];

let t: TestCounty;
let zh: SpawnedCounty;
let hooks: Server;
const received: { path: string; body: NotificationLine }[] = [];

beforeAll(async () => {
  hooks = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => { text += c.toString('utf8'); });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as NotificationLine });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => hooks.listen(0, '127.0.0.1', ok));
  const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  const hooked = writeCountyCopy('testville', (c) => {
    c.webhooks = [
      { level: 'town', url: `${hookUrl}/north-town`, filter: { townId: ['north'] } },
      { level: 'city', url: `${hookUrl}/city-hazards`, filter: { category: ['safety-hazard'] } },
    ];
  }, 'testville-hooks');
  // Names in both languages, as the demo counties give them: a zh-CN county's messages read the zh-CN ones.
  const chinese = writeCountyCopy('testville', (c) => {
    c.locale = 'zh-CN';
    c.name = { 'zh-CN': '测试县', en: 'Testville County' };
    c.towns[0].name = { 'zh-CN': '北镇', en: 'North Town' };
    c.towns[0].communities[0].name = { 'zh-CN': '北村', en: 'North Village' };
    c.towns[0].communities[0].grids[0].name = { 'zh-CN': '北一网格', en: 'North Grid 1' };
    c.categories[0].name = { 'zh-CN': '邻里纠纷', en: 'Neighbour conflict' };
  }, 'testville-zh');
  const started = await Promise.allSettled([
    startTestCounty(hooked),
    spawnCounty({ configFile: chinese, dataDir: mkdtempSync(join(tmpdir(), 'gridflow-testville-zh-')) }),
  ] as const);
  if (started[0].status === 'fulfilled') t = started[0].value;
  if (started[1].status === 'fulfilled') zh = started[1].value;
  for (const s of started) if (s.status === 'rejected') throw s.reason;
}, 120_000);
afterAll(async () => {
  await Promise.all([t?.stop(), zh?.stop()]);
  await new Promise((ok) => hooks?.close(ok));
});

// ------------------------------------------------------------------------------------------------------
// Expectations derived independently of functions/domain: Beijing time is UTC+8 all year.

const pad = (n: number) => String(n).padStart(2, '0');
function beijing(iso: string) {
  const d = new Date(Date.parse(iso) + 8 * 3_600_000);
  return { y: d.getUTCFullYear(), mo: pad(d.getUTCMonth() + 1), d: pad(d.getUTCDate()), h: pad(d.getUTCHours()), mi: pad(d.getUTCMinutes()) };
}
const enTime = (iso: string) => { const b = beijing(iso); return `${b.mo}/${b.d}/${b.y}, ${b.h}:${b.mi} GMT+8`; };
const zhTime = (iso: string) => { const b = beijing(iso); return `${b.y}/${b.mo}/${b.d} GMT+8 ${b.h}:${b.mi}`; };
const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

const of = (lines: NotificationLine[], incidentId: string) => lines.filter((l) => l.attributes.incidentId === incidentId);
const idsOf = (lines: NotificationLine[]) => lines.map((l) => l.attributes.notificationId!).sort();


function expectNoRepeats(lines: NotificationLine[]) {
  const ids = lines.map((l) => l.attributes.notificationId);
  expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
}

test.concurrent('a climb to the top and its end: every message, its attributes, its English text; nothing personal above the grid', async () => {
  const [reporter, city] = await Promise.all([t.token('reporter', 'testville', 'resident-7'), t.token('city', 'testcity', 'sup-city')]);
  const title = 'Dispute over a wall';
  const created: Incident = (await t.call('POST', '/incidents', {
    token: reporter,
    body: { category: 'conflict', gridId: 'north-01', title, description: 'Two neighbours argue', reporter: { name: NAME, phone: PHONE } },
  })).body;
  await t.waitFor<Incident>(created.id, reporter, (i) => i.timeline.some((e) => e.type === 'reminded' && e.reason === 'overdue'), 20_000);
  expect((await t.call('POST', `/incidents/${created.id}/actions`, { token: city, body: { action: 'resolve', note: 'Mediated' } })).status).toBe(200);
  const closed = await t.waitFor<Incident>(created.id, reporter, (i) => i.status === 'closed');
  // The record is written before its messages are published: wait for the last one.
  const lines = await until('the closed message', () => {
    const mine = of(t.notifications(), created.id);
    return mine.some((l) => l.attributes.event === 'closed') && mine;
  });

  // Exactly the messages the timeline owes, each once.
  expect(idsOf(lines)).toEqual(expectedIds(closed));
  expectNoRepeats(t.notifications());
  // Counted at the source: the SNS endpoint saw each Publish once (the sink behind it would hide a repeat).
  const published = t.county.publishes().filter((p) => p.attributes.incidentId === created.id).map((p) => p.attributes.notificationId!);
  expect(published.sort()).toEqual(expectedIds(closed));

  // The link opens the incident in the console (contract §9), on the local county's port.
  const url = `http://localhost:${new URL(t.url).port}/console/incidents/${created.id}`;
  for (const line of lines) {
    const a = line.attributes;
    for (const name of ATTRIBUTES) expect(typeof a[name]).toBe('string');
    expect(a).toMatchObject({ countyId: 'testville', townId: 'north', communityId: 'north-village', gridId: 'north-01', category: 'conflict', incidentId: created.id });
    expect(line.level).toBe(a.level);
    expect(line.topic).toMatch(new RegExp(`-${a.level}$`));
    expect(line.message).toContain(`: ${title}`);
    expect(line.message).toContain('Category: Neighbour conflict');
    expect(line.message).toContain('Place: North Grid 1, North Village, North Town, Testville County');
    expect(line.message).toContain(`Details: ${url}`);
    if (a.level !== 'grid') {
      // The reporter's name and phone stay at the grid.
      expect(`${line.subject}\n${line.message}`).not.toContain(PHONE);
      expect(`${line.subject}\n${line.message}`).not.toContain(NAME);
    }
  }
  const byEvent = (event: string, level: string) => lines.filter((l) => l.attributes.event === event && l.attributes.level === level);

  const [assigned] = byEvent('assigned', 'grid');
  expect(assigned!.message.split('\n')).toEqual([
    `New incident assigned to the grid: ${title}`,
    'Category: Neighbour conflict',
    'Place: North Grid 1, North Village, North Town, Testville County',
    'Level: grid',
    `Deadline: ${enTime(created.deadline!)}`,
    `Reporter: ${NAME} ${PHONE}`,
    `Details: ${url}`,
  ]);

  // Escalation tells the level that missed the deadline and the level that receives it, with its deadline.
  const ups = closed.timeline.filter((e) => e.type === 'escalated');
  expect(byEvent('escalated', 'grid').map((l) => l.message.split('\n')[0])).toEqual([`Incident passed on from the grid to the town (deadline missed): ${title}`]);
  const toTown = byEvent('escalated', 'town');
  expect(toTown.map((l) => l.message.split('\n')[0])).toEqual([
    `Incident escalated after a missed deadline to the town: ${title}`,
    `Incident passed on from the town to the city (deadline missed): ${title}`,
  ]);
  expect(toTown[0]!.message).toContain(`Level: town\nDeadline: ${enTime(plus(ups[0]!.at, 2))}`);
  const [toCity] = byEvent('escalated', 'city');
  expect(toCity!.message).toContain(`Level: city\nDeadline: ${enTime(plus(ups[1]!.at, 2))}`);
  expect(toCity!.attributes.reason).toBe('deadline');

  const [overdue] = byEvent('overdue', 'city');
  expect(overdue!.message.split('\n')[0]).toBe(`Incident overdue at the city: ${title}`);
  expect(overdue!.message).toContain(`Deadline: ${enTime(plus(ups[1]!.at, 2))}`);
  const reminders = byEvent('reminded', 'city').filter((l) => l.attributes.reason === 'overdue');
  expect(reminders.length).toBeGreaterThanOrEqual(1);
  expect(reminders[0]!.message.split('\n')[0]).toBe(`Reminder: incident overdue at the city: ${title}`);

  // Resolution and closing tell the reporter's grid, and only the grid.
  expect(lines.filter((l) => ['resolved', 'closed'].includes(l.attributes.event!)).map((l) => [l.attributes.event, l.level])).toEqual([['resolved', 'grid'], ['closed', 'grid']]);
  expect(byEvent('resolved', 'grid')[0]!.message).toContain('Note: Mediated');
  expect(byEvent('closed', 'grid')[0]!.attributes.reason).toBe('verification-window');
}, 40_000);

test.concurrent('zh-CN county: Chinese text, Beijing time, the reporter for the grid only', async () => {
  const reporter = await zh.token('reporter', 'testville', 'resident-zh');
  const title = '邻居因院墙争吵';
  const created: Incident = (await zh.call('POST', '/incidents', {
    token: reporter,
    body: { category: 'conflict', gridId: 'north-01', title, description: '院墙越界', reporter: { name: '王芳', phone: PHONE } },
  })).body;
  const atTown = await zh.waitFor<Incident>(created.id, reporter, (i) => i.level === 'town');
  const up = atTown.timeline.find((e) => e.type === 'escalated')!;
  const lines = await until('the escalation messages', () => {
    const mine = of(zh.notifications(), created.id);
    return mine.filter((l) => l.attributes.event === 'escalated').length === 2 && mine;
  });
  const url = `http://localhost:${new URL(zh.url).port}/console/incidents/${created.id}`;
  const one = (event: string, level: string) => lines.find((l) => l.attributes.event === event && l.level === level)!.message.split('\n');
  expect(one('assigned', 'grid')).toEqual([
    `新事件已交网格办理：${title}`,
    '类别：邻里纠纷',
    '地点：测试县北镇北村北一网格',
    '层级：网格',
    `办理期限：${zhTime(created.deadline!)}`,
    `报告人：王芳 ${PHONE}`,
    `详情：${url}`,
  ]);
  expect(one('escalated', 'grid')[0]).toBe(`事件已由网格超时升级至乡镇（街道）：${title}`);
  expect(one('escalated', 'town')).toEqual([
    `事件已超时升级至乡镇（街道）：${title}`,
    '类别：邻里纠纷',
    '地点：测试县北镇北村北一网格',
    '层级：乡镇（街道）',
    `办理期限：${zhTime(plus(up.at, 2))}`,
    `详情：${url}`,
  ]);
  for (const l of lines.filter((x) => x.level !== 'grid')) {
    expect(l.message).not.toContain(PHONE);
    expect(l.message).not.toContain('王芳');
  }
  expectNoRepeats(zh.notifications());
}, 30_000);

test.concurrent('webhooks receive the messages of their level that match their filter, and no others', async () => {
  const [north, south, south2, southTown] = await Promise.all([
    t.token('grid', 'north-02', 'leader-north-02'), t.token('grid', 'south-01', 'leader-south-01'),
    t.token('grid', 'south-02', 'leader-south-02'), t.token('town', 'south', 'sup-south'),
  ]);
  const report = async (token: string, gridId: string, category: string) => (await t.call('POST', '/incidents', {
    token, body: { category, gridId, title: `${category} in ${gridId}`, description: 'for the webhooks' },
  })).body as Incident;
  const [n, s, h] = await Promise.all([report(north, 'north-02', 'conflict'), report(south, 'south-01', 'conflict'), report(south2, 'south-02', 'safety-hazard')]);
  // The hazard goes to the city by hand (its deadlines are hours long); the conflicts by deadline.
  expect((await t.call('POST', `/incidents/${h.id}/actions`, { token: south2, body: { action: 'escalate' } })).status).toBe(200);
  expect((await t.call('POST', `/incidents/${h.id}/actions`, { token: southTown, body: { action: 'escalate' } })).status).toBe(200);
  await Promise.all([
    t.waitFor<Incident>(n.id, north, (i) => i.level === 'city'),
    t.waitFor<Incident>(s.id, south, (i) => i.level === 'city'),
  ]);

  const matching = (id: string, level: string) => of(t.notifications(), id).filter((l) => l.level === level);
  const got = (path: string, id: string) => received.filter((r) => r.path === path && r.body.attributes.incidentId === id).map((r) => r.body);
  // Both town messages of the north incident (it reached the town, then passed it on), and the hazard's city message.
  await until('the webhook deliveries', () =>
    matching(n.id, 'town').filter((l) => l.attributes.event === 'escalated').length === 2
    && matching(h.id, 'city').length === 1
    && got('/north-town', n.id).length === matching(n.id, 'town').length
    && got('/city-hazards', h.id).length === 1);

  expect(idsOf(got('/north-town', n.id))).toEqual(idsOf(matching(n.id, 'town')));
  expect(got('/north-town', n.id)[0]).toEqual(matching(n.id, 'town').find((l) => l.attributes.notificationId === got('/north-town', n.id)[0]!.attributes.notificationId));
  expect(idsOf(got('/city-hazards', h.id))).toEqual(idsOf(matching(h.id, 'city')));
  // The south conflict matches neither hook, at any level; the north one never reaches the hazard hook.
  expect(received.filter((r) => r.body.attributes.incidentId === s.id)).toEqual([]);
  expect(got('/city-hazards', n.id)).toEqual([]);
  // Everything any hook received matched its level and filter.
  for (const r of received) {
    if (r.path === '/north-town') expect(r.body).toMatchObject({ level: 'town', attributes: { townId: 'north', level: 'town' } });
    else {
      expect(r.path).toBe('/city-hazards');
      expect(r.body).toMatchObject({ level: 'city', attributes: { category: 'safety-hazard', level: 'city' } });
    }
  }
  expectNoRepeats(t.notifications());
}, 30_000);
