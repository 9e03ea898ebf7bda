// A business's own system on the built server's API, over HTTP: it lists the categories, loads 5,000 listings in
// bulk by name, sends them again, changes ten, sends malformed ones, uploads a photo and reconciles; and a developer
// reads the /developers page in both languages in Chromium; every GET of the OpenAPI document without a path
// parameter answers the built server (its middleware included) as documented.
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erpToken, runErp, type ErpReport } from '../../scripts/lib/erp.ts';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { schemaProblems } from '../helpers/json-schema.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir();
  // The site's own defaults for the trust rules (the test suite turns them off elsewhere): a verified company's
  // catalogue goes through the duplicate check and publishes at once.
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', DUPLICATE_CHECK: 'true', POSTING_LIMIT_PER_DAY: '200', MODERATION_NEW_MEMBER_LISTINGS: '3' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('an ERP on the API', () => {
  let report: ErpReport;

  it('loads 5,000 listings by name, and again with nothing changed (bench:erp reports the time)', async () => {
    const photo = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#468' } }).jpeg().toBuffer();
    report = await runErp(server.url, erpToken(dataDir), 5000, photo);
    expect(report.categories).toBeGreaterThan(100);
    expect(report.load.summary).toEqual({ created: 5000, updated: 0, unchanged: 0, error: 0 });
    expect(report.reload.summary).toEqual({ created: 0, updated: 0, unchanged: 5000, error: 0 });
    expect(report.change.summary).toEqual({ created: 0, updated: 10, unchanged: 0, error: 0 });
  }, 180_000);

  it('gets an error naming the field for every malformed item', () => {
    expect(report.malformed.summary).toEqual({ created: 0, updated: 0, unchanged: 0, error: 5 });
    expect(report.malformed.errors.map((e) => Object.keys(e ?? {}).sort())).toEqual([['kind'], ['category'], ['price', 'region'], ['ref'], ['title']]);
    expect(report.malformed.errors[0]!.kind).toContain('（收到："卖"）');
  });

  it('uploads a photo and reconciles every listing by its ref', () => {
    expect(report.image).toEqual({ status: 200, images: 1 });
    expect(report.reconcile).toMatchObject({ pages: 10, listings: 5000, refsMatch: true });
    expect(report.rateLimitRemaining).toBeGreaterThanOrEqual(0);
    const stored = withSiteDb(dataDir, (db) => db.prepare("SELECT count(*) AS n, count(DISTINCT import_key) AS refs FROM listings WHERE import_key LIKE 'ERP-%'").get());
    expect(stored).toEqual({ n: 5000, refs: 5000 });
  });
});

describe('the OpenAPI document over HTTP', () => {
  it('every GET without a path parameter answers the built server as documented, through its middleware', async () => {
    const doc = (await (await fetch(server.url + '/api/v1/openapi.json')).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    // Values for the required query parameters; everything else at its default.
    const required: Record<string, string> = { mine: '1', title: '供应无缝钢管' };
    const token = erpToken(dataDir);
    const checked: string[] = [];
    for (const [pathname, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) { // eslint-disable-line @typescript-eslint/no-explicit-any
      const op = ops.get;
      if (!op || pathname.includes('{')) continue;
      const query = new URLSearchParams();
      for (const p of op.parameters ?? []) if (p.in === 'query' && p.required) query.set(p.name, required[p.name]!);
      if (pathname === '/api/v1/search') query.set('q', '钢管');
      const res = await fetch(`${server.url}${pathname}${query.size ? `?${query}` : ''}`, {
        headers: { 'accept-encoding': 'gzip, br', ...(op.security ? { authorization: `Bearer ${token}` } : {}) },
      });
      expect(res.status, pathname).toBe(200);
      const documented = op.responses['200'];
      expect(schemaProblems(doc, documented.content['application/json'].schema, await res.json()), pathname).toEqual([]);
      for (const header of Object.keys(documented.headers ?? {})) expect(res.headers.get(header), `${pathname} ${header}`).not.toBeNull();
      checked.push(pathname);
    }
    expect(checked).toEqual(expect.arrayContaining(['/api/v1/regions', '/api/v1/categories', '/api/v1/search', '/api/v1/suggest', '/api/v1/listings', '/api/v1/inquiries']));
  });
});

describe('/developers', () => {
  it('explains the API with runnable examples, in Chinese and in English, without JavaScript', async () => {
    const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await page.goto(server.url + '/developers');
    expect(await page.locator('h1').textContent()).toBe('开发者接口（API）');
    expect(await page.locator('table tbody tr').count()).toBeGreaterThanOrEqual(12);
    expect(await page.locator('pre code').nth(1).textContent()).toContain(`curl ${server.url}/api/v1/categories`);
    expect(await page.locator('body').textContent()).toContain('requests.post(');
    await page.goto(server.url + '/en/developers');
    expect(await page.locator('h1').textContent()).toBe('API for developers');
    expect(await page.locator('a[href="/api/v1/openapi.json"]').textContent()).toContain('OpenAPI 3.1');
    const doc = await (await fetch(server.url + '/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
  });
});
