// Layout in real Chromium at a phone's width (390 px), the narrowest we promise (320 px) and a laptop's (1366 px): no
// public page type scrolls sideways, in Chinese and English; on a phone the search results come before the filters,
// which open from a 筛选 button without JavaScript.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { register } from '../helpers/forms.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;
const pages: string[] = [];
const demoPages: string[] = [];

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '300' });
  browser = await launchBrowser();
  // One address of each public page type, found the way a visitor finds them: from the home page's links.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.url + '/');
  const hrefs = await page.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')!));
  const first = (re: RegExp) => hrefs.find((h) => re.test(h));
  const found = [first(/^\/listing\/\d/), first(/^\/company\//), first(/^\/region\/[^/]+$/), first(/^\/category\//)];
  expect(found.every(Boolean), `page types linked from home: ${found.join(', ')}`).toBe(true);
  await page.goto(server.url + found[2]!);
  const regionCategory = (await page.$$eval('a[href^="/region/"]', (as) => as.map((a) => a.getAttribute('href')!))).find((h) => /^\/region\/[^/]+\/[^/?]+$/.test(h));
  await context.close();
  pages.push('/', '/search', '/search?q=钢管', '/search?q=大米&kind=supply', '/regions', '/categories', '/login', '/register', '/forgot-password', ...(found as string[]));
  if (regionCategory) pages.push(regionCategory);
  demoPages.push(found[0]!, found[1]!);
  pages.push(...pages.map((p) => (p === '/' ? '/en' : `/en${p}`)));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function overflow(page: Page): Promise<{ scroll: number; inner: number }> {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
}

describe('no page scrolls sideways', () => {
  for (const width of [320, 390, 1366]) {
    it(`at ${width} px, every public page type in both languages`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width, height: 844 } });
      const page = await context.newPage();
      const wide: string[] = [];
      for (const p of pages) {
        const res = await page.goto(server.url + p);
        expect(res?.status(), p).toBeLessThan(400);
        const { scroll, inner } = await overflow(page);
        if (scroll > inner) wide.push(`${p}: ${scroll} > ${inner}`);
      }
      expect(wide).toEqual([]);
      await context.close();
    }, 120_000);
  }
});

describe('on a phone (390 px)', () => {
  it('the header is one row with the search box in it; the rest opens from 菜单 without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    for (const p of ['/', '/en', '/search?q=钢管']) {
      await page.goto(server.url + p);
      const header = (await page.locator('.site-header').boundingBox())!;
      expect(header.height, p).toBeLessThanOrEqual(64);
      const search = page.locator('.site-header input[name=q]');
      expect(await search.isVisible(), p).toBe(true);
      expect((await search.boundingBox())!.width, p).toBeGreaterThanOrEqual(100);
    }
    await page.goto(server.url + '/');
    const regions = page.locator('.site-nav a', { hasText: '地区' });
    expect(await regions.isVisible()).toBe(false);
    await page.locator('label', { hasText: '菜单' }).click();
    expect(await regions.isVisible()).toBe(true);
    await regions.click();
    expect(new URL(page.url()).pathname).toBe('/regions');
    await context.close();
  });

  it('the dashboard lists each listing as a card with its title across the card, and does not scroll sideways', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await register(page, server.url, 'phone.member@example.com', '手机会员');
    // The member takes over a demo company, so the dashboard has listings to show.
    withSiteDb(dataDir, (db) => {
      const user = db.prepare("select id from users where email = 'phone.member@example.com'").pluck().get();
      db.prepare("update companies set owner_id = ? where id = (select company_id from listings where status = 'active' group by company_id order by count(*) desc limit 1)").run(user);
    }, { readonly: false });
    for (const p of ['/dashboard', '/en/dashboard']) {
      await page.goto(server.url + p);
      const title = page.locator('.dash-item h3').first();
      expect((await title.boundingBox())!.width, p).toBeGreaterThan(280);
      const { scroll, inner } = await overflow(page);
      expect(scroll, p).toBeLessThanOrEqual(inner);
    }
    await context.close();
  });
});

describe('search on a phone', () => {
  it('shows the results first and the filters behind a 筛选 button that works without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(server.url + '/search');
    const firstResult = page.locator('.search-results .listing-card').first();
    expect(await firstResult.count()).toBe(1);
    const resultTop = (await firstResult.boundingBox())!.y;
    expect(resultTop).toBeLessThan(844);
    const toggle = page.locator('summary', { hasText: '筛选' });
    expect(await toggle.isVisible()).toBe(true);
    expect(await page.locator('.search-facets').isVisible()).toBe(false);
    await toggle.click();
    expect(await page.locator('.search-facets').isVisible()).toBe(true);
    await page.locator('.search-facets a', { hasText: '供应' }).first().click();
    expect(new URL(page.url()).searchParams.get('kind')).toBe('supply');
    // The active filter shows as a chip, visible without opening the panel.
    expect(await page.locator('.chips .chip').first().isVisible()).toBe(true);
    await context.close();
  });

  it('on a laptop the filters stand beside the results, no button', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url + '/search?q=大米');
    expect(await page.locator('.search-facets').isVisible()).toBe(true);
    expect(await page.locator('summary', { hasText: '筛选' }).isVisible()).toBe(false);
    await context.close();
  });

  it('an empty price range leaves no empty price parameters in the address', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url + '/search?q=大米');
    await page.locator('.search-facets form button[type=submit]').first().click();
    await page.waitForLoadState('domcontentloaded');
    expect(page.url()).not.toMatch(/price_(min|max)=(&|$)/);
    await context.close();
  });
});

describe('demo data says what it is', () => {
  it('a demo listing and a demo company carry the sample-data banner and are noindex, in both languages', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    for (const p of demoPages) {
      await page.goto(server.url + p);
      expect(await page.locator('.demo-banner').innerText(), p).toContain('示例数据');
      expect(await page.locator('meta[name=robots]').getAttribute('content'), p).toContain('noindex');
      await page.goto(server.url + '/en' + p);
      expect(await page.locator('.demo-banner').innerText(), p).toContain('Sample data');
    }
    await context.close();
  });
});
