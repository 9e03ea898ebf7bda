// Saved searches in real Chromium without JavaScript, against the built server, with mail to a real SMTP server in
// this process: a buyer saves a search from /search with instant alerts and finds it in the dashboard; a supplier's
// ERP posts two fitting listings in one bulk call and the buyer gets one alert mail with both (none for the buyer's own
// fitting listing); the mail carries List-Unsubscribe, its link stops the alerts without signing in, and a mail
// program's one-click POST is accepted from anywhere; the private feed lists what was found.
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../db/schema.ts';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { openDatabase } from '../../src/server/db.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { memberWithCompany, PERSON_UA, submit } from '../helpers/forms.ts';
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
    MODERATION_NEW_MEMBER_LISTINGS: '0',
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

const member = (email: string, name: string, company: string): Promise<Page> => memberWithCompany(browser, server.url, email, name, company);

const queued = () => withSiteDb(dataDir, (db) => (db.prepare('select count(*) n from saved_search_outbox').get() as { n: number }).n);

describe('saved searches', () => {
  it('save a search from /search; two new fitting listings make one alert mail, the member own none; unsubscribe works from the mail', async () => {
    const buyer = await member('saver@example.com', '采购老周', '南昌建工物资公司');
    await buyer.goto(`${server.url}/search?q=${encodeURIComponent('螺纹钢')}&category=rebar`);
    await submit(buyer, '保存搜索');
    expect(buyer.url()).toContain('/dashboard/saved-searches?new=');
    await buyer.selectOption('[data-save-search] select[name=frequency]', 'instant');
    await buyer.fill('[data-save-search] input[name=name]', '螺纹钢货源');
    await submit(buyer, '保存');
    expect(buyer.url()).toContain('done=created');
    const saved = buyer.locator('[data-saved-search]');
    expect(await saved.count()).toBe(1);
    expect(await saved.locator('h2').textContent()).toContain('螺纹钢货源');
    expect(await saved.textContent()).toContain('建筑钢材');

    // The buyer's own fitting listing, through the form: never in the buyer's alert.
    await buyer.goto(`${server.url}/dashboard/listings/new?category=rebar`);
    await buyer.check('input[name=kind][value=supply]');
    await buyer.fill('#title', '螺纹钢 本公司库存处理');
    await buyer.fill('#description', '本公司多余库存螺纹钢，欢迎洽谈。');
    await buyer.selectOption('#region', 'xihu');
    await submit(buyer, '发布');
    expect(buyer.url()).toContain('done=created');
    await expect.poll(queued, { timeout: 20_000 }).toBe(0);

    // A supplier's ERP posts two fitting listings and one that does not fit, in one bulk call.
    await member('mill@example.com', '钢厂小吴', '萍乡钢铁销售公司');
    const site = openDatabase(path.join(dataDir, 'site.db'));
    const owner = site.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, 'mill@example.com')).get()!;
    const token = createApiToken(site, owner.id, { name: 'erp' }, Date.now()).token;
    // A verified mill: an unverified company's bulk load waits for review as one batch, and alerts wait with it.
    site.update(schema.companies).set({ verified: true, verifiedAt: Date.now() }).where(eq(schema.companies.ownerId, owner.id)).run();
    site.$client.close();
    const item = (ref: string, title: string, category: string) => ({ ref, kind: 'supply', title, category, region: '西湖区', price: '3800元/吨' });
    const res = await fetch(`${server.url}/api/v1/listings/bulk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify([item('a', 'HRB400E螺纹钢 厂家直供', 'rebar'), item('b', '三级螺纹钢 现货', 'rebar'), item('c', '无缝钢管 20#', 'steel-pipe')]),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: { status: string; listingStatus: string }[] }).items.map((i) => [i.status, i.listingStatus])).toEqual([
      ['created', 'active'],
      ['created', 'active'],
      ['created', 'active'],
    ]);
    const mail = await smtp.waitFor((m) => m.to.includes('saver@example.com'));
    expect(mail.subject).toBe('“螺纹钢货源”有 2 条新信息');
    expect(mail.text).toContain('HRB400E螺纹钢 厂家直供');
    expect(mail.text).toContain('三级螺纹钢 现货');
    expect(mail.text).not.toContain('本公司库存');
    expect(mail.text).not.toContain('无缝钢管');
    await expect.poll(queued, { timeout: 20_000 }).toBe(0);
    expect(smtp.mails.filter((m) => m.to.includes('saver@example.com'))).toHaveLength(1);

    // The dashboard shows what was found, and the private feed too (no session needed, the link is the key).
    await buyer.goto(server.url + '/dashboard/saved-searches');
    expect(await buyer.locator('[data-hit]').count()).toBe(2);
    const feedUrl = await buyer.locator('[data-feed]').getAttribute('href');
    const feed = await (await fetch(feedUrl!)).text();
    expect(feed).toContain('HRB400E螺纹钢 厂家直供');
    expect((await fetch(feedUrl!.replace(/t=[\w-]+/, 't=' + 'x'.repeat(43)))).status).toBe(403);

    // The mail's unsubscribe link, opened by someone not signed in, stops the alerts.
    const header = /^List-Unsubscribe: <([^>]+)>/im.exec(mail.raw.replace(/\r?\n[ \t]+/g, ' '))?.[1];
    expect(header).toContain('/saved-searches/unsubscribe?');
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/im);
    const visitor = await (await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA })).newPage();
    await visitor.goto(header!);
    expect(await visitor.locator('[data-unsubscribed]').textContent()).toContain('已退订“螺纹钢货源”');
    await buyer.goto(server.url + '/dashboard/saved-searches');
    expect(await buyer.locator('[data-saved-search] select[name=frequency]').inputValue()).toBe('off');
    // Undone from the same page, then stopped again the way a mail program does it: a POST from elsewhere.
    await submit(visitor, '重新订阅');
    expect(await visitor.locator('[data-resubscribed]').count()).toBe(1);
    const oneClick = await fetch(header!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    await buyer.goto(server.url + '/dashboard/saved-searches');
    expect(await buyer.locator('[data-saved-search] select[name=frequency]').inputValue()).toBe('off');
  });
});
