// A visitor in real Chromium, without JavaScript, against the built server started the way `npm start` does.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStartExpectingFailure, startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dataDir: string;

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '800' });
  browser = await launchBrowser();
  context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A listing id in each state, read straight from the server's database file. */
function listingIdWithStatus(status: string): number {
  return withSiteDb(dataDir, (db) => db.prepare('select id from listings where status = ? order by id limit 1').pluck().get(status) as number);
}

async function open(pathname: string) {
  const res = await page.goto(server.url + pathname);
  return res!;
}

describe('browsing the site', () => {
  it('seeds the data folder on first start', () => {
    expect(fs.existsSync(path.join(dataDir, 'site.db'))).toBe(true);
    expect(server.output()).toContain('"msg":"seeded demo data"');
  });

  it('opens the home page with latest supply and demand and navigation', async () => {
    const res = await open('/');
    expect(res.status()).toBe(200);
    await expect(page.title()).resolves.toContain('江西供求信息网');
    expect(await page.locator('h2', { hasText: '最新供应' }).count()).toBe(1);
    expect(await page.locator('h2', { hasText: '最新求购' }).count()).toBe(1);
    expect(await page.locator('.listing-card').count()).toBeGreaterThan(10);
    expect(await page.locator('link[rel=canonical]').getAttribute('href')).toBe(server.url + '/');
  });

  it('follows a city link, then a listing, then its company', async () => {
    await open('/');
    await page.getByRole('link', { name: '赣州市' }).first().click();
    expect(new URL(page.url()).pathname).toBe('/region/ganzhou');
    await expect(page.locator('h1').textContent()).resolves.toBe('赣州市供求信息');
    // Its counties that have listings (empty ones lead nowhere and are left out).
    expect(await page.locator('.side .choices a').count()).toBeGreaterThan(0);
    expect(await page.locator('.side .choices .count').allTextContents()).not.toContain('0 条');

    const first = page.locator('.listing-card a.title').first();
    const title = (await first.textContent())!.replace(/^(供应|求购)/, '');
    await first.click();
    expect(new URL(page.url()).pathname).toMatch(/^\/listing\/\d+-[a-z0-9-]+$/);
    await expect(page.locator('h1').textContent()).resolves.toContain(title);
    expect(await page.locator('.facts').first().textContent()).toContain('赣州市');
    expect(await page.locator('.big-price').textContent()).toMatch(/元|面议/);

    const companyLink = page.locator('.company-card a').first();
    const companyName = await companyLink.textContent();
    await companyLink.click();
    expect(new URL(page.url()).pathname).toMatch(/^\/company\/[a-z0-9-]+$/);
    await expect(page.locator('h1').textContent()).resolves.toContain(companyName!);
    expect(await page.locator('.listing-card').count()).toBeGreaterThan(0);
  });

  it('follows a category link to its page and narrows it by city', async () => {
    await open('/');
    const link = page.locator('.directory a.head').first();
    const name = (await link.textContent())!;
    await link.click();
    expect(new URL(page.url()).pathname).toMatch(/^\/category\/[a-z0-9-]+$/);
    await expect(page.locator('h1').textContent()).resolves.toBe(`${name}供求信息`);
    const city = page.locator('.side .choices a').first();
    const cityName = (await city.textContent())!;
    await city.click();
    expect(new URL(page.url()).pathname).toMatch(/^\/region\/[a-z]+\/[a-z0-9-]+$/);
    await expect(page.locator('h1').textContent()).resolves.toBe(`${cityName}${name}供求信息`);
  });

  it('pages through a long list', async () => {
    await open('/region/jiangxi');
    await page.getByRole('link', { name: '下一页' }).click();
    expect(new URL(page.url()).search).toBe('?page=2');
    expect(await page.locator('.pagination [aria-current=page]').textContent()).toBe('2');
    await page.getByRole('link', { name: '上一页' }).click();
    expect(page.url()).toBe(server.url + '/region/jiangxi');
  });

  it('goes straight to page N from the box beside the page numbers, keeping the tab, without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const p = await context.newPage();
    const jumpTo = async (n: number, button: string) => {
      await p.fill('.page-jump input[name=page]', String(n));
      await Promise.all([p.waitForURL(/./, { waitUntil: 'domcontentloaded' }), p.getByRole('button', { name: button, exact: true }).click()]);
    };
    await p.goto(server.url + '/region/jiangxi?kind=supply');
    expect(Number(await p.locator('.page-jump input[name=page]').getAttribute('max'))).toBeGreaterThan(5);
    await jumpTo(4, '跳转');
    expect(new URL(p.url()).search).toBe('?kind=supply&page=4');
    expect(await p.locator('.pagination [aria-current=page]').textContent()).toBe('4');
    await jumpTo(1, '跳转');
    expect(p.url()).toBe(server.url + '/region/jiangxi?kind=supply');
    // Search results page the same way, in English too.
    await p.goto(server.url + '/en/search?kind=demand');
    await jumpTo(3, 'Go');
    expect(new URL(p.url()).pathname).toBe('/en/search');
    expect(new URL(p.url()).search).toBe('?kind=demand&page=3');
    expect(await p.locator('.pagination [aria-current=page]').textContent()).toBe('3');
    await context.close();
  });

  it('on a phone: the 求购 tab, page 3 by its number, the last page, kept across paging; tab states are noindex', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(server.url + '/region/jiangxi');
    const total = (text: string | null) => Number(/(\d+)/.exec(text ?? '')![1]);
    const demandCount = total(await phone.locator('.tabs a', { hasText: '求购' }).textContent());
    await phone.locator('.tabs a', { hasText: '求购' }).click();
    expect(new URL(phone.url()).search).toBe('?kind=demand');
    expect(await phone.locator('meta[name=robots]').getAttribute('content')).toContain('noindex');
    expect(await phone.locator('link[rel=canonical]').getAttribute('href')).toBe(server.url + '/region/jiangxi');
    const badges = await phone.locator('.listing-card .badge.demand').count();
    expect(badges).toBe(await phone.locator('.listing-card').count());
    await phone.getByRole('link', { name: '第 3 页' }).click();
    expect(new URL(phone.url()).search).toBe('?kind=demand&page=3');
    expect(await phone.locator('.pagination [aria-current=page]').textContent()).toBe('3');
    await phone.getByRole('link', { name: '末页' }).click();
    const pages = Math.ceil(demandCount / 20);
    expect(new URL(phone.url()).search).toBe(`?kind=demand&page=${pages}`);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // Sorting by price opens the search page on the same place and tab.
    await phone.getByRole('link', { name: /价格/ }).click();
    expect(new URL(phone.url()).pathname).toBe('/search');
    expect(new URL(phone.url()).searchParams.get('kind')).toBe('demand');
    expect(new URL(phone.url()).searchParams.get('sort')).toBe('price_asc');
    await phone.close();
  });

  it('a place lists only the counties and industries that have listings there', async () => {
    await open('/region/nanchang');
    const counts = await page.locator('.side .choices li:not(.current) .count').allTextContents();
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.filter((c) => /^0\s/.test(c.trim()))).toEqual([]);
    expect((await open('/region/nanchang?kind=offer')).status()).toBe(404);
  });

  it('lists every region and every category', async () => {
    expect((await open('/regions')).status()).toBe(200);
    expect(await page.locator('.directory a').count()).toBe(111);
    expect((await open('/categories')).status()).toBe(200);
    expect(await page.locator('.directory > li').count()).toBeGreaterThanOrEqual(15);
  });
});

