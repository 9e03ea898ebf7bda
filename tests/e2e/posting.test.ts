// A business owner in real Chromium, without JavaScript, against the built server: register, create the company,
// post a listing with two images, see it in public, edit it, close it, sign out. Then what another member and a
// hostile text can (not) do.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { register as registerAt, submit } from '../helpers/forms.ts';
import { tempDir } from '../helpers/db.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  // Views are written only when the server stops (VIEW_FLUSH_MS=0): no timer writes to a listing between two looks at
  // it, so "nothing changed" means what the test did (tests/e2e/shutdown.test.ts checks the write at the stop).
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', VIEW_FLUSH_MS: '0' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

function sql<T>(query: string, ...params: unknown[]): T[] {
  return withSiteDb(dataDir, (db) => db.prepare(query).all(...params) as T[]);
}

const jpeg = (colour: string) =>
  sharp({ create: { width: 900, height: 600, channels: 3, background: colour } }).jpeg({ quality: 80 }).toBuffer();

interface Member {
  context: BrowserContext;
  page: Page;
}

// Headless Chromium says so in its user agent, and crawlers' and tools' views are not counted: look like a person.
const PERSON_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

async function newMember(): Promise<Member> {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA });
  return { context, page: await context.newPage() };
}

const register = (page: Page, email: string, name: string) => registerAt(page, server.url, email, name);

async function createCompany(page: Page, name: string, extra: Record<string, string> = {}, logo?: Buffer) {
  await page.goto(server.url + '/dashboard/company');
  await page.fill('#name', name);
  await page.selectOption('#region', 'xihu');
  await page.fill('#phone', '13812345678');
  for (const [field, value] of Object.entries(extra)) await page.fill(`#${field}`, value);
  if (logo) await page.setInputFiles('#logo', { name: 'logo.jpg', mimeType: 'image/jpeg', buffer: logo });
  const res = await submit(page, '保存');
  expect(res.status()).toBe(200);
  expect(page.url()).toContain('/dashboard?done=company');
}

