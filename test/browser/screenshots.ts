/**
 * `npm run screenshots`: pictures of every console page at phone (375 px) and desktop (1280 px) size, for
 * the README, in docs/console/. The demo county (Shouyang) with a few incidents of every kind; its epidemic
 * category gets 4-second deadlines here so that one incident is overdue at the top when the pictures are taken.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { until } from '../helpers/county-client.js';
import { DESKTOP, PHONE, startConsoleWorld, type ConsoleWorld } from './support.js';

const OUT = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const SHOUYANG = fileURLToPath(new URL('../../counties/shouyang.json', import.meta.url));

function demoCounty(): string {
  const county = JSON.parse(readFileSync(SHOUYANG, 'utf8'));
  const epidemic = county.categories.find((c: { id: string }) => c.id === 'epidemic-prevention');
  epidemic.deadlines = { grid: 'PT4S', town: 'PT4S', city: 'PT4S' };
  const file = join(mkdtempSync(join(tmpdir(), 'gridflow-screenshots-')), 'shouyang.json');
  writeFileSync(file, JSON.stringify(county));
  return file;
}

async function seed(w: ConsoleWorld): Promise<{ escalated: string }> {
  const { call, token } = w.county;
  const resident = await token('reporter', 'shouyang', 'resident-demo');
  const leader = await token('grid', 'heishui-09', 'hs-09');
  const report = async (t: string, body: Record<string, unknown>) => {
    const res = await call('POST', '/incidents', { token: t, body });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    return res.body as { id: string };
  };
  const act = async (t: string, id: string, body: Record<string, unknown>) => {
    const res = await call('POST', `/incidents/${id}/actions`, { token: t, body });
    if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
  };
  const overdue = await report(resident, {
    category: 'epidemic-prevention', gridId: 'heishui-09', title: '返乡人员发热，需要排查',
    description: '3 号楼 2 单元有一名返乡人员持续发热两天，尚未就医。', reporter: { name: '王女士', phone: '13800001111' },
  });
  await report(resident, {
    category: 'safety-hazard', gridId: 'heishui-09', title: '楼道堆放杂物，存在火灾隐患',
    description: '5 号楼一层楼道堆满纸箱和旧家具，堵住了消防通道。', location: { lat: 37.8916, lng: 113.1769, address: '黑水村 5 号楼' },
  });
  const noisy = await report(resident, { category: 'conflict', gridId: 'heishui-09', title: '邻居装修噪音扰民', description: '楼上住户每天晚上十点后仍在装修。' });
  await act(leader, noisy.id, { action: 'acknowledge' });
  const rubbish = await report(leader, { category: 'sanitation', gridId: 'heishui-09', title: '垃圾清运不及时', description: '村口垃圾点已三天无人清运，气味很大。' });
  await act(leader, rubbish.id, { action: 'acknowledge' });
  await act(leader, rubbish.id, { action: 'comment', note: '已联系保洁公司，对方车辆故障。' });
  await act(leader, rubbish.id, { action: 'escalate', note: '需要镇里协调清运车辆。' });
  await report(leader, {
    category: 'elderly-care', gridId: 'heishui-09', title: '独居老人家中断水', description: '李大爷家水管冻裂。',
    resolvedOnSpot: { note: '已关闭总阀并联系维修，今日修复。' },
  });
  const grids = ['heishui-01', 'heishui-03', 'nangang-01', 'nangang-12', 'dongguan-01', 'xiguan-02'];
  const titles = ['路灯不亮', '占道经营', '政策宣传入户', '信息采集：新增住户', '广场舞噪音', '下水道井盖松动'];
  const categories = ['public-order', 'public-order', 'policy-publicity', 'information-collection', 'conflict', 'safety-hazard'];
  for (let n = 0; n < 12; n++) {
    await report(resident, { category: categories[n % 6], gridId: grids[n % 6], title: titles[n % 6], description: '居民反映的情况，待网格员核实。' });
  }
  const county = await token('county', 'shouyang', 'sy-1');
  await until('the epidemic incident overdue at the top', async () =>
    (await call('GET', `/incidents/${overdue.id}`, { token: county })).body?.overdue === true, 60_000);
  return { escalated: rubbish.id };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready);
  const size = page.viewportSize()!.width <= 400 ? 'phone' : 'desktop';
  await page.screenshot({ path: join(OUT, `${name}-${size}.png`), animations: 'disabled' });
  process.stdout.write(`docs/console/${name}-${size}.png\n`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const w = await startConsoleWorld(demoCounty());
  try {
    const { escalated } = await seed(w);
    const tokens = {
      town: await w.county.token('town', 'pingtou', 'pt-1'),
      grid: await w.county.token('grid', 'heishui-09', 'hs-09'),
      county: await w.county.token('county', 'shouyang', 'sy-1'),
    };
    for (const viewport of [PHONE, DESKTOP]) {
      const page = await w.newPage({ viewport });
      await page.goto(`${w.consoleUrl}/sign-in`);
      await page.getByRole('heading', { name: '网格员' }).waitFor();
      await shoot(page, 'sign-in');
      await page.goto(`${w.consoleUrl}/#token=${tokens.town}`);
      await page.locator('[data-incident-id]').first().waitFor();
      await shoot(page, 'queue');
      await page.goto(`${w.consoleUrl}/incidents/${escalated}`);
      await page.locator('[data-field="status"]').waitFor();
      await shoot(page, 'incident');
      await page.goto(`${w.consoleUrl}/dashboard#token=${tokens.county}`);
      await page.locator('[data-chart="categories"] svg').waitFor();
      await shoot(page, 'dashboard');
      await page.goto(`${w.consoleUrl}/report#token=${tokens.grid}`);
      await page.getByLabel('标题').waitFor();
      await shoot(page, 'report');
      await page.goto(`${w.consoleUrl}/?lang=en#token=${tokens.town}`);
      await page.locator('[data-incident-id]').first().waitFor();
      await shoot(page, 'queue-en');
    }
    if (w.pageErrors.length > 0) throw new Error(`page errors:\n${w.pageErrors.join('\n')}`);
  } finally {
    await w.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  process.stderr.write(`screenshots failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