describe('addresses that do not exist, moved or expired', () => {
  it.each([
    '/listing/999999999',
    '/listing/abc',
    '/listing/0',
    '/company/no-such-company',
    '/region/atlantis',
    '/region/nanchang/no-such-category',
    '/category/no-such-category',
    '/region/nanchang?page=abc',
    '/region/nanchang?page=0',
    '/region/nanchang?page=9999',
    '/no/such/page',
  ])('%s answers the 404 page', async (pathname) => {
    const res = await open(pathname);
    expect(res.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe('页面不存在');
  });

  it('redirects a stale or missing slug, and ?page=1, to the one canonical URL', async () => {
    const id = listingIdWithStatus('active');
    const res = await page.request.get(`${server.url}/listing/${id}-wrong-slug`, { maxRedirects: 0 });
    expect(res.status()).toBe(301);
    expect(res.headers()['location']).toMatch(new RegExp(`^/listing/${id}-[a-z0-9-]+$`));
    await open(`/listing/${id}`);
    expect(new URL(page.url()).pathname).toBe(res.headers()['location']);
    const paged = await page.request.get(`${server.url}/region/nanchang?page=1`, { maxRedirects: 0 });
    expect(paged.status()).toBe(301);
    expect(paged.headers()['location']).toBe('/region/nanchang');
  });

  it('redirects a trailing slash to the bare path', async () => {
    const res = await page.request.get(`${server.url}/region/nanchang/?page=2`, { maxRedirects: 0 });
    expect(res.status()).toBe(301);
    expect(new URL(res.headers()['location']!, server.url).pathname + new URL(res.headers()['location']!, server.url).search).toBe(
      '/region/nanchang?page=2',
    );
  });

  it('shows an expired listing with a notice and noindex', async () => {
    const res = await open(`/listing/${listingIdWithStatus('expired')}`);
    expect(res.status()).toBe(200);
    await expect(page.locator('.notice:not(.demo-banner)').textContent()).resolves.toContain('已过期');
    expect(await page.locator('meta[name=robots]').getAttribute('content')).toContain('noindex');
  });

  it('answers 410 for a removed listing', async () => {
    const res = await open(`/listing/${listingIdWithStatus('removed')}`);
    expect(res.status()).toBe(410);
    await expect(page.locator('h1').textContent()).resolves.toBe('信息已删除');
  });

  it('sends security headers', async () => {
    const res = await open('/');
    const headers = res.headers();
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});

describe('starting with a bad data folder', () => {
  it('stops with one clear message naming the path', async () => {
    const file = path.join(tempDir(), 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const { code, output } = await runStartExpectingFailure({ DATA_DIR: file });
    expect(code).toBe(1);
    expect(output).toContain(file);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('stops with one clear message when the port is taken', async () => {
    const { code, output } = await runStartExpectingFailure({ DATA_DIR: path.join(tempDir(), 'data'), DEMO_LISTINGS: '0', HOST: '127.0.0.1', PORT: String(server.port) });
    expect(code).toBe(1);
    expect(output).toContain(`Port ${server.port} on 127.0.0.1 is already in use`);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('stops with one clear message for a corrupt database file', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'site.db'), 'garbage '.repeat(1000));
    const { code, output } = await runStartExpectingFailure({ DATA_DIR: dir });
    expect(code).toBe(1);
    expect(output).toContain(path.join(dir, 'site.db'));
    expect(output).not.toMatch(/\n\s+at /);
  });
});
