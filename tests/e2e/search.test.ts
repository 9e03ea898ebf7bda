// A buyer searching in real Chromium against the built server: from the header, narrowing by a facet, sorting,
// reading highlighted matches, opening a result, with the suggestion island; and the page without JavaScript.
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';

let server: RunningServer;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  server = await startServer({ DATA_DIR: tempDir(), DEMO_LISTINGS: '800' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage(javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return page;
}

describe('searching with JavaScript', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage(true);
  });

  it('offers suggestions as an accessible combobox, without CSP violations', async () => {
    await page.goto(server.url + '/');
    const input = page.locator('.header-search input[name=q]');
    expect(await input.getAttribute('role')).toBe('combobox');
    await input.pressSequentially('钢', { delay: 50 });
    const listbox = page.locator('#header-suggestions');
    await listbox.locator('[role=option]').first().waitFor({ state: 'visible', timeout: 5000 });
    expect(await input.getAttribute('aria-expanded')).toBe('true');
    expect(await listbox.locator('[role=option]').count()).toBeGreaterThan(1);
    await input.press('ArrowDown');
    expect(await input.getAttribute('aria-activedescendant')).toBe('header-suggestions-0');
    expect(await listbox.locator('[role=option]').first().getAttribute('aria-selected')).toBe('true');
    await input.press('Escape');
    expect(await listbox.isHidden()).toBe(true);
    // The island is a bundled file, never an inline script (structured data is data, not script).
    expect(await page.locator('script:not([src]):not([type="application/ld+json"])').count()).toBe(0);
    expect(await page.locator('script[src^="/_astro/"]').count()).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });

  it('goes to a suggestion with the keyboard', async () => {
    await page.goto(server.url + '/');
    const input = page.locator('.header-search input[name=q]');
    await input.pressSequentially('钢材', { delay: 50 });
    await page.locator('#header-suggestions [role=option]').first().waitFor({ state: 'visible', timeout: 5000 });
    await input.press('ArrowDown');
    await Promise.all([page.waitForURL(/\/search\?category=steel|\/listing\/|\/company\//), input.press('Enter')]);
    expect(await page.locator('h1').count()).toBe(1);
  });

  it('searches from the header, narrows by a facet, sorts, and opens a highlighted result', async () => {
    await page.goto(server.url + '/');
    const input = page.locator('.header-search input[name=q]');
    await input.fill('钢');
    await Promise.all([page.waitForURL(/\/search\?q=/), input.press('Enter')]);
    expect(decodeURIComponent(page.url())).toContain('/search?q=钢');
    expect(await page.locator('h1').textContent()).toContain('钢');
    const cards = page.locator('.listing-card');
    expect(await cards.count()).toBeGreaterThan(0);
    expect(await page.locator('.listing-card .title mark').first().textContent()).toBe('钢');
    const totalBefore = Number((await page.locator('.total').textContent())!.replace(/\D/g, ''));

    // Narrow by the first city in the facet list.
    const city = page.locator('.search-facets section').nth(1).locator('li a').first();
    const cityName = (await city.textContent())!;
    await Promise.all([page.waitForURL(/region=/), city.click()]);
    expect(await page.locator('.chips .chip').first().textContent()).toContain(cityName);
    const totalAfter = Number((await page.locator('.total').textContent())!.replace(/\D/g, ''));
    expect(totalAfter).toBeLessThanOrEqual(totalBefore);
    expect(totalAfter).toBeGreaterThan(0);
    expect(await page.locator('meta[name=robots]').getAttribute('content')).toBe('noindex, follow');

    // Sort by price, low to high.
    await Promise.all([page.waitForURL(/sort=price_asc/), page.locator('.sorts a', { hasText: '价格从低到高' }).click()]);
    expect(await page.locator('.sorts [aria-current]').textContent()).toBe('价格从低到高');

    // Open the first result.
    const first = page.locator('.listing-card a.title').first();
    const title = (await first.innerText()).replace(/^(供应|求购)/, '').trim();
    await Promise.all([page.waitForURL(/\/listing\/\d+/), first.click()]);
    expect(await page.locator('h1').textContent()).toContain(title);
    expect(consoleErrors).toEqual([]);
  });
});

describe('searching without JavaScript', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage(false);
  });

  it('gives a plain query its canonical and the filter form keeps its values', async () => {
    const res = await page.goto(server.url + '/search?q=%E9%92%A2');
    expect(res!.status()).toBe(200);
    expect(await page.locator('link[rel=canonical]').getAttribute('href')).toBe(server.url + '/search?q=%E9%92%A2');
    expect(await page.locator('meta[name=robots]').count()).toBe(0);
    await page.locator('input[name=price_min]').fill('100');
    await page.locator('input[name=verified]').check();
    await Promise.all([page.waitForURL(/price_min=100/), page.locator('.search-more button[type=submit]').click()]);
    expect(page.url()).toContain('verified=1');
    expect(await page.locator('input[name=price_min]').inputValue()).toBe('100');
    expect(await page.locator('input[name=verified]').isChecked()).toBe(true);
  });

  it('shows a helpful page when nothing matches', async () => {
    await page.goto(server.url + '/search?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E4%B8%9C%E8%A5%BF&kind=demand');
    expect(await page.locator('.no-results').textContent()).toContain('没有找到');
    expect(await page.locator('.no-results a.chip').count()).toBeGreaterThan(0);
  });

  it('explains a bad filter with a 400 page, and the API with a JSON 422 naming the parameter', async () => {
    const res = await page.goto(server.url + '/search?kind=ads&price_min=abc');
    expect(res!.status()).toBe(400);
    expect(await page.locator('[role=alert]').textContent()).toContain('价格请填写数字');
    const api = await fetch(server.url + '/api/v1/search?kind=ads');
    expect(api.status).toBe(422);
    expect(((await api.json()) as { error: { fields: Record<string, string> } }).error.fields.kind).toBeTruthy();
  });

  it('answers hostile queries with 200s, never a 500', async () => {
    for (const q of ['"*NEAR(a b) OR :^()', '😀'.repeat(300), 'x'.repeat(1500), "' OR 1=1 --", '\u0001\u0002']) {
      const page = await fetch(`${server.url}/search?q=${encodeURIComponent(q)}`);
      expect(page.status, q.slice(0, 20)).toBe(200);
      const api = await fetch(`${server.url}/api/v1/search?q=${encodeURIComponent(q)}`);
      expect(api.status).toBe(200);
      const suggest = await fetch(`${server.url}/api/v1/suggest?q=${encodeURIComponent(q)}`);
      expect(suggest.status).toBe(200);
    }
  });
});
