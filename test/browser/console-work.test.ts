/**
 * The console's work flows in a real Chromium against a real local county (Qingshui, zh-CN, Chinese names;
 * its "urgent" category leaves the grid after 3 s): sign in, report (a double click and a lost answer each
 * make one incident), the queue, acting on an incident with exactly its `allowedActions`, the resident's
 * verification, a notification's link to the town, a stale page's 409, and `#token=` links.
 * Each test works in a grid of its own so that no queue sees another test's incidents.
 */
import type { Page } from 'playwright-core';
import { mintToken } from '#local/tokens.js';
import { until } from '../helpers/county-client.js';
import { clickOrExplain, expectField, field, signIn, startConsoleWorld, type ConsoleWorld } from './support.js';

let w: ConsoleWorld;
beforeAll(async () => { w = await startConsoleWorld('qingshui'); }, 600_000);
afterAll(async () => { await w?.close(); });
afterEach(() => { expect(w.pageErrors.splice(0)).toEqual([]); });

const RESIDENT = { role: 'reporter', scope: 'qingshui', sub: 'resident-demo' } as const;
const residentToken = () => w.county.token(RESIDENT.role, RESIDENT.scope, RESIDENT.sub);

async function report(token: string, body: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const res = await w.county.call('POST', '/incidents', { token, body: { description: 'Reported by the test', ...body } });
  expect(res.status).toBe(201);
  return res.body;
}

/** The incident ids in a list on the page, in order. */
const listedIds = (page: Page, within = 'main') => page.locator(`${within} [data-incident-id]`).evaluateAll(
  (els) => els.map((e) => e.getAttribute('data-incident-id')),
);

/** Titles the API lists for a caller: counted at the source, not on the page. */
async function titlesInApi(token: string): Promise<string[]> {
  const res = await w.county.call('GET', '/incidents?limit=100', { token });
  expect(res.status).toBe(200);
  return res.body.items.map((i: { title: string }) => i.title);
}

it('a grid leader reports with a double click (one incident), finds it first in the queue, acknowledges and resolves it on the page', async () => {
  const leader = await w.county.token('grid', 'dongguan-01', 'dg-g1');
  // Already in the queue, with a later deadline (24 h) than the one reported below (4 h).
  await report(leader, { category: 'conflict', gridId: 'dongguan-01', title: 'A later deadline' });

  const page = await w.newPage();
  await signIn(page, w.consoleUrl, /^李强/);
  await page.getByRole('link', { name: 'Report an incident' }).click();
  expect(await page.getByLabel('Grid').inputValue()).toBe('dongguan-01'); // pre-filled for the grid leader
  await page.getByLabel('Category').selectOption('safety-hazard');
  await page.getByLabel('Title').fill('电线垂落 Loose cable over the path');
  await page.getByLabel('Description').fill('A power cable hangs over the path near the school.');
  await page.getByRole('button', { name: 'Report', exact: true }).dblclick();
  await page.waitForURL(/\/console\/incidents\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  await page.getByText('Reported.').waitFor();
  expect((await titlesInApi(leader)).filter((title) => title === '电线垂落 Loose cable over the path')).toHaveLength(1);

  await page.getByRole('link', { name: 'Queue', exact: true }).click();
  await page.locator('[data-incident-id]').nth(1).waitFor();
  expect((await listedIds(page))[0]).toBe(id);
  expect(await page.locator(`[data-incident-id="${id}"]`).innerText()).toMatch(/left/);

  await page.locator(`[data-incident-id="${id}"]`).getByRole('link').click();
  await expectField(page, 'status', 'open');
  expect(await field(page, 'level')).toBe('grid');
  const api = (await w.county.call('GET', `/incidents/${id}`, { token: leader })).body;
  expect(await field(page, 'deadline')).toBe(api.deadline);
  for (const action of api.allowedActions as string[]) {
    await page.getByRole('button', { name: new RegExp(`^${action.replace('-', ' ')}$`, 'i') }).waitFor();
  }

  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByText('Acknowledge: done.').waitFor();
  await page.getByRole('region', { name: 'Timeline' }).getByText('Acknowledged', { exact: true }).waitFor();
  expect(await page.getByRole('button', { name: 'Acknowledge', exact: true }).count()).toBe(0);

  await page.getByLabel('Note').fill('Tied the cable up and called the power company');
  await page.getByRole('button', { name: 'Resolve', exact: true }).click();
  await expectField(page, 'status', 'resolved');
  expect(await field(page, 'deadline')).toBe('');
  const stored = (await w.county.call('GET', `/incidents/${id}`, { token: leader })).body;
  expect(stored).toMatchObject({ status: 'resolved', resolution: { note: 'Tied the cable up and called the power company', by: 'dg-g1' } });
  expect(stored.timeline.map((e: { type: string }) => e.type)).toEqual(['reported', 'assigned', 'acknowledged', 'resolved']);
}, 180_000);

it('a report whose answer is lost on the way is sent again with the same Idempotency-Key: still one incident', async () => {
  const leader = await w.county.token('grid', 'dongguan-02', 'dg-g2');
  const page = await w.newPage();
  await signIn(page, w.consoleUrl, /^赵敏/);
  await page.getByRole('link', { name: 'Report an incident' }).click();
  const keys: string[] = [];
  let drop = true;
  await page.route('**/incidents', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    if (!drop) return route.continue();
    drop = false;
    await route.fetch(); // the county creates it...
    await route.abort('connectionreset'); // ...and the phone never hears back
  });
  await page.getByLabel('Category').selectOption('conflict');
  await page.getByLabel('Title').fill('Dispute over a courtyard wall');
  await page.getByLabel('Description').fill('Two neighbours argue over a collapsed wall');
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  await page.getByRole('alert').waitFor();
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  await page.waitForURL(/\/console\/incidents\/[0-9a-f-]{36}$/);
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);
  expect(await titlesInApi(leader)).toEqual(['Dispute over a courtyard wall']);
}, 120_000);

