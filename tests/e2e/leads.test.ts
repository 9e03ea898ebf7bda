// Leads in real Chromium without JavaScript, against the built server, with mail to a real SMTP server in this
// process: a steel supplier who chose instant mail gets a lead (in the dashboard and by mail) when a buyer posts a
// matching 求购, a tea supplier gets none, and the buyer finds the matched supplier from its own listing's page;
// then keeps the supplier as a favourite and hears when its listing closes. Webhooks reach a receiver started here;
// a listing near its expiry is marked and renewed by the one-click link.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../db/schema.ts';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import type { Db } from '../../src/server/db.ts';
import { stillAvailableUrl } from '../../src/server/freshness/index.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { memberWithCompany, PERSON_UA, register, submit } from '../helpers/forms.ts';
import { withSiteDb } from '../helpers/site-db.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let server: RunningServer;
let browser: Browser;
let smtp: TestSmtpServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  smtp = await startSmtpServer();
  server = await startServer({
    DATA_DIR: dataDir,
    DEMO_LISTINGS: '0',
    SMTP_URL: smtp.url,
    MAIL_FROM: '"江西供求信息网" <noreply@example.com>',
    INQUIRY_MIN_FILL_SECONDS: '0',
    // The receiver below listens on 127.0.0.1; a one-second first retry keeps the retry inside the test.
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    WEBHOOKS_RETRY_SECONDS: '1',
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

const member = (email: string, name: string, company: string): Promise<Page> => memberWithCompany(browser, server.url, email, name, company);

async function post(page: Page, kind: 'supply' | 'demand', category: string, title: string): Promise<number> {
  await page.goto(`${server.url}/dashboard/listings/new?category=${category}`);
  await page.check(`input[name=kind][value=${kind}]`);
  await page.fill('#title', title);
  await page.selectOption('#region', 'xihu');
  await page.fill('#description', `${title}，欢迎洽谈。`);
  await submit(page, '发布');
  expect(page.url()).toContain('done=created');
  return withSiteDb(dataDir, (db) => (db.prepare('select id from listings where title = ?').get(title) as { id: number }).id);
}

/** The lead feed's listing ids, once the matcher has handled every queued listing. */
async function leadsOf(page: Page): Promise<string[]> {
  await expect.poll(() => withSiteDb(dataDir, (db) => (db.prepare('select count(*) n from match_outbox').get() as { n: number }).n), { timeout: 20_000 }).toBe(0);
  await page.goto(server.url + '/dashboard/leads');
  return page.locator('[data-lead]').evaluateAll((els) => els.map((e) => e.getAttribute('data-lead')!));
}

describe('leads', () => {
  it('reach the steel supplier, not the tea one, and the buyer sees who was matched', async () => {
    const steel = await member('steel@example.com', '钢材老王', '南昌钢材贸易有限公司');
    const steelListing = await post(steel, 'supply', 'rebar', 'HRB400螺纹钢 现货供应');
    await steel.goto(server.url + '/dashboard/leads');
    await steel.check('input[name=mail][value=instant]');
    await submit(steel, '保存');
    expect(await steel.locator('[role=status]').textContent()).toContain('已保存');
    const tea = await member('tea@example.com', '茶农老李', '婺源茶叶有限公司');
    await post(tea, 'supply', 'tea', '婺源绿茶 明前特级');
    expect(await leadsOf(steel)).toEqual([]);

    const buyer = await member('buyer@example.com', '采购小张', '南昌建工集团');
    const demand = await post(buyer, 'demand', 'rebar', '求购螺纹钢 HRB400 200吨');
    expect(await leadsOf(steel)).toEqual([String(demand)]);
    expect(await steel.locator(`[data-lead="${demand}"]`).textContent()).toContain('求购螺纹钢');
    expect(await leadsOf(tea)).toEqual([]);
    const mail = await smtp.waitFor((m) => m.to.includes('steel@example.com') && m.subject.includes('求购螺纹钢'));
    expect(mail.text).toContain(`/listing/${demand}`);

    await buyer.goto(`${server.url}/listing/${demand}`);
    await buyer.click('[data-own-matches]');
    expect(await buyer.locator('h2#for-listing').textContent()).toContain('为您匹配的供应商');
    expect(await buyer.locator('[data-match]').evaluateAll((els) => els.map((e) => e.getAttribute('data-match')))).toEqual([String(steelListing)]);
    // Another member cannot read a listing's matches.
    await tea.goto(`${server.url}/dashboard/leads?listing=${demand}`);
    expect(await tea.locator('[data-match]').count()).toBe(0);

    // The buyer keeps the supplier's listing and company; when the supplier closes it, the buyer is told.
    await buyer.goto(`${server.url}/listing/${steelListing}`);
    await buyer.click('[data-favourite]');
    expect(await buyer.locator('[role=status]').textContent()).toContain('已加入收藏');
    await buyer.goto(`${server.url}/company/${withSiteDb(dataDir, (db) => (db.prepare("select slug from companies where name = '南昌钢材贸易有限公司'").get() as { slug: string }).slug)}`);
    await buyer.click('[data-favourite-company]');
    expect(await buyer.locator('[data-favourite-company]').textContent()).toContain('南昌钢材贸易有限公司');
    await steel.goto(server.url + '/dashboard');
    await steel.click(`form[action="/dashboard/listings/${steelListing}/close"] button`);
    const news = await smtp.waitFor((m) => m.to.includes('buyer@example.com') && m.subject.includes('已不再有效'));
    expect(news.text).toContain(`/listing/${steelListing}`);
    await buyer.goto(server.url + '/dashboard/favourites');
    expect(await buyer.locator(`[data-favourite-listing="${steelListing}"] [data-news=gone]`).count()).toBe(1);
    await buyer.click(`[data-favourite-listing="${steelListing}"] button`);
    expect(await buyer.locator('[data-favourite-listing]').count()).toBe(0);
  });
});

describe('webhooks', () => {
  it('a receiver gets a signed inquiry.created, fails once, gets the retry; the log shows the status code; redeliver sends it again', async () => {
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.statusCode = got.length === 1 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const seller = await member('hooks@example.com', '王经理', '南昌五金机电有限公司');
      const listingId = await post(seller, 'supply', 'fasteners', '不锈钢螺栓 M12');
      await seller.goto(server.url + '/dashboard/webhooks');
      await seller.fill('#url', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
      await seller.uncheck('input[name="event:lead.created"]');
      await submit(seller, '添加地址');
      expect(await seller.locator('[role=status]').textContent()).toContain('已添加');
      const secret = (await seller.locator('[data-secret]').textContent())!;

      const buyer = await member('hooks-buyer@example.com', '赵采购', '九江机械厂');
      await buyer.goto(`${server.url}/listing/${listingId}`);
      await buyer.fill('#message', '请报 M12 螺栓 1 万套的价格。');
      await submit(buyer, '发送询价');
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(2);
      expect(got[0]!.headers['x-webhook-id']).toBe(got[1]!.headers['x-webhook-id']);
      for (const g of got) {
        const expected = 'v1=' + createHmac('sha256', secret).update(`${g.headers['x-webhook-timestamp']}.${g.body}`).digest('hex');
        expect(g.headers['x-webhook-signature']).toBe(expected);
      }
      expect(JSON.parse(got[1]!.body)).toMatchObject({ event: 'inquiry.created', data: { listingId, message: '请报 M12 螺栓 1 万套的价格。' } });
      await seller.goto(server.url + '/dashboard/webhooks');
      expect(await seller.locator('[data-delivery] [data-code]').first().textContent()).toBe('204');
      expect(await seller.locator('[data-delivery]').first().getAttribute('data-status')).toBe('delivered');
      // Redeliver from the log: a third request with the same id.
      await seller.click('[data-delivery] button');
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(3);
      expect(got[2]!.headers['x-webhook-id']).toBe(got[0]!.headers['x-webhook-id']);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('a private address is refused with a message, the URL kept in the form', async () => {
    const strict = await startServer({ DATA_DIR: path.join(tempDir(), 'data'), DEMO_LISTINGS: '0' });
    try {
      const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA });
      const page = await context.newPage();
      await register(page, strict.url, 'strict@example.com', '严格');
      await page.goto(strict.url + '/dashboard/company');
      await page.fill('#name', '严格测试有限公司');
      await page.selectOption('#region', 'xihu');
      await page.fill('#phone', '0791-8888888');
      await submit(page, '保存');
      await page.goto(strict.url + '/dashboard/webhooks');
      await page.fill('#url', 'http://169.254.169.254/latest/meta-data');
      const res = await submit(page, '添加地址');
      expect(res.status()).toBe(422);
      expect(await page.locator('.field-error').first().textContent()).toContain('内网');
      expect(await page.inputValue('#url')).toBe('http://169.254.169.254/latest/meta-data');
      expect(await page.locator('[data-endpoint]').count()).toBe(0);
      await context.close();
    } finally {
      await strict.stop();
    }
  });
});

describe('freshness', () => {
  it('a listing near its expiry is marked in the dashboard; the mailed one-click link renews it; its page says when it was confirmed', async () => {
    const seller = await member('fresh@example.com', '周老板', '赣州稀土贸易有限公司');
    const id = await post(seller, 'supply', 'rare-earth', '氧化镨钕 现货');
    const DAY = 86_400_000;
    // Published eight days ago with a 10-day validity: it expires in two days.
    const published = Date.now() - 8 * DAY;
    withSiteDb(dataDir, (db) => db.prepare('update listings set published_at = ?, expires_at = ? where id = ?').run(published, published + 10 * DAY, id), { readonly: false });
    await seller.goto(server.url + '/dashboard');
    expect(await seller.locator(`[data-listing-id="${id}"] [data-expiring]`).textContent()).toContain('3 天内到期');
    await seller.goto(`${server.url}/listing/${id}`);
    expect(await seller.locator('[data-confirmed]').textContent()).toContain('8 天前确认有效');

    // The link the reminder mails (made by the same function, with the site's own key).
    const expiresAt = published + 10 * DAY;
    const link = withSiteDb(dataDir, (raw) => stillAvailableUrl(drizzle(raw, { schema }) as unknown as Db, id, expiresAt), { readonly: false });
    const visitor = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA });
    const page = await visitor.newPage();
    await page.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
    expect(await page.locator('[data-renewed]').getAttribute('data-renewed')).toBe('true');
    expect(await page.locator('[role=status]').textContent()).toContain('已确认');
    await page.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
    expect(await page.locator('[role=status]').textContent()).toContain('已经续期');
    const forged = await page.goto(link.replace(/^https?:\/\/[^/]+/, server.url).replace(/s=[^&]+/, 's=forgedforgedforged'));
    expect(forged!.status()).toBe(422);
    expect(await page.locator('[role=alert]').textContent()).toContain('链接无效');
    await page.goto(`${server.url}/listing/${id}`);
    expect(await page.locator('[data-confirmed]').textContent()).toContain('今天确认有效');
    await visitor.close();
  });
});

describe('the buy-lead board', () => {
  it('lists live 求购 listings in both languages, noindex when filtered, with a feed per choice', async () => {
    const page = await (await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA })).newPage();
    const demand = withSiteDb(dataDir, (db) => db.prepare("select id from listings where kind = 'demand' and status = 'active' order by id limit 1").get() as { id: number });
    await page.goto(server.url + '/leads');
    expect(await page.locator('h1').textContent()).toBe('求购信息大厅');
    expect(await page.locator(`a[href^="/listing/${demand.id}-"]`).count()).toBe(1);
    expect(await page.locator('meta[name=robots]').count()).toBe(0);
    expect(await page.locator('link[rel=canonical]').getAttribute('href')).toMatch(/\/leads$/);
    await page.click('text=钢材与金属制品');
    expect(page.url()).toContain('/leads?category=steel');
    expect(await page.locator('meta[name=robots]').getAttribute('content')).toContain('noindex');
    expect(await page.locator(`a[href^="/listing/${demand.id}-"]`).count()).toBe(1);
    const feed = await page.locator('link[rel=alternate][type="application/rss+xml"]').getAttribute('href');
    expect(feed).toBe('/feeds/leads.xml?category=steel');
    const xml = await (await fetch(server.url + feed)).text();
    expect(xml).toContain(`/listing/${demand.id}-`);
    await page.goto(server.url + '/en/leads');
    expect(await page.locator('h1').textContent()).toBe('Buying leads');
    expect((await fetch(server.url + '/leads?region=atlantis')).status).toBe(404);
  });
});
