/**
 * Every page of the console in a real Chromium, at phone and desktop size, in both languages: what it
 * transfers on first load, axe-core, nothing scrolling sideways, the county's time zone, paging and filters,
 * the CSV export read back as Excel would, and the dashboard's charts. One local county (Qingshui, zh-CN)
 * holding 110 incidents, so lists and the export span several pages.
 */
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { until } from '../helpers/county-client.js';
import {
  DESKTOP, PHONE, expectField, seriousViolations, sidewaysOverflow, signIn, smallTouchTargets, startConsoleWorld, type ConsoleWorld,
} from './support.js';

let w: ConsoleWorld;
let seeded: { id: string; title: string; townId: string; category: string }[] = [];
const TRICKY = '井盖丢失，"小心" 行人\n第二行, with a comma; =SUM(A1)';

beforeAll(async () => {
  w = await startConsoleWorld('qingshui');
  const resident = await w.county.token('reporter', 'qingshui', 'resident-demo');
  const grids = [['dongguan-01', 'dongguan'], ['dongguan-02', 'dongguan'], ['nanjie-01', 'dongguan'], ['xihe-01', 'xihe']] as const;
  const categories = ['safety-hazard', 'conflict'];
  const bodies = Array.from({ length: 110 }, (_, n) => ({
    category: categories[n % 2]!, gridId: grids[n % 4]![0], townId: grids[n % 4]![1],
    title: n === 0 ? '井盖丢失 Missing manhole cover' : n === 1 ? '=1+1 不是公式' : `事件 ${String(n).padStart(3, '0')}`,
    description: n === 0 ? TRICKY : `第 ${n} 件`,
  }));
  for (let i = 0; i < bodies.length; i += 10) {
    const batch = await Promise.all(bodies.slice(i, i + 10).map(async ({ townId, ...body }) => {
      const res = await w.county.call('POST', '/incidents', { token: resident, body });
      if (res.status !== 201) throw new Error(`seeding: ${res.status} ${res.text}`);
      return { id: res.body.id as string, title: body.title, townId, category: body.category };
    }));
    seeded.push(...batch);
  }
}, 600_000);
afterAll(async () => { await w?.close(); });
afterEach(() => { expect(w.pageErrors.splice(0)).toEqual([]); });

const COUNTY_SUPERVISOR = /^吴秀兰/;

/** Sums what the network carried (compressed bodies and headers) while `run` loads a page in a fresh context. */
async function transferred(page: Page, run: () => Promise<void>): Promise<{ bytes: number; requests: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => { bytes += e.encodedDataLength; requests += 1; });
  await run();
  await cdp.detach();
  return { bytes, requests };
}

it('the first load of the queue on a phone transfers well under 300 KiB', async () => {
  const token = await w.county.token('town', 'dongguan', 'dg-1');
  const page = await w.newPage({ viewport: PHONE });
  const { bytes, requests } = await transferred(page, async () => {
    await page.goto(`${w.consoleUrl}/#token=${token}`);
    await page.locator('[data-incident-id]').first().waitFor();
    await page.waitForLoadState('networkidle');
  });
  process.stdout.write(`console: first load of the queue transferred ${(bytes / 1024).toFixed(1)} KiB in ${requests} requests\n`);
  expect(bytes).toBeLessThan(300 * 1024);
  // React's production build, and the dashboard's charts are not part of it.
  const scripts = await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType(t: string): { name: string }[] } })
    .performance.getEntriesByType('resource').map((r) => r.name));
  expect(scripts.filter((s) => /Dashboard|dev-runtime/.test(s))).toEqual([]);
}, 120_000);