it('a grid worker reports with the phone\'s location, already resolved on the spot', async () => {
  const leader = await w.county.token('grid', 'xihe-01', 'xh-g1');
  const page = await w.newPage({ geolocation: { latitude: 37.8916123, longitude: 113.1769456 } });
  await signIn(page, w.consoleUrl, /^孙丽/);
  await page.getByRole('link', { name: 'Report an incident' }).click();
  await page.getByLabel('Category').selectOption('conflict');
  await page.getByLabel('Title').fill('Parking dispute settled');
  await page.getByLabel('Description').fill('Two drivers argued over a parking space.');
  await page.getByRole('button', { name: 'Use my location' }).click();
  await page.getByText('Location: 37.89161, 113.17695').waitFor();
  await page.getByLabel('Address').fill('西河村 村委会门口');
  await page.getByLabel('Resolved on the spot').check();
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  await page.getByText('Note is required.').waitFor(); // the settlement needs its note
  await page.getByLabel('Note').fill('Agreed to take turns');
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  await page.waitForURL(/\/console\/incidents\/[0-9a-f-]{36}$/);
  await expectField(page, 'status', 'resolved');
  const id = page.url().split('/').pop()!;
  expect((await w.county.call('GET', `/incidents/${id}`, { token: leader })).body).toMatchObject({
    status: 'resolved', resolvedOnSpot: true, resolution: { note: 'Agreed to take turns', level: 'grid' },
    location: { lat: 37.8916123, lng: 113.1769456, address: '西河村 村委会门口' },
  });
}, 120_000);

it('a resident finds its resolved incident first, awaiting its verification, and verifies it; it never sees Resolve or Escalate', async () => {
  const resident = await residentToken();
  const leader = await w.county.token('grid', 'xihe-01', 'xh-g1');
  const open = await report(resident, { category: 'conflict', gridId: 'xihe-01', title: 'Still open' });
  const done = await report(resident, { category: 'conflict', gridId: 'xihe-01', title: 'Settled by the grid leader' });
  const newest = await report(resident, { category: 'safety-hazard', gridId: 'xihe-01', title: 'Reported last' });
  await w.county.waitFor(done.id, leader, (i) => i.allowedActions.includes('resolve'));
  expect((await w.county.call('POST', `/incidents/${done.id}/actions`, { token: leader, body: { action: 'resolve', note: 'Talked them round' } })).status).toBe(200);

  const page = await w.newPage();
  await signIn(page, w.consoleUrl, /^演示居民/);
  const toVerify = page.getByRole('region', { name: 'Awaiting your verification' });
  await toVerify.locator('[data-incident-id]').first().waitFor();
  expect(await listedIds(page)).toEqual([done.id, newest.id, done.id, open.id]); // first the one to verify, then newest first

  await page.locator(`[data-incident-id="${open.id}"]`).first().getByRole('link').click();
  await expectField(page, 'status', 'open');
  await page.getByRole('region', { name: 'What you can do' }).waitFor();
  for (const name of ['Resolve', 'Escalate', 'Acknowledge', 'Reject']) expect(await page.getByRole('button', { name }).count()).toBe(0);

  await page.goto(`${w.consoleUrl}/incidents/${done.id}?lang=en`);
  await expectField(page, 'status', 'resolved');
  for (const name of ['Resolve', 'Escalate']) expect(await page.getByRole('button', { name }).count()).toBe(0);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectField(page, 'status', 'closed');
  const closed = (await w.county.call('GET', `/incidents/${done.id}`, { token: resident })).body;
  expect(closed.timeline.at(-1)).toMatchObject({ type: 'closed', reason: 'verified', actor: 'resident-demo' });
}, 180_000);