describe('posting a listing', () => {
  let owner: Member;
  let listingPath = '';

  beforeAll(async () => {
    owner = await newMember();
  });

  it('a new member is asked to create the company first, then creates it', async () => {
    await register(owner.page, 'owner@example.com', '王经理');
    expect(await owner.page.locator('main').textContent()).toContain('请先创建您的企业');
    expect((await owner.page.goto(server.url + '/dashboard'))!.headers()['cache-control']).toBe('private, no-store');
    expect(await owner.page.locator('meta[name=robots]').getAttribute('content')).toContain('noindex');
    await createCompany(owner.page, '南昌西湖粮油贸易有限公司', { phone: '0791-86123456', contactName: '王经理' }, await jpeg('#080'));
    expect(await owner.page.locator('main').textContent()).toContain('南昌西湖粮油贸易有限公司');
  });

  it('picks the category, gets a form with its attributes, keeps what was typed through an error, and publishes with two images', async () => {
    const page = owner.page;
    await page.getByRole('link', { name: '发布新信息' }).click();
    await page.selectOption('#category', 'grain-oil');
    await submit(page, '下一步');
    expect(page.url()).toContain('category=grain-oil');
    expect(await page.locator('#attr-grade option').count()).toBeGreaterThan(2);

    await page.check('input[name=kind][value=supply]');
    await page.fill('#title', '供应五常稻花香大米');
    await page.selectOption('#region', 'xihu');
    await page.selectOption('#attr-grade', '一级');
    await page.fill('#attr-origin', '黑龙江五常');
    await page.check('input[name=priceType][value=range]');
    await page.fill('#priceMin', '5.8');
    await page.fill('#priceMax', '4');
    await page.fill('#priceUnit', '斤');
    await page.fill('#quantity', '200');
    await page.fill('#quantityUnit', '吨');
    await page.fill('#description', '新米上市，产地直发。');
    await page.setInputFiles('input[name=images]', [
      { name: 'red.jpg', mimeType: 'image/jpeg', buffer: await jpeg('#c00') },
      { name: 'blue.jpg', mimeType: 'image/jpeg', buffer: await jpeg('#00c') },
    ]);
    const refused = await submit(page, '发布');
    expect(refused.status()).toBe(422);
    expect(await page.locator('.field.invalid .field-error').textContent()).toBe('最高价不能低于最低价');
    // Everything typed is still there, the chosen category and attributes too, and the images are kept.
    expect(await page.inputValue('#title')).toBe('供应五常稻花香大米');
    expect(await page.inputValue('#attr-grade')).toBe('一级');
    expect(await page.inputValue('#attr-origin')).toBe('黑龙江五常');
    expect(await page.inputValue('#region')).toBe('xihu');
    expect(await page.isChecked('input[name=priceType][value=range]')).toBe(true);
    expect(await page.locator('input[name=category]').inputValue()).toBe('grain-oil');
    expect(await page.locator('.image-input .images li').count()).toBe(2);

    await page.fill('#priceMax', '6.5');
    const published = await submit(page, '发布');
    expect(published.status()).toBe(200);
    expect(page.url()).toContain('/dashboard?done=created');
    const row = page.locator('.dash-item', { hasText: '供应五常稻花香大米' });
    expect(await row.count()).toBe(1);
    listingPath = (await row.locator('h3 a').getAttribute('href'))!;
  });

  it('shows the listing on its public page with both images (srcset) and on its region page', async () => {
    const visitor = await newMember();
    await visitor.page.goto(server.url + listingPath);
    expect(await visitor.page.locator('h1').textContent()).toContain('供应五常稻花香大米');
    expect(await visitor.page.locator('.big-price').textContent()).toBe('5.80–6.50 元/斤');
    const images = visitor.page.locator('.gallery-slide img');
    expect(await images.count()).toBe(2);
    for (const img of await images.all()) expect(await img.getAttribute('srcset')).toMatch(/-320\.webp 320w.*-800\.webp 800w/);
    // The gallery shows one photo in a fixed frame; a thumbnail (a plain link, no JavaScript here) brings up its photo.
    const frame = visitor.page.locator('.gallery-main');
    const box = (await frame.boundingBox())!;
    expect(Math.round((box.width * 3) / 4)).toBeCloseTo(Math.round(box.height), -1);
    expect(await frame.evaluate((el) => el.scrollLeft)).toBe(0);
    await visitor.page.getByRole('link', { name: '看第 2 张图片' }).click();
    expect(new URL(visitor.page.url()).hash).toBe('#photo-2');
    expect(await frame.evaluate((el) => el.scrollLeft)).toBeCloseTo(box.width, -1);
    expect(await visitor.page.locator('[data-views]').textContent()).toMatch(/^浏览 \d+ 次$/);
    expect(await visitor.page.locator('.company-card img').getAttribute('src')).toMatch(/^\/media\/[0-9a-f]{64}-320\.webp$/);
    const res = await visitor.page.goto(server.url + (await images.first().getAttribute('src'))!);
    expect(res!.status()).toBe(200);
    await visitor.page.goto(server.url + '/region/xihu');
    expect(await visitor.page.locator('.listing-card', { hasText: '供应五常稻花香大米' }).count()).toBe(1);
    await visitor.page.goto(server.url + listingPath);
    await visitor.context.close();
  });

  it('suggests the category from a typed title, preselected and changeable, and carries the title on', async () => {
    const page = owner.page;
    await page.goto(server.url + '/dashboard/listings/new');
    await page.fill('#title', '供应稻花香大米 新米上市');
    await submit(page, '按标题推荐分类');
    expect(await page.locator('#suggested').textContent()).toContain('粮油');
    expect(await page.locator('#category').inputValue()).toBe('grain-oil');
    // The suggestion is a choice, not a decision.
    await page.selectOption('#category', 'tea');
    await submit(page, '下一步');
    expect(page.url()).toContain('category=tea');
    expect(await page.inputValue('#title')).toBe('供应稻花香大米 新米上市');
  });

  it('counts the visitor views (not the owner own) and shows them on the dashboard before they are written', async () => {
    await owner.page.goto(server.url + listingPath);
    const id = Number(/\/listing\/(\d+)/.exec(listingPath)![1]);
    // Counted in memory, not yet written: the dashboard adds them to the stored figure.
    expect(sql<{ views: number }>('select views from listings where id = ?', id)[0]!.views).toBe(0);
    await owner.page.goto(server.url + '/dashboard');
    expect(await owner.page.locator('.dash-item', { hasText: '供应五常稻花香大米' }).textContent()).toContain('浏览 2 次');
  });

  it('edits the listing', async () => {
    const page = owner.page;
    await page.goto(server.url + '/dashboard');
    await page.locator('.dash-item', { hasText: '供应五常稻花香大米' }).getByRole('link', { name: '修改' }).click();
    expect(await page.inputValue('#priceMin')).toBe('5.80');
    await page.fill('#title', '供应五常稻花香大米 新米');
    await submit(page, '保存修改');
    expect(page.url()).toContain('/dashboard?done=updated');
    await page.goto(server.url + listingPath);
    expect(await page.locator('h1').textContent()).toContain('供应五常稻花香大米 新米');
    expect(await page.locator('.gallery-slide img').count()).toBe(2);
  });

  it('closes the listing: its page shows the closed notice', async () => {
    const page = owner.page;
    await page.goto(server.url + '/dashboard');
    await page.locator('.dash-item', { hasText: '供应五常稻花香大米' }).getByRole('button', { name: '关闭' }).click();
    await page.waitForURL(/done=closed/);
    expect(await page.locator('.form-success').textContent()).toContain('信息已关闭');
    await page.goto(server.url + '/dashboard?tab=closed');
    expect(await page.locator('.dash-item', { hasText: '供应五常稻花香大米' }).count()).toBe(1);
    const visitor = await newMember();
    await visitor.page.goto(server.url + listingPath);
    expect(await visitor.page.locator('.notice').textContent()).toContain('此信息已被发布者关闭');
    await visitor.context.close();
  });

  it('deletes after a confirmation: the page is gone (410)', async () => {
    const page = owner.page;
    await page.goto(server.url + '/dashboard?tab=closed');
    await page.locator('.dash-item').first().getByRole('link', { name: '删除' }).click();
    expect(await page.locator('h1').textContent()).toBe('删除这条信息？');
    await submit(page, '确认删除');
    expect(page.url()).toContain('done=deleted');
    const res = await page.goto(server.url + listingPath);
    expect(res!.status()).toBe(410);
  });

  it('signs out', async () => {
    const page = owner.page;
    await page.goto(server.url + '/dashboard');
    await submit(page, '退出');
    const res = await page.goto(server.url + '/dashboard');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(res!.status()).toBe(200);
  });
});

