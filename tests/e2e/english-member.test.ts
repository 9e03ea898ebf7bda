// An English-speaking member in real Chromium, without JavaScript: joins and signs in through /en, creates the
// company, posts and edits a listing, and walks every page of the member area, which stays in English (/en/...,
// English text, English units and place names) and private (noindex, never cached).
import path from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { submit, TEST_PASSWORD } from '../helpers/forms.ts';
import { tempDir } from '../helpers/db.ts';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  const dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', MODERATION_NEW_MEMBER_LISTINGS: '0' });
  browser = await launchBrowser();
  context = await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const HAN = /\p{Script=Han}/u;

/**
 * The page's own text (header, main, footer) without what is Chinese on purpose: the language switch (中文, marked
 * lang="zh-CN") and the import page's table of the Chinese column names a CSV may use.
 */
async function chrome(): Promise<string> {
  return page.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement;
    body.querySelectorAll('[lang]:not([lang="en"]), table.columns').forEach((el) => el.remove());
    return body.innerText;
  });
}

async function expectEnglishPage(pathname: string): Promise<string> {
  const res = await page.goto(server.url + pathname);
  expect(res!.status(), pathname).toBe(200);
  return expectEnglishMemberPage(pathname, res!);
}

/** The page the browser is on (reached by a link or a form), as expectEnglishPage checks it. */
async function expectEnglishMemberPage(pathname: string, res: Response): Promise<string> {
  expect(new URL(page.url()).pathname, pathname).toBe(pathname.split('?')[0]);
  expect(await page.getAttribute('html', 'lang')).toBe('en');
  expect(res!.headers()['cache-control'], pathname).toBe('private, no-store');
  expect(await page.locator('meta[name=robots]').getAttribute('content'), pathname).toContain('noindex');
  const text = await chrome();
  expect(text.match(new RegExp(HAN.source, 'gu')) ?? [], `${pathname}: ${text}`).toEqual([]);
  // Every link and form keeps the reader in English (but the switch to Chinese, and the feeds, which are one per site).
  const hrefs = await page.$$eval(
    'a[href^="/"]:not([href^="/en"]):not([hreflang]):not([href$=".xml"]), form[action^="/"]:not([action^="/en"])',
    (els) => els.map((e) => e.getAttribute('href') ?? e.getAttribute('action')),
  );
  expect(hrefs, pathname).toEqual([]);
  return text;
}

