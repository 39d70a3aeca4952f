/**
 * The console in a real Chromium (Debian's package, driven by playwright-core) against a real local county:
 * one browser and one county per test file. Pages are found by roles and labels as a person finds them;
 * every page records its uncaught errors, and axe-core checks what it shows.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from '#local/console-build.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PHONE = { width: 375, height: 740 };
export const DESKTOP = { width: 1280, height: 860 };
/** Browser steps wait for the API and the workflow of a county sharing two cores with other tests. */
export const STEP_MS = 20_000;

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface ConsoleWorld {
  county: TestCounty;
  browser: Browser;
  /** `http://localhost:<port>/console` (no trailing slash). */
  consoleUrl: string;
  /** Uncaught errors of every page opened so far. */
  pageErrors: string[];
  /** A fresh context (no cookies, no storage: nobody signed in) with one page. */
  newPage(opts?: { viewport?: { width: number; height: number }; lang?: string; geolocation?: { latitude: number; longitude: number } }): Promise<Page>;
  close(): Promise<void>;
}

export async function startConsoleWorld(fixture: string): Promise<ConsoleWorld> {
  await ensureConsoleBuilt();
  const [county, browser] = await Promise.all([
    startTestCounty(fixture),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run', '--disable-dev-shm-usage'],
    }),
  ]);
  const consoleUrl = county.county.consoleUrl.replace(/\/$/, '');
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    county, browser, consoleUrl, pageErrors,
    async newPage(opts = {}) {
      const context = await browser.newContext({
        viewport: opts.viewport ?? PHONE, acceptDownloads: true, locale: opts.lang ?? 'zh-CN', timezoneId: 'Europe/Berlin',
        ...(opts.geolocation ? { geolocation: opts.geolocation, permissions: ['geolocation'] } : {}),
      });
      contexts.push(context);
      context.setDefaultTimeout(STEP_MS);
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
      return page;
    },
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      await browser.close().catch(() => undefined);
      await county.stop();
    },
  };
}

/** Signs in on the local sign-in page as the person whose button's name matches, and waits for the queue. */
export async function signIn(page: Page, consoleUrl: string, person: RegExp | string, opts: { lang?: 'en' | 'zh-CN'; next?: string } = {}): Promise<void> {
  const lang = opts.lang ?? 'en';
  await page.goto(`${consoleUrl}/sign-in?lang=${lang}${opts.next ? `&next=${encodeURIComponent(opts.next)}` : ''}`);
  await page.getByRole('button', { name: person }).click();
  await page.waitForURL((u) => !u.pathname.endsWith('/sign-in'));
}

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

/** What the in-page functions below use of the page's globals (this program is typed for Node, not the DOM). */
interface InPage {
  axe?: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
  document: { documentElement: { scrollWidth: number; clientWidth: number }; body: { scrollWidth: number } };
}

/** axe-core on the page as it is now: the violations rated serious or critical. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string | null; help: string; targets: string[] }[]> {
  // Evaluated rather than added as a <script>: the console's CSP (rightly) refuses inline scripts.
  if (!(await page.evaluate(() => (globalThis as unknown as InPage).axe !== undefined))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as InPage;
    return (await g.axe!.run(g.document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => String(n.target)).slice(0, 5) }));
}

/** How far the page scrolls sideways (0: it fits the screen). */
export async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const { document: d } = globalThis as unknown as InPage;
    return Math.max(d.documentElement.scrollWidth, d.body.scrollWidth) - d.documentElement.clientWidth;
  });
}

/** A `data-field` element's value (contract §9 test hooks). */
export async function field(page: Page, name: 'status' | 'level' | 'deadline'): Promise<string | null> {
  return page.locator(`[data-field="${name}"]`).getAttribute('data-value');
}

/** Waits until the `data-field` element holds `value`. */
export async function expectField(page: Page, name: 'status' | 'level' | 'deadline', value: string): Promise<void> {
  await page.locator(`[data-field="${name}"][data-value="${value}"]`).waitFor();
}

/** Minimum size of a touch target on a phone (WCAG 2.5.5, Apple's and Android's guidelines: 44 CSS px). */
/**
 * Clicks `target`; when it never becomes clickable, the error carries what the page said then (its text, and
 * the actions region's buttons), so a failure in CI can be read without reproducing it.
 */
export async function clickOrExplain(page: Page, target: Locator): Promise<void> {
  try {
    await target.click();
  } catch (error) {
    const text = await page.locator('body').innerText({ timeout: 2_000 }).catch((e: unknown) => `(no text: ${(e as Error).message})`);
    const buttons = await page.getByRole('button').allInnerTexts().catch(() => []);
    throw new Error(`${(error as Error).message}\n--- at ${page.url()} the buttons were: ${JSON.stringify(buttons)}\n--- and the page said:\n${text.slice(0, 3_000)}`);
  }
}

export const TOUCH_PX = 44;

/**
 * The visible controls of the page whose touch target is smaller than a finger in either direction. A control's
 * target is what a tap on it reaches: its own box, the label around it, Ant Design's input frame around it, or, for
 * a link stretched over its card (an absolutely placed `::after`), that card.
 */
export async function smallTouchTargets(page: Page): Promise<string[]> {
  return page.evaluate((min) => {
    interface Box { width: number; height: number }
    interface El {
      tagName: string; id: string; textContent: string | null; offsetParent: El | null; getAttribute(a: string): string | null;
      getBoundingClientRect(): Box; closest(s: string): El | null; checkVisibility(o: object): boolean;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): El[] };
      getComputedStyle(e: El, pseudo?: string): { position: string; content: string };
    };
    const target = (e: El): El => {
      const after = g.getComputedStyle(e, '::after');
      if (after.position === 'absolute' && after.content !== 'none' && e.offsetParent) return e.offsetParent;
      return e.closest('label, .ant-input-affix-wrapper') ?? e;
    };
    const controls = g.document.querySelectorAll('button, a[href], select, input:not([type="hidden"]), textarea, summary, [role="button"], [role="link"]');
    return [...controls].flatMap((e) => {
      if (!e.checkVisibility({ visibilityProperty: true })) return []; // not shown (e.g. Ant Design's measuring textarea)
      const { width, height } = target(e).getBoundingClientRect();
      if (width >= min && height >= min) return [];
      const name = (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 30);
      return [`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} "${name}" ${Math.round(width)}×${Math.round(height)}`];
    });
  }, TOUCH_PX);
}