it('speaks the county\'s language (zh-CN) by default and English with ?lang=en; times are the county\'s whatever the phone\'s zone', async () => {
  const page = await w.newPage({ lang: 'en-US' });
  await signIn(page, w.consoleUrl, COUNTY_SUPERVISOR, { lang: 'zh-CN' });
  await page.getByRole('heading', { name: '我的待办' }).waitFor();
  expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
  await page.getByRole('button', { name: /English/ }).click();
  await page.getByRole('heading', { name: 'My queue' }).waitFor();
  expect(await page.getAttribute('html', 'lang')).toBe('en');
  expect(page.url()).toContain('lang=en');

  const first = seeded[0]!;
  await page.goto(`${w.consoleUrl}/incidents/${first.id}?lang=zh-CN`);
  await expectField(page, 'status', 'open');
  const deadline = (await page.locator('[data-field="deadline"]').getAttribute('data-value'))!;
  const shanghai = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(deadline));
  expect(await page.locator('[data-field="deadline"]').innerText()).toContain(shanghai);
  await page.getByRole('heading', { name: '处置记录' }).waitFor();
  await page.getByText('东关镇 · 东关村 · 第一网格').waitFor();
}, 120_000);

it('pages the queue by the API\'s cursor and filters it as §4 does', async () => {
  const page = await w.newPage({ viewport: DESKTOP });
  await signIn(page, w.consoleUrl, COUNTY_SUPERVISOR);
  const ids = () => page.locator('main [data-incident-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-incident-id')));
  await page.locator('[data-incident-id]').nth(19).waitFor();
  const pageOne = await ids();
  expect(pageOne).toHaveLength(20);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText('Page 2', { exact: true }).waitFor();
  await page.waitForFunction((before) => {
    const first = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null } | null } })
      .document.querySelector('main [data-incident-id]');
    return first !== null && first.getAttribute('data-incident-id') !== before;
  }, pageOne[0]);
  const pageTwo = await ids();
  expect(pageTwo).toHaveLength(20);
  expect(pageTwo.filter((id) => pageOne.includes(id))).toEqual([]);
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByText('Page 1', { exact: true }).waitFor();

  await page.getByLabel('Town').selectOption('xihe');
  await page.getByLabel('Category').selectOption('conflict');
  expect(page.url()).toMatch(/townId=xihe/);
  const expected = seeded.filter((s) => s.townId === 'xihe' && s.category === 'conflict').map((s) => s.id);
  expect(expected.length).toBeGreaterThan(20);
  // The filtered list replaces the unfiltered one: its first page holds only matching incidents.
  await until('the filtered list', async () => {
    const shown = await ids();
    return shown.length === 20 && shown.every((id) => expected.includes(id!));
  });
}, 120_000);

/** RFC 4180 as Excel writes and reads it: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

it('exports every incident matching the filters, past one API page, as CSV that Excel opens with Chinese intact (UTF-8, BOM)', async () => {
  const page = await w.newPage({ viewport: DESKTOP });
  await signIn(page, w.consoleUrl, COUNTY_SUPERVISOR, { lang: 'zh-CN' });
  await page.locator('[data-incident-id]').first().waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^qingshui-incidents-\d{4}-\d{2}-\d{2}\.csv$/);
  const bytes = readFileSync((await download.path())!);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3));
  const [head, ...rows] = parseCsv(text);
  expect(head).toEqual(['编号', '标题', '类别', '乡镇', '村（社区）', '网格', '状态', '层级', '办理期限', '超期', '上报时间', '更新时间', '上报人', '描述']);
  // The queue's filter (open incidents): all 110, more than the API's page of 100.
  expect(rows.map((r) => r[0]).sort()).toEqual(seeded.map((s) => s.id).sort());
  const tricky = rows.find((r) => r[0] === seeded[0]!.id)!;
  expect(tricky.slice(1, 8)).toEqual(['井盖丢失 Missing manhole cover', '安全隐患', '东关镇', '东关村', '第一网格', '办理中', '网格']);
  expect(tricky[13]).toBe(TRICKY); // whole: commas, quotes and the line break
  expect(rows.find((r) => r[0] === seeded[1]!.id)![1]).toBe("'=1+1 不是公式"); // never a formula in Excel
}, 120_000);

/** A day of the county's calendar (Asia/Shanghai), `days` after today's. */
function shanghaiDay(days = 0): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + days * 86_400_000));
}
const shanghaiMidnight = (day: string) => new Date(`${day}T00:00:00+08:00`).toISOString();