describe('an English-speaking member', () => {
  it('is sent to the English sign-in page from /en/dashboard and joins in English', async () => {
    await page.goto(server.url + '/en/dashboard');
    expect(new URL(page.url()).pathname).toBe('/en/login');
    await page.getByRole('main').getByRole('link', { name: 'Join free' }).click();
    expect(new URL(page.url()).pathname).toBe('/en/register');
    await page.fill('#email', 'mary.chen@example.com');
    await page.fill('#displayName', 'Mary Chen');
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#passwordRepeat', TEST_PASSWORD);
    await submit(page, 'Register');
    expect(new URL(page.url()).pathname).toBe('/en/dashboard');
    expect(await chrome()).toContain('Create your company before posting');
  });

  it('signs out and back in at /en/login, landing on the English dashboard', async () => {
    await submit(page, 'Sign out');
    expect(new URL(page.url()).pathname).toBe('/en');
    await page.goto(server.url + '/en/login');
    await page.fill('#email', 'mary.chen@example.com');
    await page.fill('#password', TEST_PASSWORD);
    await submit(page, 'Sign in');
    expect(new URL(page.url()).pathname).toBe('/en/dashboard');
  });

  it('gets every company-form error in English at once, then saves the company', async () => {
    await page.goto(server.url + '/en/dashboard/company');
    await page.fill('#phone', '12345');
    const refused = await submit(page, 'Save');
    expect(refused.status()).toBe(422);
    expect(new URL(page.url()).pathname).toBe('/en/dashboard/company');
    const errors = await page.locator('.field-error').allTextContents();
    expect(errors.length).toBeGreaterThanOrEqual(3); // name, region, phone
    for (const e of errors) expect(e).not.toMatch(HAN);
    expect(await page.inputValue('#phone')).toBe('12345');

    await page.fill('#name', 'Ganjiang Pipe Works');
    await page.selectOption('#region', 'qingyunpu');
    await page.fill('#phone', '13812345678');
    await page.fill('#contactName', 'Mary Chen');
    const saved = await submit(page, 'Save');
    expect(saved.status()).toBe(200);
    expect(page.url()).toContain('/en/dashboard?done=company');
  });

  it('posts a listing in English: English form, units and place names on the public page', async () => {
    await page.getByRole('link', { name: 'Post a listing' }).click();
    expect(new URL(page.url()).pathname).toBe('/en/dashboard/listings/new');
    await page.selectOption('#category', 'steel-pipe');
    await submit(page, 'Next');
    expect(new URL(page.url()).pathname).toBe('/en/dashboard/listings/new');
    expect(await chrome()).not.toMatch(HAN);

    await page.check('input[name=kind][value=supply]');
    await page.fill('#title', 'Seamless steel pipe, 20# grade');
    await page.selectOption('#region', 'qingyunpu');
    await page.fill('#attr-od', '108');
    await page.check('input[name=priceType][value=single]');
    await page.fill('#price', '4850');
    await page.fill('#priceUnit', '吨');
    await page.fill('#quantity', '1');
    await page.fill('#quantityUnit', '吨');
    const published = await submit(page, 'Publish');
    expect(published.status()).toBe(200);
    expect(page.url()).toContain('/en/dashboard?done=created');
    const row = page.locator('.dash-item', { hasText: 'Seamless steel pipe' });
    expect(await row.locator('.meta').textContent()).toContain('/t');
    expect(await row.locator('.meta').textContent()).toContain('Qingyunpu');

    await row.getByRole('link', { name: 'Seamless steel pipe' }).click();
    expect(new URL(page.url()).pathname).toMatch(/^\/en\/listing\/\d+/);
    const listing = await page.locator('main').innerText();
    expect(listing).toContain('Qingyunpu District, Nanchang');
    expect(listing).toMatch(/108 mm/);
    expect(listing).toMatch(/1 t\b/);
  });

  it('edits the listing in English', async () => {
    await page.goto(server.url + '/en/dashboard');
    await page.locator('.dash-item').getByRole('link', { name: 'Edit' }).click();
    expect(new URL(page.url()).pathname).toMatch(/^\/en\/dashboard\/listings\/\d+\/edit$/);
    await page.fill('#title', 'Seamless steel pipe, 45# grade');
    await submit(page, 'Save changes');
    expect(page.url()).toContain('/en/dashboard?done=updated');
    expect(await page.locator('.dash-item h3').textContent()).toContain('45# grade');
  });

  it('sees every member page in English, private and uncached, with links that stay in English', async () => {
    const id = (await page.locator('.dash-item').getAttribute('data-listing-id'))!;
    for (const p of [
      '/en/dashboard',
      '/en/dashboard?tab=closed',
      '/en/dashboard/company',
      `/en/dashboard/listings/${id}/edit`,
      `/en/dashboard/listings/${id}/close`,
      '/en/dashboard/import',
      '/en/dashboard/tokens',
      '/en/dashboard/inbox',
      '/en/dashboard/analytics',
      '/en/dashboard/analytics?range=7',
      '/en/dashboard/leads',
      '/en/dashboard/favourites',
      '/en/dashboard/webhooks',
      '/en/account/password',
    ]) {
      await expectEnglishPage(p);
    }
    expect(await page.goto(server.url + '/en/dashboard/analytics?range=1').then((r) => r!.status())).not.toBe(500);
  });

  it('saves a search from the English search page and manages it in English', async () => {
    await page.goto(`${server.url}/en/search?q=${encodeURIComponent('steel pipe')}&category=steel-pipe`);
    await submit(page, 'Save search');
    expect(new URL(page.url()).pathname).toBe('/en/dashboard/saved-searches');
    const saved = await submit(page, 'Save');
    expect(saved.status()).toBe(200);
    expect(page.url()).toContain('/en/dashboard/saved-searches?done=created');
    expect(await page.locator('[data-saved-search]').count()).toBe(1);
    await expectEnglishPage('/en/dashboard/saved-searches');
  });

  it('asks for company verification in English and gets its refusal in English', async () => {
    await page.goto(server.url + '/en/dashboard/company');
    const refused = await submit(page, 'Ask for verification');
    expect(refused.status()).toBe(422);
    const text = await expectEnglishMemberPage('/en/dashboard/company/verification', refused);
    expect(await page.locator('.field-error').count()).toBeGreaterThanOrEqual(1);
    expect(text).toContain('Company verification');
  });

  it('keeps English on an error of the member area, and the Chinese dashboard stays Chinese', async () => {
    const missing = await page.goto(server.url + '/en/dashboard/listings/999999/edit');
    expect(missing!.status()).toBe(404);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await chrome()).not.toMatch(HAN);

    await page.goto(server.url + '/dashboard');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.locator('h1').textContent()).toBe('会员中心');
  });
});
