// Inquiries in real Chromium without JavaScript, against the built server, with mail going to a real SMTP server in
// this process: a visitor inquires and confirms by mail, the seller answers from the inbox, the visitor answers
// through the private link, a member quotes on a buying lead, a third member cannot read either thread, the limits
// answer with a clear message, and typed markup stays text in pages and mails.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { register as registerAt, submit } from '../helpers/forms.ts';
import { tempDir } from '../helpers/db.ts';
import { withSiteDb } from '../helpers/site-db.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp.ts';

const SCRIPT = '<script>alert(1)</script>';
const PERSON_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let server: RunningServer;
let browser: Browser;
let smtp: TestSmtpServer;
let dataDir: string;

interface Person {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
}

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  smtp = await startSmtpServer();
  // The 3-second minimum fill time is tested in the domain with a driven clock; here it would only slow every form.
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', SMTP_URL: smtp.url, MAIL_FROM: '"江西供求信息网" <noreply@example.com>', INQUIRY_MIN_FILL_SECONDS: '0' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

function sql<T>(query: string, ...params: unknown[]): T[] {
  return withSiteDb(dataDir, (db) => db.prepare(query).all(...params) as T[]);
}

async function person(): Promise<Person> {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', userAgent: PERSON_UA });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { context, page, dialogs };
}

const register = (page: Page, email: string, name: string) => registerAt(page, server.url, email, name);

async function createCompany(page: Page, name: string, phone: string) {
  await page.goto(server.url + '/dashboard/company');
  await page.fill('#name', name);
  await page.selectOption('#region', 'xihu');
  await page.fill('#phone', phone);
  await submit(page, '保存');
  expect(page.url()).toContain('/dashboard?done=company');
}

async function post(page: Page, kind: 'supply' | 'demand', title: string): Promise<string> {
  await page.goto(server.url + '/dashboard/listings/new?category=grain-oil');
  await page.check(`input[name=kind][value=${kind}]`);
  await page.fill('#title', title);
  await page.selectOption('#region', 'xihu');
  await page.fill('#priceUnit', '吨');
  await page.fill('#description', `${title}，欢迎洽谈。`);
  await submit(page, '发布');
  expect(page.url()).toContain('done=created');
  const id = sql<{ id: number }>('select id from listings where title = ?', title)[0]!.id;
  return `/listing/${id}`;
}

const linkIn = (mail: ReceivedMail, pathPart: string) => {
  const url = mail.text.split(/\s+/).find((w) => w.includes(pathPart));
  if (!url) throw new Error(`no ${pathPart} link in: ${mail.text}`);
  return new URL(url).pathname + new URL(url).search;
};