it('the link of an escalation message opens the incident for the town supervisor, who acts on it; a stale page gets a plain 409', async () => {
  const resident = await residentToken();
  const incident = await report(resident, { category: 'urgent', gridId: 'nanjie-01', title: '排水沟堵塞 Blocked drain' });
  const message = await until('the escalation message to the town', () => w.county.notifications()
    .find((n) => n.attributes.incidentId === incident.id && n.attributes.event === 'escalated' && n.attributes.level === 'town'), 30_000);
  const link = /https?:\/\/\S+\/incidents\/[0-9a-f-]{36}/.exec(message.message)?.[0];
  expect(link).toBe(`${w.consoleUrl}/incidents/${incident.id}`);

  const page = await w.newPage(); // nobody signed in yet: the link goes through the sign-in and back
  await page.goto(`${link!}?lang=en`);
  await page.waitForURL(/\/console\/sign-in\?next=/);
  await page.getByRole('button', { name: /^王芳/ }).click();
  await page.waitForURL(`${w.consoleUrl}/incidents/${incident.id}?lang=en`);
  await expectField(page, 'level', 'town');
  expect(await field(page, 'status')).toBe('open');
  await page.getByRole('region', { name: 'Timeline' }).getByText(/^Escalated/).waitFor();

  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByText('Acknowledge: done.').waitFor();

  // Someone else changes it while this page shows the previous version.
  const county = await w.county.token('county', 'qingshui', 'qs-1');
  expect((await w.county.call('POST', `/incidents/${incident.id}/actions`, { token: county, body: { action: 'comment', note: 'The county is sending a truck' } })).status).toBe(200);
  await page.getByLabel('Note').fill('Cleared by the town team');
  await clickOrExplain(page, page.getByRole('button', { name: 'Resolve', exact: true }));
  await page.getByText('Someone else changed this incident meanwhile').waitFor();
  await page.getByText('The county is sending a truck').waitFor(); // the new state is on screen
  expect(await field(page, 'status')).toBe('open');
  await page.getByLabel('Note').fill('Cleared by the town team');
  // Once (at load, CI of 245c38f) no button named "Resolve" came here in 20 s: if it happens again, say what was there.
  await clickOrExplain(page, page.getByRole('button', { name: 'Resolve', exact: true }));
  await expectField(page, 'status', 'resolved');
}, 180_000);

it('an incident past its deadline at the top is first in the county\'s queue and impossible to miss', async () => {
  const neighbour = await w.county.token('reporter', 'qingshui', 'resident-2');
  const county = await w.county.token('county', 'qingshui', 'qs-1');
  const late = await report(neighbour, { category: 'drill', gridId: 'nanjie-01', title: 'Nobody acted on this drill' });
  await w.county.waitFor(late.id, county, (i) => i.overdue === true, 30_000);

  const page = await w.newPage();
  await signIn(page, w.consoleUrl, /^吴秀兰/);
  const item = page.locator(`[data-incident-id="${late.id}"]`);
  await item.waitFor();
  expect((await listedIds(page))[0]).toBe(late.id);
  expect(await item.getAttribute('class')).toContain('overdue');
  expect(await item.innerText()).toMatch(/Overdue/);
  const colour = await item.locator('.deadline').evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color);
  expect(colour).toBe('rgb(196, 29, 29)');
  await item.getByRole('link').click();
  await expectField(page, 'level', 'city');
  await page.locator('main').getByText('Overdue', { exact: true }).first().waitFor();
}, 120_000);

describe('a #token= link', () => {
  const errorOf = async (page: Page) => (await page.getByRole('alert').innerText()).trim();

  it('signs in with the token and takes it out of the address at once', async () => {
    const token = await w.county.token('town', 'xihe', 'xh-1');
    const page = await w.newPage();
    await page.goto(`${w.consoleUrl}/?lang=en#token=${token}`);
    await page.getByRole('heading', { name: 'My queue' }).waitFor();
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('');
    await page.getByText('Xihe Township').first().waitFor();
  });

  it('an expired one shows the sign-in page with a plain error', async () => {
    const token = await mintToken(w.county.dataDir, { role: 'town', scope: 'xihe', sub: 'xh-1' }, { expiresIn: '-1h' });
    const page = await w.newPage();
    await page.goto(`${w.consoleUrl}/?lang=en#token=${token}`);
    await page.waitForURL(/\/sign-in/);
    expect(await errorOf(page)).toBe('The sign-in link has expired. Sign in again.');
    expect(page.url()).not.toContain('token');
  });

  it('a malformed one, or one the API refuses (not signed by this county), shows the sign-in page with a plain error', async () => {
    const valid = await w.county.token('town', 'xihe', 'xh-1');
    const [head, payload] = valid.split('.');
    const forged = `${head}.${payload}.${'A'.repeat(86)}`;
    for (const token of ['not-a-token', forged]) {
      const page = await w.newPage();
      await page.goto(`${w.consoleUrl}/?lang=en#token=${token}`);
      await page.waitForURL(/\/sign-in/);
      expect(await errorOf(page)).toBe('The sign-in link is not valid. Sign in again.');
    }
  });
});