describe('another member and hostile text', () => {
  let alice: Member;
  let bob: Member;
  let aliceListingId = 0;

  beforeAll(async () => {
    alice = await newMember();
    bob = await newMember();
    await register(alice.page, 'alice@example.com', '艾丽斯');
    await createCompany(alice.page, `${SCRIPT}公司`, { address: IMG, contactName: SCRIPT.slice(0, 20), mainProducts: IMG, description: `${SCRIPT}\n${IMG}` });
    await alice.page.goto(server.url + '/dashboard/listings/new?category=grain-oil');
    await alice.page.check('input[name=kind][value=demand]');
    await alice.page.fill('#title', SCRIPT);
    await alice.page.selectOption('#region', 'xihu');
    await alice.page.fill('#attr-origin', IMG.slice(0, 30));
    await alice.page.fill('#priceUnit', '吨');
    await alice.page.fill('#description', `${SCRIPT} ${IMG}`);
    await submit(alice.page, '发布');
    expect(alice.page.url()).toContain('done=created');
    aliceListingId = sql<{ id: number }>('select id from listings where title = ?', SCRIPT)[0]!.id;
    await register(bob.page, 'bob@example.com', '鲍勃');
    await createCompany(bob.page, '鲍勃贸易有限公司');
  });

  it('shows the payloads as text on the listing, company, region pages and the dashboard', async () => {
    const visitor = await newMember();
    const company = sql<{ slug: string }>('select slug from companies where owner_id = (select id from users where email = ?)', 'alice@example.com')[0]!;
    for (const [page, url] of [
      [visitor.page, `/listing/${aliceListingId}`],
      [visitor.page, `/company/${company.slug}`],
      [visitor.page, '/region/xihu'],
      [alice.page, '/dashboard'],
      [alice.page, `/dashboard/listings/${aliceListingId}/edit`],
      [alice.page, '/dashboard/company'],
    ] as const) {
      const res = await page.goto(server.url + url);
      expect(res!.status(), url).toBe(200);
      expect(await page.locator('img[src=x]').count(), url).toBe(0);
      const scripts = await page.locator('script:not([type="application/ld+json"])').allTextContents();
      expect(scripts.some((s) => s.includes('alert(1)')), url).toBe(false);
      // Structured data carries the text as data: escaped so it can never close its script element.
      for (const data of await page.locator('script[type="application/ld+json"]').allTextContents()) {
        expect(data, url).not.toContain('<');
        expect(() => JSON.parse(data), url).not.toThrow();
      }
      expect(await page.locator('body').textContent(), url).toContain(SCRIPT);
    }
    await visitor.context.close();
  });

  it("another member's listing: edit, confirm pages and every POST answer 403 and change nothing", async () => {
    const before = sql('select * from listings where id = ?', aliceListingId);
    for (const action of ['edit', 'close', 'renew', 'delete']) {
      const res = await bob.page.goto(`${server.url}/dashboard/listings/${aliceListingId}/${action}`);
      expect(res!.status(), action).toBe(403);
    }
    for (const action of ['edit', 'close', 'renew', 'delete']) {
      const res = await bob.context.request.post(`${server.url}/dashboard/listings/${aliceListingId}/${action}`, {
        headers: { Origin: server.url },
        multipart: { title: '改掉别人的标题', category: 'grain-oil', kind: 'supply', region: 'xihu' },
        maxRedirects: 0,
      });
      expect(res.status(), action).toBe(403);
    }
    expect(sql('select * from listings where id = ?', aliceListingId)).toEqual(before);
    expect((await bob.page.goto(`${server.url}/dashboard/listings/987654/edit`))!.status()).toBe(404);
  });

  it('refuses a cross-site POST of an action', async () => {
    const res = await alice.context.request.post(`${server.url}/dashboard/listings/${aliceListingId}/delete`, {
      headers: { Origin: 'https://evil.example' },
      form: {},
      maxRedirects: 0,
    });
    expect(res.status()).toBe(403);
    expect(sql<{ status: string }>('select status from listings where id = ?', aliceListingId)[0]!.status).toBe('active');
  });

  it('a visitor is sent to sign in', async () => {
    const visitor = await newMember();
    await visitor.page.goto(server.url + '/dashboard/listings/new');
    expect(new URL(visitor.page.url()).pathname).toBe('/login');
    await visitor.context.close();
  });
});