describe('inquiries', () => {
  let seller: Person;
  let buyer: Person;
  let visitor: Person;
  let supplyPath = '';
  let demandPath = '';
  let visitorThread = '';
  let privateLink = '';
  let quoteThread = '';

  beforeAll(async () => {
    seller = await person();
    buyer = await person();
    visitor = await person();
    await register(seller.page, 'seller@example.com', '王经理');
    await createCompany(seller.page, '南昌西湖粮油贸易有限公司', '0791-86123456');
    supplyPath = await post(seller.page, 'supply', '供应五常稻花香大米');
    await register(buyer.page, 'buyer@example.com', '李采购');
    await createCompany(buyer.page, '九江食品加工厂', '0792-8223344');
    demandPath = await post(buyer.page, 'demand', '求购东北大豆 100 吨');
  });

  it('a visitor inquires on a supply listing: an error keeps what was typed, the confirmation mail arrives, its link delivers the inquiry', async () => {
    const page = visitor.page;
    await page.goto(server.url + supplyPath);
    expect(await page.locator('#inquiry-heading').textContent()).toBe('向卖家询价');
    await page.fill('#quantity', '50');
    await page.fill('#targetPrice', '4.2');
    await page.fill('#message', `想要 50 吨 ${SCRIPT}`);
    await page.fill('#contactName', `张先生${SCRIPT}`.slice(0, 40));
    await page.fill('#phone', '13812345678');
    const refused = await submit(page, '发送询价');
    expect(refused.status()).toBe(422);
    expect(await page.locator('.field.invalid .field-error').textContent()).toBe('请填写电子邮箱：确认邮件和对方的回复会发到这里');
    expect(await page.inputValue('#message')).toBe(`想要 50 吨 ${SCRIPT}`);
    expect(await page.inputValue('#quantity')).toBe('50');
    await page.fill('#email', 'zhang@example.com');
    const sent = await submit(page, '发送询价');
    expect(sent.status()).toBe(200);
    expect(await page.locator('.form-success').textContent()).toContain('zhang@example.com');

    const confirm = await smtp.waitFor((m) => m.to.includes('zhang@example.com') && m.subject.startsWith('请确认'));
    expect(confirm.subject).toBe('请确认：询价：供应五常稻花香大米');
    expect(confirm.html).not.toContain('<script>');
    // Not delivered yet: the seller has nothing.
    expect(sql<{ n: number }>("select count(*) n from inquiry_threads where status = 'open'")[0]!.n).toBe(0);

    await page.goto(server.url + linkIn(confirm, '/inquiries/confirm'));
    await submit(page, '确认发送');
    expect(new URL(page.url()).pathname).toMatch(/^\/inquiry\/\d+$/);
    visitorThread = new URL(page.url()).pathname;
    privateLink = new URL(page.url()).pathname + new URL(page.url()).search;
    expect(await page.locator('.message-body').first().textContent()).toBe(`想要 50 吨 ${SCRIPT}`);
    // Inside the thread the company's phone is shown.
    expect(await page.locator('.contact').textContent()).toContain('0791-86123456');
    const linkMail = await smtp.waitFor((m) => m.to.includes('zhang@example.com') && m.subject.startsWith('您的对话链接'));
    expect(linkIn(linkMail, '/inquiry/')).toBe(privateLink);
  });

  it('the seller sees it in the inbox with the unread count, reads it and replies; the reply mail reaches the visitor', async () => {
    const page = seller.page;
    const newMail = await smtp.waitFor((m) => m.to.includes('seller@example.com') && m.subject.startsWith('新询价'));
    expect(newMail.text).toContain(`想要 50 吨 ${SCRIPT}`);
    expect(newMail.html).toContain('&lt;script&gt;');
    expect(newMail.html).not.toContain('<script>');
    await page.goto(server.url + '/dashboard');
    expect(await page.locator('.unread-count').textContent()).toBe('1');
    await page.locator('.inbox-link').click();
    const item = page.locator('.inbox-item.unread');
    expect(await item.count()).toBe(1);
    expect(await item.textContent()).toContain(`张先生${SCRIPT}`);
    expect(await item.textContent()).toContain('供应五常稻花香大米');
    await item.locator('h3 a').click();
    expect(await page.locator('.contact').textContent()).toContain('13812345678');
    expect(await page.locator('.contact').textContent()).toContain('zhang@example.com');
    expect(await page.locator('.contact').textContent()).toContain(`张先生${SCRIPT}`);
    expect(await page.locator('.unread-count').count()).toBe(0);
    await page.fill('#message', `您好，4.5 元/斤含税 ${SCRIPT}`);
    await submit(page, '发送回复');
    expect(await page.locator('.form-success').textContent()).toBe('回复已发送。');
    expect(await page.locator('.message-body').last().textContent()).toBe(`您好，4.5 元/斤含税 ${SCRIPT}`);

    const reply = await smtp.waitFor((m) => m.to.includes('zhang@example.com') && m.subject.startsWith('新回复'));
    expect(reply.text).toContain(`您好，4.5 元/斤含税 ${SCRIPT}`);
    expect(reply.html).not.toContain('<script>');
    expect(linkIn(reply, '/inquiry/')).toBe(privateLink);
  });

  it('the visitor replies through the private link; the seller is told', async () => {
    const page = visitor.page;
    await page.goto(server.url + privateLink);
    await page.fill('#message', '好的，请发合同。');
    await submit(page, '发送回复');
    expect(await page.locator('.message-body').last().textContent()).toBe('好的，请发合同。');
    await smtp.waitFor((m) => m.to.includes('seller@example.com') && m.subject.startsWith('新回复') && m.text.includes('好的，请发合同。'));
    await seller.page.goto(server.url + '/dashboard/inbox?f=unread');
    expect(await seller.page.locator('.inbox-item').count()).toBe(1);
  });

  it('a member quotes on a demand listing and lands in the thread; the buyer is mailed', async () => {
    const page = seller.page;
    await page.goto(server.url + demandPath);
    expect(await page.locator('#inquiry-heading').textContent()).toBe('向买家报价');
    await page.fill('#priceMin', '3.1');
    await page.fill('#priceMax', '3.3');
    await page.fill('#deliveryTime', `下单后 7 天内${SCRIPT}`);
    await page.fill('#quantityUnit', `吨${SCRIPT}`.slice(0, 10));
    await page.fill('#message', '可供东北大豆 100 吨，质量保证。');
    await submit(page, '发送报价');
    expect(new URL(page.url()).pathname).toMatch(/^\/dashboard\/inbox\/\d+$/);
    quoteThread = new URL(page.url()).pathname;
    expect(await page.locator('.form-success').textContent()).toContain('报价已送达');
    expect(await page.locator('.thread-facts').textContent()).toContain('3.10–3.30 元/吨');
    expect(await page.locator('.thread-facts').textContent()).toContain(`下单后 7 天内${SCRIPT}`);
    const quoteMail = await smtp.waitFor((m) => m.to.includes('buyer@example.com') && m.subject.startsWith('新报价'));
    expect(quoteMail.text).toContain(`交货时间: 下单后 7 天内${SCRIPT}`);
    expect(quoteMail.html).toContain('下单后 7 天内&lt;script&gt;');
    expect(quoteMail.html).not.toContain('<script>');
    // The buyer cannot quote on their own buying lead: no form there.
    await buyer.page.goto(server.url + demandPath);
    expect(await buyer.page.locator('#inquiry-heading').count()).toBe(0);
  });

  it('a third member gets 404 on both threads, and a wrong private key too', async () => {
    const third = await person();
    await register(third.page, 'third@example.com', '赵第三');
    const visitorThreadId = visitorThread.split('/').pop();
    for (const url of [`/dashboard/inbox/${visitorThreadId}`, quoteThread, `${visitorThread}?k=${'A'.repeat(43)}`]) {
      const res = await third.page.goto(server.url + url);
      expect(res!.status(), url).toBe(404);
      expect(await third.page.locator('body').textContent()).not.toContain('想要 50 吨');
    }
    const res = await third.context.request.post(`${server.url}${quoteThread}`, {
      headers: { Origin: server.url },
      form: { action: 'reply', message: '我也来插一句话' },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(404);
    expect(sql<{ n: number }>("select count(*) n from inquiry_messages where body = '我也来插一句话'")[0]!.n).toBe(0);
    await third.context.close();
  });

  it('limits answer with a clear message: a visitor email past 5 an hour, a filled honeypot', async () => {
    const page = (await person()).page;
    const ask = async () => {
      await page.goto(server.url + supplyPath);
      await page.fill('#message', '请问最低价多少？');
      await page.fill('#contactName', '钱女士');
      await page.fill('#email', 'qian@example.com');
      return submit(page, '发送询价');
    };
    for (let i = 0; i < 5; i++) expect((await ask()).status()).toBe(200);
    const limited = await ask();
    expect(limited.status()).toBe(429);
    expect(await page.locator('.form-error').textContent()).toMatch(/^发送太频繁：每小时可发送的询价已达上限，请 \d+ 分钟后再试。您填写的内容已保留。$/);
    expect(await page.inputValue('#message')).toBe('请问最低价多少？');

    // A bot posts every field it finds, the hidden one too.
    await page.goto(server.url + supplyPath);
    const started = await page.locator('input[name=started]').inputValue();
    const action = await page.locator('.inquiry-form form').getAttribute('action');
    const bot = await page.context().request.post(server.url + action, {
      headers: { Origin: server.url },
      form: { started, message: '机器人的消息', contactName: 'bot', email: 'bot@example.com', website: 'http://spam.example' },
    });
    expect(bot.status()).toBe(422);
    await page.setContent(await bot.text());
    expect(await page.locator('.form-error').textContent()).toContain('表单中有一项不应填写的内容');
  });

  it('the phone is not in the listing or company page HTML (nor their JSON-LD); 查看电话 shows it and is counted', async () => {
    const page = (await person()).page;
    const res = await page.goto(server.url + supplyPath);
    expect(await res!.text()).not.toContain('86123456');
    const before = sql<{ n: number }>('select coalesce(sum(reveals), 0) n from listing_daily_stats')[0]!.n;
    await submit(page, '查看电话');
    expect(new URL(page.url()).pathname).toMatch(/^\/company\/.+\/contact$/);
    expect(await page.locator('.company-card').textContent()).toContain('0791-86123456');
    expect(sql<{ n: number }>('select coalesce(sum(reveals), 0) n from listing_daily_stats')[0]!.n).toBe(before + 1);
    await page.getByRole('link', { name: '返回' }).click();
    expect(new URL(page.url()).pathname.startsWith(`${supplyPath}-`)).toBe(true);
    const slug = sql<{ slug: string }>("select slug from companies where name = '南昌西湖粮油贸易有限公司'")[0]!.slug;
    const companyPage = await page.goto(`${server.url}/company/${slug}`);
    expect(await companyPage!.text()).not.toContain('86123456');
    // One inquiry received, answered: the response figures say so.
    expect(await page.locator('.response-rate').textContent()).toMatch(/^100%/);
    expect(await page.locator('.response-time').textContent()).toMatch(/^通常 \d+ 分钟内$/);
  });

  it('the seller’s analytics show what happened, as SVG charts and as CSV', async () => {
    const page = seller.page;
    await page.goto(server.url + '/dashboard/analytics?range=7');
    const total = (m: string) => page.locator(`dd[data-metric=${m}]`).textContent();
    expect(await total('inquiries')).toBe('1');
    expect(await total('replies')).toBe('1');
    expect(await total('reveals')).toBe('1');
    expect(await page.locator('svg[role=img]').count()).toBe(4);
    expect(await page.locator('svg[role=img] title').first().textContent()).toBe('浏览');
    const csv = await page.context().request.get(server.url + '/dashboard/analytics.csv?range=7');
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^\d{4}-\d{2}-\d{2},南昌西湖粮油贸易有限公司,\d+,1,1,1$/);
  });

  it('no typed script ever ran', () => {
    for (const p of [seller, buyer, visitor]) expect(p.dialogs).toEqual([]);
  });
});
