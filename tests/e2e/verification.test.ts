// Company verification in real Chromium against the built server (issue 14, item 4): a member submits the company's
// unified social credit code and a licence photo from /dashboard/company (a wrong check character is refused with
// the code kept); the photo is never public; an administrator compares and approves in /admin/verifications; the
// badge with its date appears on the company and listing pages and JSON-LD carries the taxID; renaming the company
// takes the badge away and sends it back to review. Each step is in the audit log.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { register, submit } from '../helpers/forms.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', MODERATION_NEW_MEMBER_LISTINGS: '0' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function person(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  return { context, page: await context.newPage() };
}

const CODE = '91350100M000100Y43';
const licencePhoto = () => sharp({ create: { width: 1000, height: 700, channels: 3, background: '#c33' } }).jpeg().toBuffer();

/**
 * A visitor's first look at a page: a new browser, since public pages may be kept by a browser for a minute
 * (Cache-Control: public, max-age=60) and this test wants what the server answers now.
 */
async function look(path: string): Promise<Page> {
  const { page } = await person();
  await page.goto(server.url + path);
  return page;
}

async function jsonLd(page: Page): Promise<string> {
  return (await page.locator('script[type="application/ld+json"]').allTextContents()).join('\n');
}

describe('company verification', () => {
  let admin: Awaited<ReturnType<typeof person>>;
  let member: Awaited<ReturnType<typeof person>>;
  let visitor: Awaited<ReturnType<typeof person>>;
  let companyPath = '';
  let listingPath = '';

  beforeAll(async () => {
    [admin, member, visitor] = [await person(), await person(), await person()];
    await register(admin.page, server.url, 'admin@example.com', '管理员');
    withSiteDb(dataDir, (db) => db.prepare("UPDATE users SET is_admin = 1 WHERE email = 'admin@example.com'").run(), { readonly: false });
    await register(member.page, server.url, 'pipes@example.com', '王经理');
    await member.page.goto(server.url + '/dashboard/company');
    await member.page.fill('#name', '南昌赣江管业有限公司');
    await member.page.selectOption('#region', 'xihu');
    await member.page.fill('#phone', '13812345678');
    await submit(member.page, '保存');
    await member.page.goto(server.url + '/dashboard/listings/new');
    await member.page.selectOption('#category', 'grain-oil');
    await submit(member.page, '下一步');
    await member.page.check('input[name=kind][value=supply]');
    await member.page.fill('#title', '供应优质早籼稻');
    await member.page.selectOption('#region', 'xihu');
    await member.page.check('input[name=priceType][value=negotiable]');
    await submit(member.page, '发布');
    const slug = withSiteDb(dataDir, (db) => db.prepare('SELECT slug FROM companies').get() as { slug: string }).slug;
    companyPath = `/company/${slug}`;
    const listing = withSiteDb(dataDir, (db) => db.prepare('SELECT id, slug FROM listings').get() as { id: number; slug: string });
    listingPath = `/listing/${listing.id}-${listing.slug}`;
  });

  it('refuses a wrong check character with a clear message, keeping what was typed', async () => {
    const { page } = member;
    await page.goto(server.url + '/dashboard/company');
    expect(await page.locator('[data-verification-state]').getAttribute('data-verification-state')).toBe('none');
    await page.fill('#uscc', '91350100M000100Y44');
    await page.setInputFiles('#licence', { name: '营业执照.jpg', mimeType: 'image/jpeg', buffer: await licencePhoto() });
    const res = await submit(page, '提交认证');
    expect(res.status()).toBe(422);
    expect(await page.locator('#uscc').inputValue()).toBe('91350100M000100Y44');
    expect(await page.locator('.field-error').first().textContent()).toContain('校验码不对');
  });

  it('takes the right code with the licence photo, which nobody but an administrator can open', async () => {
    const { page } = member;
    await page.goto(server.url + '/dashboard/company');
    await page.fill('#uscc', CODE.toLowerCase());
    await page.setInputFiles('#licence', { name: '营业执照.jpg', mimeType: 'image/jpeg', buffer: await licencePhoto() });
    await submit(page, '提交认证');
    expect(page.url()).toContain('verification=submitted');
    expect(await page.locator('[data-verification-state]').getAttribute('data-verification-state')).toBe('pending');
    const request = withSiteDb(dataDir, (db) => db.prepare('SELECT id, licence_hash AS hash, uscc FROM company_verifications').get() as { id: number; hash: string; uscc: string });
    expect(request.uscc).toBe(CODE);
    // Each person's own cookies: the browser context's request client.
    expect((await visitor.page.request.get(`${server.url}/media/${request.hash}-800.webp`)).status()).toBe(404);
    for (const who of [visitor, member]) {
      expect((await who.page.request.get(`${server.url}/admin/verifications/${request.id}/licence-800.webp`)).status()).toBe(404);
      expect((await who.page.goto(`${server.url}/admin/verifications`))!.status()).toBe(404);
    }
    const photo = await admin.page.request.get(`${server.url}/admin/verifications/${request.id}/licence-800.webp`);
    expect(photo.status()).toBe(200);
    expect(photo.headers()['content-type']).toBe('image/webp');
    expect(photo.headers()['cache-control']).toBe('private, no-store');
    // The console page shows it: the image loads for the administrator.
    await admin.page.goto(server.url + '/admin/verifications');
    expect(await admin.page.locator('[data-verification-id] img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(800);
  });

  it('an administrator approves; the dated badge shows on the company and listing pages, JSON-LD has the taxID', async () => {
    expect(await jsonLd(await look(companyPath))).not.toContain('taxID');
    const { page } = admin;
    await page.goto(server.url + '/admin/verifications');
    const item = page.locator('[data-verification-id]');
    expect(await item.locator('[data-uscc]').textContent()).toBe(CODE);
    await item.locator('[data-decide=approve] input[name=confirm]').check();
    await item.locator('[data-decide=approve] button').click();
    await page.waitForURL(/done=approve/);
    expect(await page.locator('[role=status]').textContent()).toContain('已通过认证');

    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const company = await look(companyPath);
    expect(await company.locator('h1 [data-verified-badge]').textContent()).toContain(`营业执照已核验 · ${today}`);
    expect(await jsonLd(company)).toContain(`"taxID":"${CODE}"`);
    const listing = await look(listingPath);
    expect(await listing.locator('.company-card [data-verified-badge]').textContent()).toContain(`营业执照已核验 · ${today}`);
    await member.page.goto(server.url + '/dashboard/company');
    expect(await member.page.locator('[data-verification-state]').getAttribute('data-verification-state')).toBe('verified');
  });

  it('renaming the company drops the badge and the taxID and sends it back to review', async () => {
    const { page } = member;
    await page.goto(server.url + '/dashboard/company');
    await page.fill('#name', '南昌赣江管业集团有限公司');
    await submit(page, '保存');
    const company = await look(companyPath);
    expect(await company.locator('h1').textContent()).toContain('南昌赣江管业集团有限公司');
    expect(await company.locator('[data-verified-badge]').count()).toBe(0);
    expect(await jsonLd(company)).not.toContain('taxID');
    await admin.page.goto(server.url + '/admin/verifications');
    expect(await admin.page.locator('[data-verification-id]').textContent()).toContain('南昌赣江管业集团有限公司');
    await admin.page.goto(server.url + '/admin/audit?targetType=company');
    const actions = await admin.page.locator('[data-audit-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-audit-action')));
    expect(actions).toEqual(['verification.lapse', 'verification.approve', 'verification.submit']);
  });
});
