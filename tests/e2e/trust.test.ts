// Trust and moderation in real Chromium against the built server (issue 14): a new member's first listing waits for
// review, invisible to visitors and search, until an administrator approves it; three reporters hide it again; a re-post is refused with a link to
// the original; a prohibited word with spaces inserted is refused; a suspension takes a company off the site and
// its API token answers 401; every admin action is in the audit log; and
// nobody but an administrator finds /admin.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { register as registerAt, submit, TEST_PASSWORD } from '../helpers/forms.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', MODERATION_NEW_MEMBER_LISTINGS: '1', DUPLICATE_CHECK: 'true' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Person {
  context: BrowserContext;
  page: Page;
}

async function person(): Promise<Person> {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  return { context, page: await context.newPage() };
}

async function createCompany(page: Page, name: string) {
  await page.goto(server.url + '/dashboard/company');
  await page.fill('#name', name);
  await page.selectOption('#region', 'xihu');
  await page.fill('#phone', '13812345678');
  await submit(page, '保存');
  expect(page.url()).toContain('/dashboard?done=company');
}

const DESCRIPTION = '20#无缝钢管，现货库存充足，可切割零售，质保书齐全，支持第三方检测。';

async function postListing(page: Page, title: string, description = DESCRIPTION) {
  await page.goto(server.url + '/dashboard/listings/new');
  await page.selectOption('#category', 'grain-oil');
  await submit(page, '下一步');
  await page.check('input[name=kind][value=supply]');
  await page.fill('#title', title);
  await page.selectOption('#region', 'xihu');
  await page.check('input[name=priceType][value=negotiable]');
  await page.fill('#description', description);
  return submit(page, '发布');
}

/** Ticks the confirmation of one form and sends it. */
async function confirmAndSend(page: Page, form: string) {
  await page.check(`${form} input[name=confirm]`);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && (r.status() < 300 || r.status() >= 400)),
    page.locator(`${form} button[type=submit]`).click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response;
}

const searchHits = async (page: Page, q: string) => {
  await page.goto(server.url + '/search?q=' + encodeURIComponent(q));
  return page.locator('.listing-card').count();
};