interface StatsAnswer {
  total: number; resolvedOnSpot: number; onTimeRate: number | null; overdueOpen: number; byCategory: Record<string, number>;
  groups: { name: string; total: number; resolvedOnSpot: number; onTimeRate: number | null; overdueOpen: number }[];
  series: { date: string; reported: number; resolved: number; escalated: number; closed: number }[];
}

/** The dashboard's figures and each chart's table (the same figures the chart draws), as a reader sees them. */
async function shownDashboard(page: Page): Promise<{ figures: Record<string, string>; tables: Record<string, string[][]> }> {
  const closed = page.locator('[data-chart] ~ details:not([open]) summary');
  while (await closed.count() > 0) await closed.first().click();
  return page.evaluate(() => {
    interface El { getAttribute(a: string): string | null; innerText: string; querySelector(s: string): El | null; querySelectorAll(s: string): El[] }
    const d = (globalThis as unknown as { document: El }).document;
    const figures = Object.fromEntries([...d.querySelectorAll('[data-figure]')].map((f) => [f.getAttribute('data-figure'), f.querySelector('.value')!.innerText]));
    const tables = Object.fromEntries([...d.querySelectorAll('[data-chart]')].map((c) => {
      const section = c.getAttribute('data-chart')!;
      const rows = [...d.querySelectorAll(`section:has([data-chart="${section}"]) tbody tr`)].map((r) => [...r.querySelectorAll('th, td')].map((x) => x.innerText.trim()));
      return [section, rows];
    }));
    return { figures, tables };
  });
}

/** What the dashboard must show for an answer of the API (en: rates to one decimal, "—" when nothing was resolved). */
function expectedDashboard(s: StatsAnswer, categoryName: (id: string) => string) {
  const rate = (r: number | null) => (r === null ? '—' : `${Math.round(r * 1000) / 10} %`);
  return {
    figures: { total: String(s.total), resolvedOnSpot: String(s.resolvedOnSpot), onTimeRate: rate(s.onTimeRate), overdueOpen: String(s.overdueOpen) },
    tables: {
      'by-day': s.series.map((d) => [d.date, String(d.reported), String(d.resolved), String(d.escalated), String(d.closed)]),
      rates: s.groups.map((g) => [g.name, rate(g.onTimeRate), g.total > 0 ? rate(g.resolvedOnSpot / g.total) : '—']),
      overdue: s.groups.map((g) => [g.name, String(g.overdueOpen)]),
      categories: Object.entries(s.byCategory).map(([id, n]) => [categoryName(id), String(n)]),
    },
  };
}

