// A company owner in real Chromium creates an API token and imports a spreadsheet; their integration then talks to
// the built server's real HTTP endpoints with that token.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { encodeGbk } from '../helpers/gbk.ts';

let server: RunningServer;
let browser: Browser;
let page: Page;
let dataDir: string;
let token = '';
const email = 'owner@example.com';

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '50' });
  browser = await launchBrowser();
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function api(method: string, pathname: string, opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  const auth = opts.token ?? token;
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (method !== 'GET') headers['content-type'] ??= 'application/json';
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(server.url + pathname, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

describe('API tokens and the JSON API over HTTP', () => {
  it('keeps visitors out of the dashboard pages', async () => {
    const res = await fetch(server.url + '/dashboard/tokens', { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fdashboard%2Ftokens');
  });

  it('creates a token on the dashboard and shows it once', async () => {
    await page.goto(server.url + '/register');
    await page.fill('#email', email);
    await page.fill('#displayName', '王经理');
    await page.fill('#password', 'correct horse battery');
    await page.fill('#passwordRepeat', 'correct horse battery');
    await page.getByRole('button', { name: '注册' }).click();
    await page.waitForURL((u) => u.pathname !== '/register');
    // Without a company there is nothing to make tokens for: the page says where to start.
    await page.goto(server.url + '/dashboard/tokens');
    expect(await page.locator('.notice a').getAttribute('href')).toBe('/dashboard/company');
    await page.goto(server.url + '/dashboard/company');
    await page.fill('#name', '南昌接口测试有限公司');
    await page.selectOption('#region', 'donghu');
    await page.fill('#phone', '13812345678');
    await page.locator('form button[type=submit].button').click();
    await page.waitForURL((u) => u.pathname !== '/dashboard/company');

    const res = await page.goto(server.url + '/dashboard/tokens');
    expect(res!.status()).toBe(200);
    expect(res!.headers()['cache-control']).toBe('private, no-store');
    expect(await page.locator('meta[name=robots]').getAttribute('content')).toContain('noindex');
    await page.locator('form.create-token button').click();
    expect(await page.locator('.field-error').textContent()).toBe('请填写令牌名称');
    await page.fill('#token-name', 'ERP 同步');
    await page.locator('form.create-token button').click();
    token = (await page.locator('[data-token]').textContent())!.trim();
    expect(token).toMatch(/^b2b_[a-z2-7]{32}$/);
    expect(await page.locator('.tokens').textContent()).toContain('ERP 同步');
    // Reloaded, the page lists the token but the secret is gone for good.
    await page.goto(server.url + '/dashboard/tokens');
    expect(await page.locator('[data-token]').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
  });

  it('publishes, reads, patches and deletes a listing through the real endpoints', async () => {
    const created = await api('POST', '/api/v1/listings', {
      body: { kind: 'demand', category: 'grain-oil', region: 'nanchang-xian', title: '求购早籼稻 500 吨', priceType: 'negotiable', quantity: 500, quantityUnit: '吨' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: 'demand', status: 'active', company: { name: '南昌接口测试有限公司' } });
    const id = created.json.id as number;

    const read = await api('GET', `/api/v1/listings/${id}`, { token: '' });
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('public, max-age=60');
    expect(read.json.title).toBe('求购早籼稻 500 吨');
    // The listing's page is live for people too.
    expect((await fetch(read.json.url.replace(/^https?:\/\/[^/]+/, server.url))).status).toBe(200);

    const patched = await api('PATCH', `/api/v1/listings/${id}`, { body: { quantity: 800 } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ quantity: 800, quantityUnit: '吨', title: '求购早籼稻 500 吨' });

    const invalid = await api('PATCH', `/api/v1/listings/${id}`, { body: { title: '米' }, headers: { 'accept-language': 'en' } });
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.fields.title).toBe('The title needs at least 4 characters (received: "米")');

    expect((await api('DELETE', `/api/v1/listings/${id}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/listings/${id}`, { token: '' })).status).toBe(410);
  });

  it('answers bad requests with JSON errors, never a 500', async () => {
    const nobody = await api('POST', '/api/v1/listings', { token: '', body: {} });
    expect(nobody.status).toBe(401);
    expect(nobody.json.error.code).toBe('unauthorized');
    expect((await api('POST', '/api/v1/listings', { raw: '{oops' })).status).toBe(400);
    const huge = await api('POST', '/api/v1/listings', { raw: JSON.stringify({ description: 'x'.repeat(70_000) }) });
    expect(huge.status).toBe(413);
    expect((await api('GET', '/api/v1/listings/999999999', { token: '' })).status).toBe(404);
    const demo = (() => {
      const db = new Database(path.join(dataDir, 'site.db'), { readonly: true });
      try {
        return db.prepare("select id from listings where status = 'active' order by id limit 1").pluck().get() as number;
      } finally {
        db.close();
      }
    })();
    const notMine = await api('PATCH', `/api/v1/listings/${demo}`, { body: { title: '别人的信息改标题' } });
    expect(notMine.status).toBe(403);
    // A script's bare DELETE (no Origin, no Content-Type) with a bearer token reaches the API, which refuses it for
    // ownership, not as a cross-site form; without a token the origin check refuses it first.
    const bare = await fetch(`${server.url}/api/v1/listings/${demo}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(bare.status).toBe(403);
    expect((await bare.json()).error.code).toBe('forbidden');
    const noToken = await fetch(`${server.url}/api/v1/listings/${demo}`, { method: 'DELETE' });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.get('content-type')).toContain('text/plain');
    const wrongMethod = await fetch(`${server.url}/api/v1/listings/${demo}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE');
    expect((await wrongMethod.json()).error.code).toBe('method_not_allowed');
    const head = await fetch(`${server.url}/api/v1/listings/${demo}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    // The collection lists your own listings with a token, and takes no other method than GET and POST.
    expect((await fetch(`${server.url}/api/v1/listings`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/listings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(405);
  });

  it('imports a GBK spreadsheet on the dashboard and reports the bad line', async () => {
    const file = path.join(tempDir(), '导入.csv');
    fs.writeFileSync(file, encodeGbk('编号,类型,标题,分类,地区,价格,单位\nE-1,供应,供应晚籼稻谷现货,粮油,南昌县,1.45,斤\nE-2,供应,短,粮油,南昌县,1,斤\n'));
    const res = await page.goto(server.url + '/dashboard/import');
    expect(res!.status()).toBe(200);
    await page.setInputFiles('#file', file);
    await page.locator('form.upload button').click();
    // An unverified company's import waits for review as one batch, and the report says so.
    expect(await page.locator('.import-result [role=status]').textContent()).toMatch(/^新增 1 条，更新 0 条，未变 0 条，失败 1 条。 新信息作为一个批次（#\d+）等待管理员审核/);
    expect(await page.locator('.failures').textContent()).toContain('第 3 行 标题：标题至少 4 个字');
    // Again: nothing new.
    await page.goto(server.url + '/dashboard/import');
    await page.setInputFiles('#file', file);
    await page.locator('form.upload button').click();
    expect(await page.locator('.import-result [role=status]').textContent()).toBe('新增 0 条，更新 0 条，未变 1 条，失败 1 条。');
    // A file far over the limit is refused by its size, unread, with the limit in words.
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(6 * 1024 * 1024)], { type: 'text/csv' }), 'big.csv');
    const big = await fetch(server.url + '/dashboard/import', { method: 'POST', body: form, headers: { cookie, origin: server.url } });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('文件过大：最大 5 MB');
    const template = await fetch(server.url + '/dashboard/import/template.csv');
    expect(template.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await template.text()).toContain('编号,类型,标题');
  });

  it('revokes the token on the dashboard; the API refuses it from then on', async () => {
    await page.goto(server.url + '/dashboard/tokens');
    await page.locator('.tokens form button').first().click();
    expect(await page.locator('[role=status]').textContent()).toContain('已撤销');
    const res = await api('POST', '/api/v1/listings', { body: {} });
    expect(res.status).toBe(401);
    expect(res.json.error.message).toBe('此 API 令牌已被撤销');
  });
});