describe('trust and moderation', () => {
  let admin: Person;
  let member: Person;
  let visitor: Person;
  let listingPath = '';
  let listingId = 0;

  beforeAll(async () => {
    admin = await person();
    member = await person();
    visitor = await person();
    await registerAt(admin.page, server.url, 'admin@example.com', '管理员');
    withSiteDb(dataDir, (db) => db.prepare("UPDATE users SET is_admin = 1 WHERE email = 'admin@example.com'").run(), { readonly: false });
    await registerAt(member.page, server.url, 'steel@example.com', '李经理');
    await createCompany(member.page, '南昌西湖钢管贸易有限公司');
  });

  it('answers 404 on every /admin path to visitors and members, and the console to the admin (noindex)', async () => {
    for (const who of [visitor, member]) {
      for (const p of ['/admin', '/admin/audit', '/admin/terms', '/admin/listings/1/approve', '/admin/nothing-here']) {
        expect((await who.page.goto(server.url + p))!.status(), p).toBe(404);
      }
    }
    const posted = await member.page.request.post(server.url + '/admin/listings/1/approve', { form: { confirm: 'on' }, headers: { Origin: server.url } });
    expect(posted.status()).toBe(404);
    const res = await admin.page.goto(server.url + '/admin');
    expect(res!.status()).toBe(200);
    expect(res!.headers()['x-robots-tag']).toBe('noindex');
    expect(await admin.page.locator('meta[name=robots]').getAttribute('content')).toContain('noindex');
  });

  it("holds a new member's first listing for review: the owner sees why, visitors and search do not see it", async () => {
    const res = await postListing(member.page, '大量供应无缝钢管 Φ89×4');
    expect(res.status()).toBe(200);
    expect(member.page.url()).toContain('/dashboard?tab=review&done=pending');
    const row = member.page.locator('.dash-item', { hasText: '大量供应无缝钢管 Φ89×4' });
    expect(await row.locator('[data-moderation-note]').textContent()).toContain('需经管理员审核');
    listingPath = (await row.locator('h3 a').getAttribute('href'))!;
    listingId = Number(/\/listing\/(\d+)/.exec(listingPath)![1]);
    expect((await visitor.page.goto(server.url + listingPath))!.status()).toBe(404);
    expect(await searchHits(visitor.page, '无缝钢管')).toBe(0);
  });

  it('refuses the same listing posted again by its company, with a link to the first', async () => {
    const res = await postListing(member.page, '大量供应 无缝钢管Φ89×4！');
    expect(res.status()).toBe(422);
    const error = await member.page.locator('.field.invalid .field-error').first().textContent();
    expect(error).toContain('请刷新那条信息');
    expect(error).toContain(listingPath);
    // A catalogue variant (another specification) is a listing of its own.
    expect((await postListing(member.page, '大量供应无缝钢管 Φ108×5')).status()).toBe(200);
  });

  it('lets the admin approve it (after ticking the confirmation); it is public and searchable within a second', async () => {
    await admin.page.goto(server.url + '/admin');
    const item = `[data-queue-id="${listingId}"]`;
    expect(await admin.page.locator(item).count()).toBe(1);
    const res = await confirmAndSend(admin.page, `${item} form[data-decide=approve]`);
    expect(res.status()).toBe(200);
    expect(admin.page.url()).toContain('/admin?done=approve');
    const approvedAt = Date.now();
    expect((await visitor.page.goto(server.url + listingPath))!.status()).toBe(200);
    // Searched as a signed-in member: a visitor's search page may come from the shared page cache for up to 10 s
    // (src/lib/middleware/cache.ts), which is dropped when the change is queued, not when the index has it.
    let hits = 0;
    while ((hits = await searchHits(member.page, '无缝钢管')) === 0 && Date.now() - approvedAt < 1000) await member.page.waitForTimeout(50);
    expect(hits).toBe(1);
  });

  it('rejects with a reason the owner reads on the dashboard', async () => {
    await admin.page.goto(server.url + '/admin');
    const pending = admin.page.locator('.queue-item', { hasText: 'Φ108×5' });
    const id = await pending.getAttribute('data-queue-id');
    const form = `[data-queue-id="${id}"] form[data-decide=reject]`;
    await admin.page.check(`${form} input[name=confirm]`);
    await admin.page.fill(`${form} textarea[name=reason]`, '请补充钢管材质和执行标准');
    await Promise.all([admin.page.waitForURL(/done=reject/), admin.page.locator(`${form} button[type=submit]`).click()]);
    await member.page.goto(server.url + '/dashboard?tab=review');
    expect(await member.page.locator('.dash-item', { hasText: 'Φ108×5' }).locator('[data-moderation-note]').textContent()).toContain('请补充钢管材质和执行标准');
  });

  it('refuses a prohibited word an admin added, even with spaces inserted', async () => {
    await admin.page.goto(server.url + '/admin/terms');
    await admin.page.fill('[data-terms-add] input[name=value]', '仿真枪');
    const res = await confirmAndSend(admin.page, '[data-terms-add]');
    expect(res.status()).toBe(200);
    expect(await admin.page.locator('[data-term="仿真枪"]').count()).toBe(1);
    const refused = await postListing(member.page, '出售 仿 真 枪 配件', '各种配件');
    expect(refused.status()).toBe(422);
    expect(await member.page.locator('.field.invalid .field-error').first().textContent()).toContain('禁止发布的词语');
    expect(await member.page.inputValue('#title')).toBe('出售 仿 真 枪 配件');
  });

  it('takes a listing off the site, search included, at the third distinct reporter (visitors may report)', async () => {
    const reporters = [visitor];
    for (const n of [1, 2]) {
      const p = await person();
      await registerAt(p.page, server.url, `reporter${n}@example.com`, `举报人${n}`);
      reporters.push(p);
    }
    for (const [i, reporter] of reporters.entries()) {
      await reporter.page.goto(server.url + listingPath);
      await reporter.page.locator('[data-report-link]').click();
      await reporter.page.check(`input[name=reason][value=${i === 0 ? 'fraud' : 'spam'}]`);
      await reporter.page.fill('#text', '价格明显低于市场，要求先付定金');
      const res = await submit(reporter.page, '提交举报');
      expect(res.status()).toBe(200);
      expect(await reporter.page.locator('[role=status]').textContent()).toContain('感谢您的举报');
      if (i === 0) {
        // The same visitor again: one open report per reporter.
        await visitor.page.goto(server.url + '/report?listing=' + listingId);
        await visitor.page.check('input[name=reason][value=other]');
        expect((await submit(visitor.page, '提交举报')).status()).toBe(409);
        expect((await visitor.page.goto(server.url + listingPath))!.status()).toBe(200);
      }
    }
    expect((await visitor.page.goto(server.url + listingPath))!.status()).toBe(404);
    expect(await searchHits(member.page, '无缝钢管')).toBe(0);
    await admin.page.goto(server.url + '/admin');
    expect(await admin.page.locator(`[data-queue-id="${listingId}"]`).textContent()).toContain('多位用户举报');
    await admin.page.goto(server.url + '/admin/reports');
    expect(await admin.page.locator('[data-report-id]').count()).toBe(3);
  });

  it('suspends a company: its listings leave search and sitemaps, pages answer 410, its API token 401; restore undoes it', async () => {
    // Back on the site first: the admin approves the reported listing again.
    await admin.page.goto(server.url + '/admin');
    await confirmAndSend(admin.page, `[data-queue-id="${listingId}"] form[data-decide=approve]`);
    await member.page.goto(server.url + '/dashboard/tokens');
    await member.page.fill('#token-name', 'ERP');
    await submit(member.page, '创建令牌');
    const token = (await member.page.locator('[data-token]').textContent())!.trim();
    const api = () => fetch(server.url + '/api/v1/listings?mine=1', { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    const inSitemap = () => fetch(server.url + '/sitemaps/listings-0.xml').then(async (r) => (r.status === 200 ? (await r.text()).includes(listingPath) : false));
    expect(await api()).toBe(200);
    expect(await inSitemap()).toBe(true);
    expect(await searchHits(admin.page, '无缝钢管')).toBe(1);

    const companyId = withSiteDb(dataDir, (db) => (db.prepare("SELECT id FROM companies WHERE name = '南昌西湖钢管贸易有限公司'").get() as { id: number }).id);
    await admin.page.goto(server.url + '/admin/companies?q=' + companyId);
    const companyPage = admin.page.url();
    await admin.page.fill('[data-suspend-form] textarea[name=reason]', '多次发布虚假信息');
    const res = await confirmAndSend(admin.page, '[data-suspend-form]');
    expect(res.status()).toBe(200);
    expect(await admin.page.locator('[data-company-state]').textContent()).toContain('已暂停');
    expect(await api()).toBe(401);
    // Asked with fetch: a browser may keep the 410 page (public, max-age) and not ask again after the restore.
    const pageStatus = () => fetch(server.url + listingPath).then((r) => r.status);
    expect(await pageStatus()).toBe(410);
    const suspendedAt = Date.now();
    let hits = 1;
    while ((hits = await searchHits(admin.page, '无缝钢管')) > 0 && Date.now() - suspendedAt < 2000) await admin.page.waitForTimeout(50);
    expect(hits).toBe(0);
    expect(await inSitemap()).toBe(false);
    // The owner was signed out.
    await member.page.goto(server.url + '/dashboard');
    expect(member.page.url()).toContain('/login');

    await admin.page.goto(companyPage);
    await admin.page.fill('[data-suspend-form] textarea[name=reason]', '申诉已核实');
    await confirmAndSend(admin.page, '[data-suspend-form]');
    expect(await api()).toBe(200);
    expect(await pageStatus()).toBe(200);
    expect(await inSitemap()).toBe(true);
  });

  it('suspends a member: signed out, sign-in refused with the reason, the API token 401; restoring lets them back', async () => {
    await member.page.goto(server.url + '/login');
    await member.page.fill('#email', 'steel@example.com');
    await member.page.fill('#password', TEST_PASSWORD);
    await submit(member.page, '登录');
    await member.page.goto(server.url + '/dashboard/tokens');
    await member.page.fill('#token-name', 'CRM');
    await submit(member.page, '创建令牌');
    const token = (await member.page.locator('[data-token]').textContent())!.trim();
    const api = () => fetch(server.url + '/api/v1/listings?mine=1', { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await api()).toBe(200);

    await admin.page.goto(server.url + '/admin/members?q=steel@');
    const form = '[data-member="steel@example.com"] [data-suspend-member]';
    await admin.page.fill(`${form} textarea[name=reason]`, '冒用他人营业执照');
    await confirmAndSend(admin.page, form);
    expect(await admin.page.locator('[data-member="steel@example.com"] [data-member-state]').textContent()).toContain('冒用他人营业执照');
    expect(await api()).toBe(401);
    await member.page.goto(server.url + '/dashboard');
    expect(member.page.url()).toContain('/login');
    await member.page.fill('#email', 'steel@example.com');
    await member.page.fill('#password', TEST_PASSWORD);
    const refused = await submit(member.page, '登录');
    expect(refused.status()).toBe(422);
    expect(await member.page.locator('.form-error').textContent()).toContain('冒用他人营业执照');

    await admin.page.goto(server.url + '/admin/members?q=steel@');
    await admin.page.fill(`${form} textarea[name=reason]`, '核实为本人');
    await confirmAndSend(admin.page, form);
    expect(await api()).toBe(200);
    await member.page.fill('#password', TEST_PASSWORD);
    await submit(member.page, '登录');
    expect(new URL(member.page.url()).pathname).toBe('/dashboard');
  });

  it('has every one of these actions in the audit log, filterable', async () => {
    await admin.page.goto(server.url + '/admin/audit');
    const actions = await admin.page.locator('[data-audit-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-audit-action')));
    expect(actions).toEqual(
      expect.arrayContaining(['listing.approve', 'listing.reject', 'prohibitedTerm.add', 'listing.hiddenByReports', 'company.suspend', 'company.restore', 'apiToken.create', 'member.suspend', 'member.restore']),
    );
    expect(await admin.page.locator('[data-audit-action="listing.approve"]').first().textContent()).toContain('admin@example.com');
    await admin.page.goto(server.url + '/admin/audit?action=company.suspend');
    expect(await admin.page.locator('[data-audit-action]').count()).toBe(1);
    // Nothing in the app can rewrite it: the database refuses.
    expect(() => withSiteDb(dataDir, (db) => db.prepare('DELETE FROM audit_log').run(), { readonly: false })).toThrow(/append-only/);
  });
});