it('the dashboard shows what /stats answers for the chosen period: figures, by day, by town or grid, by category', async () => {
  const { call, token } = w.county;
  const resident = await token('reporter', 'qingshui', 'resident-demo');
  const leader = await token('grid', 'dongguan-01', 'dg-g1');
  const county = await token('county', 'qingshui', 'qs-1');
  const act = async (t: string, id: string, body: object) => {
    const res = await call('POST', `/incidents/${id}/actions`, { token: t, body });
    if (res.status !== 200) throw new Error(`${JSON.stringify(body)}: ${res.status} ${res.text}`);
  };
  // Something in every figure: resolutions (one verified, so closed), one on the spot, one escalated by hand,
  // and a drill that runs past every deadline (escalated twice, overdue at the top).
  const [a, b, c] = seeded.filter((_, n) => n % 4 === 0).slice(1, 4).map((s) => s.id) as [string, string, string]; // dongguan-01's
  await act(leader, a, { action: 'resolve', note: '已处理' });
  await act(leader, b, { action: 'resolve', note: '已处理' });
  await act(leader, c, { action: 'escalate', note: '需要镇里协调' });
  const onSpot = await call('POST', '/incidents', { token: leader, body: { category: 'safety-hazard', gridId: 'dongguan-01', title: '现场处理', description: '已处理', resolvedOnSpot: { note: '当场修好' } } });
  const drill = await call('POST', '/incidents', { token: resident, body: { category: 'drill', gridId: 'xihe-01', title: '演练', description: '无人处理' } });
  expect([onSpot.status, drill.status]).toEqual([201, 201]);
  await w.county.waitFor(a, resident, (i) => i.status === 'resolved', 30_000);
  await act(resident, a, { action: 'verify' });

  const today = shanghaiDay();
  const query = (from: string, groupBy: string) => `/stats?from=${shanghaiMidnight(from)}&to=${shanghaiMidnight(today)}&groupBy=${groupBy}&series=day`;
  const stats = async (from: string, groupBy: string) => (await call('GET', query(from, groupBy), { token: county, headers: { 'accept-language': 'en' } })).body as StatsAnswer;
  // The counters follow each change within moments: wait until the API's answer holds all of it and stays.
  let last = '';
  await until('the counters settled', async () => {
    const s = await stats(shanghaiDay(-29), 'town');
    const day = s.series.at(-1)!;
    const settled = s.overdueOpen === 1 && s.resolvedOnSpot === 1 && day.closed === 1 && day.escalated === 3 && JSON.stringify(s) === last;
    last = JSON.stringify(s);
    return settled;
  }, 60_000);

  const fixture = JSON.parse(readFileSync(new URL('../fixtures/counties/qingshui.json', import.meta.url), 'utf8')) as { categories: { id: string; name: { en: string } }[] };
  const categoryName = (id: string) => fixture.categories.find((x) => x.id === id)!.name.en;

  // The default: the last 30 days of the county's calendar, by town.
  const page = await w.newPage({ viewport: DESKTOP });
  await signIn(page, w.consoleUrl, COUNTY_SUPERVISOR);
  const firstRequest = page.waitForRequest((r) => r.url().includes('/stats?'));
  await page.getByRole('link', { name: 'Dashboard' }).click();
  const asked = new URL((await firstRequest).url()).searchParams;
  expect([asked.get('from'), asked.get('to'), asked.get('groupBy'), asked.get('series')]).toEqual([shanghaiMidnight(shanghaiDay(-29)), shanghaiMidnight(today), 'town', 'day']);
  await page.locator('[data-chart="categories"] svg path').nth(4).waitFor({ state: 'attached' }); // drawn, not an empty frame
  const byTown = await stats(shanghaiDay(-29), 'town');
  expect(byTown.series).toHaveLength(30);
  expect(byTown.groups.map((g) => g.name)).toEqual(['Dongguan Town', 'Xihe Township']);
  expect(await shownDashboard(page)).toEqual(expectedDashboard(byTown, categoryName));

  // A chosen period (the last three days) by grid.
  await page.getByLabel('From').fill(shanghaiDay(-2));
  await page.getByLabel('Group by').selectOption('grid');
  const chosen = page.waitForRequest((r) => r.url().includes('/stats?') && r.url().includes('groupBy=grid') && r.url().includes(encodeURIComponent(shanghaiMidnight(shanghaiDay(-2)))));
  await page.getByRole('button', { name: 'Refresh' }).click();
  await chosen;
  await page.getByRole('heading', { name: 'On-time and on-the-spot rates by grid' }).waitFor();
  await page.locator('[data-chart="by-day"] ~ details tbody tr').nth(2).waitFor({ state: 'attached' });
  const byGrid = await stats(shanghaiDay(-2), 'grid');
  expect(byGrid.series.map((d) => d.date)).toEqual([shanghaiDay(-2), shanghaiDay(-1), today]);
  expect(byGrid.groups).toHaveLength(4);
  expect(await shownDashboard(page)).toEqual(expectedDashboard(byGrid, categoryName));
  expect(page.url()).toMatch(/groupBy=grid/);

  // The drill would remind every two seconds for the rest of this file: the county settles it.
  await act(county, drill.body.id, { action: 'resolve', note: '演练结束' });
}, 180_000);

describe.each([
  ['phone, zh-CN', PHONE, 'zh-CN'],
  ['desktop, en', DESKTOP, 'en'],
] as const)('every page at %s', (_name, viewport, lang) => {
  const results: Record<string, { violations: unknown[]; overflow: number; smallTargets: string[] }> = {};

  it(`has no serious or critical axe-core violation and never scrolls sideways${viewport === PHONE ? '; every control is a touch target of 44 px or more' : ''}`, async () => {
    const page = await w.newPage({ viewport });
    const check = async (name: string) => {
      await page.waitForLoadState('networkidle');
      results[name] = {
        violations: await seriousViolations(page), overflow: await sidewaysOverflow(page),
        smallTargets: viewport === PHONE ? await smallTouchTargets(page) : [],
      };
    };
    await page.goto(`${w.consoleUrl}/sign-in?lang=${lang}`);
    await page.getByRole('button', { name: COUNTY_SUPERVISOR }).waitFor();
    await check('sign-in');
    await page.getByRole('button', { name: COUNTY_SUPERVISOR }).click();
    await page.locator('[data-incident-id]').first().waitFor();
    await check('queue');
    await page.goto(`${w.consoleUrl}/incidents/${seeded[0]!.id}`);
    await expectField(page, 'status', 'open');
    await check('incident');
    await page.goto(`${w.consoleUrl}/dashboard`);
    await page.locator('[data-chart="categories"] svg').waitFor();
    await check('dashboard');
    // The report form is for residents and grid leaders: a county supervisor typing its address gets the queue.
    await page.goto(`${w.consoleUrl}/report`);
    await page.waitForURL(/\/console\/?$/);
    await page.getByRole('button', { name: /^(Sign out|退出登录)$/ }).click();
    await signIn(page, w.consoleUrl, /^李强/, { lang });
    // ...and the dashboard is not theirs: no link to it, and its address leads back to the queue.
    await page.locator('[data-incident-id]').first().waitFor();
    expect(await page.getByRole('link', { name: /^(Dashboard|统计看板)$/ }).count()).toBe(0);
    await page.goto(`${w.consoleUrl}/dashboard`);
    await page.waitForURL(/\/console\/?$/);
    await page.goto(`${w.consoleUrl}/report`);
    await page.getByRole('button', { name: lang === 'en' ? 'Report' : '上报', exact: true }).waitFor();
    await check('report');
    process.stdout.write(`console axe (${_name}): ${Object.entries(results).map(([p, r]) => `${p} ${r.violations.length}`).join(', ')}\n`);
    expect(results).toEqual(Object.fromEntries(Object.keys(results).map((p) => [p, { violations: [], overflow: 0, smallTargets: [] }])));
  }, 180_000);
});

it('refreshes the queue in place: what changed appears without reloading the page', async () => {
  const page = await w.newPage();
  await signIn(page, w.consoleUrl, /^王芳/, { lang: 'zh-CN' });
  await page.locator('[data-incident-id]').first().waitFor();
  await page.evaluate(() => { (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true; });
  const resident = await w.county.token('reporter', 'qingshui', 'resident-demo');
  const res = await w.county.call('POST', '/incidents', {
    token: resident, body: { category: 'urgent', gridId: 'nanjie-01', title: '刚刚上报 Just reported', description: '新的' }, // the soonest deadline: first
  });
  expect(res.status).toBe(201);
  await page.getByRole('button', { name: '刷新' }).click();
  await page.locator(`[data-incident-id="${res.body.id}"]`).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
}, 60_000);
