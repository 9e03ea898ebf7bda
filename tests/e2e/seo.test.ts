// What a search engine's crawler sees: crawled from the home page in Chromium (no JavaScript) against the built
// server, plus the files crawlers read (robots.txt, sitemaps, feeds) and the HTTP caching they rely on.
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { checkXml, xmlTexts } from '../helpers/xml.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let page: Page;
let dataDir: string;

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '600' });
  // Half the companies become members' (demo companies, nobody's, are noindex and out of the sitemaps).
  withSiteDb(dataDir, (db) => {
    db.prepare("insert into users (id, email, password_hash, display_name, created_at) select 'seo-' || id, 'seo' || id || '@example.com', '!', 'owner', 0 from companies where id % 2 = 0").run();
    db.prepare("update companies set owner_id = 'seo-' || id where id % 2 = 0").run();
  }, { readonly: false });
  browser = await launchBrowser();
  page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** One value from the server's database, read beside it. */
function one(query: string, ...params: unknown[]): number {
  return withSiteDb(dataDir, (db) => db.prepare(query).pluck().get(...params) as number);
}

/** A listing the public sees as live (active and not past its expiry). */
const liveListingId = () => one("select id from listings where status = 'active' and expires_at > ? order by id limit 1", Date.now());
const listingIdWithStatus = (status: string) => one('select id from listings where status = ? order by id limit 1', status);

const get = (pathname: string, headers: Record<string, string> = {}) =>
  fetch(server.url + pathname, { headers, redirect: 'manual' });

/** Rules from robots.txt without wildcards: a crawler does not follow links to these. */
async function disallowed(): Promise<(p: string) => boolean> {
  const txt = await (await get('/robots.txt')).text();
  const prefixes = txt
    .split('\n')
    .filter((l) => l.startsWith('Disallow: '))
    .map((l) => l.slice('Disallow: '.length).trim())
    .map((p) => p.split('*')[0]!);
  return (p) => prefixes.some((prefix) => p.startsWith(prefix));
}

interface Seen {
  status: number;
  finalPath: string;
  lang: string | null;
  title: string;
  description: string | null;
  canonicals: string[];
  robots: string | null;
  alternates: { hreflang: string; href: string }[];
}

function alternatesIn(html: string) {
  return [...html.matchAll(/<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"/g)].map((m) => ({ hreflang: m[1]!, href: m[2]! }));
}

describe('a crawl from the home page to depth 3', () => {
  const seen = new Map<string, Seen>();
  const links = new Set<string>();
  const MAX_PAGES = 120;
  const PER_PAGE = 8;

  beforeAll(async () => {
    const blocked = await disallowed();
    const origin = new URL(server.url).origin;
    const queue: { path: string; depth: number }[] = [{ path: '/', depth: 0 }];
    const queued = new Set(['/']);
    while (queue.length > 0 && seen.size < MAX_PAGES) {
      const { path: p, depth } = queue.shift()!;
      const res = (await page.goto(server.url + p))!;
      // Feeds and sitemaps are linked too; they are checked as files below, not as pages.
      if (!res.headers()['content-type']?.startsWith('text/html')) continue;
      // One read of the document (locators would wait for elements a page may rightly lack).
      const doc = await page.evaluate(() => ({
        lang: document.documentElement.getAttribute('lang'),
        title: document.title,
        description: document.querySelector('meta[name=description]')?.getAttribute('content') ?? null,
        canonicals: [...document.querySelectorAll('link[rel=canonical]')].map((e) => e.getAttribute('href')!),
        robots: document.querySelector('meta[name=robots]')?.getAttribute('content') ?? null,
        alternates: [...document.querySelectorAll('link[rel=alternate][hreflang]')].map((e) => ({
          hreflang: e.getAttribute('hreflang')!,
          href: e.getAttribute('href')!,
        })),
        hrefs: [...document.querySelectorAll('a[href]')].map((e) => (e as HTMLAnchorElement).href),
      }));
      const { hrefs, ...meta } = doc;
      seen.set(p, { status: res.status(), finalPath: new URL(page.url()).pathname + new URL(page.url()).search, ...meta });
      // Follow a spread of link kinds from each page (listing, company, region, category, English...) rather
      // than the first few, so the capped crawl still reaches every kind of page.
      const fresh = new Map<string, string[]>();
      for (const href of hrefs) {
        const u = new URL(href);
        if (u.origin !== origin) continue;
        const target = u.pathname + u.search;
        if (blocked(u.pathname + u.search)) continue;
        links.add(target);
        if (depth >= 3 || queued.has(target)) continue;
        const kind = target.split('/').slice(0, 3).join('/').replace(/[\d-].*$/, '');
        fresh.set(kind, [...(fresh.get(kind) ?? []), target]);
      }
      const picks: string[] = [];
      for (let round = 0; picks.length < PER_PAGE && [...fresh.values()].some((l) => l.length > round); round++) {
        for (const list of fresh.values()) if (list[round] && picks.length < PER_PAGE) picks.push(list[round]!);
      }
      for (const target of picks) {
        queued.add(target);
        queue.push({ path: target, depth: depth + 1 });
      }
    }
  }, 180_000);

  it('reaches every kind of public page in both languages', () => {
    const paths = [...seen.keys()];
    expect(paths.length).toBeGreaterThanOrEqual(60);
    for (const kind of ['/listing/', '/company/', '/region/', '/category/', '/en/listing/', '/en/region/', '/en/category/', '/en/company/']) {
      expect(paths.some((p) => p.startsWith(kind)), kind).toBe(true);
    }
  });

  it('every page answers 200 at the address linked, with exactly one canonical, a title and a description', () => {
    for (const [p, s] of seen) {
      expect(s.status, p).toBe(200);
      expect(s.finalPath, p).toBe(p);
      expect(s.canonicals, p).toHaveLength(1);
      expect(s.title.length, p).toBeGreaterThan(4);
      expect(s.description?.length ?? 0, p).toBeGreaterThan(10);
      expect(s.lang, p).toBe(p === '/en' || p.startsWith('/en/') ? 'en' : 'zh-CN');
    }
  });

  it('no two pages share a title', () => {
    const byTitle = new Map<string, string[]>();
    for (const [p, s] of seen) byTitle.set(s.title, [...(byTitle.get(s.title) ?? []), p]);
    expect([...byTitle.entries()].filter(([, ps]) => ps.length > 1)).toEqual([]);
  });

  it('canonicals are absolute, self-referencing for indexable pages, and never carry tracking parameters', () => {
    for (const [p, s] of seen) {
      const canonical = new URL(s.canonicals[0]!);
      expect(canonical.origin).toBe(new URL(server.url).origin);
      expect(canonical.search).not.toMatch(/utm_|from=|page=1\b/);
      // /region/<province>/<category> is the category page under another name.
      if (s.robots === null && !/^(\/en)?\/region\/jiangxi\//.test(p)) expect(canonical.pathname + canonical.search, p).toBe(p);
    }
  });

  it('hreflang alternates list zh-CN, en and x-default, and each alternate points back', async () => {
    const cache = new Map<string, { hreflang: string; href: string }[]>();
    const alternatesOf = async (url: string) => {
      if (!cache.has(url)) cache.set(url, alternatesIn(await (await fetch(url)).text()));
      return cache.get(url)!;
    };
    for (const [p, s] of seen) {
      if (s.robots !== null) continue;
      expect(s.alternates.map((a) => a.hreflang).sort(), p).toEqual(['en', 'x-default', 'zh-CN']);
      expect(s.alternates.map((a) => a.href), p).toContain(s.canonicals[0]);
      for (const alt of s.alternates) {
        if (alt.href === s.canonicals[0]) continue;
        expect((await alternatesOf(alt.href)).map((a) => a.href), `${alt.href} back to ${p}`).toContain(s.canonicals[0]);
      }
    }
  });

  it('no internal link is broken', async () => {
    const targets = [...links];
    expect(targets.length).toBeGreaterThan(200);
    const broken: string[] = [];
    for (let i = 0; i < targets.length; i += 16) {
      await Promise.all(
        targets.slice(i, i + 16).map(async (t) => {
          const res = await get(t);
          if (res.status !== 200) broken.push(`${t} -> ${res.status}`);
          await res.body?.cancel();
        }),
      );
    }
    expect(broken).toEqual([]);
  });
});

describe('English pages', () => {
  it('have lang="en", the English interface, and the poster\'s own text', async () => {
    const id = listingIdWithStatus('active');
    await page.goto(`${server.url}/en/listing/${id}`);
    expect(new URL(page.url()).pathname).toMatch(new RegExp(`^/en/listing/${id}-`));
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('.site-nav').textContent()).toContain('Categories');
    expect(await page.locator('.facts').first().textContent()).toMatch(/Category|Location/);
    const title = await page.locator('h1').textContent();
    expect(title).toMatch(/[\u4e00-\u9fff]/); // the listing text stays as written
    for (const a of await page.locator('main a[href^="/"]').evaluateAll((els) => els.map((e) => e.getAttribute('href')!))) {
      expect(a.startsWith('/en')).toBe(true);
    }
  });

  it('the language switch leads to the same page in the other language and back', async () => {
    await page.goto(`${server.url}/region/ganzhou?page=2`);
    await page.locator('a.lang-switch').click();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/en/region/ganzhou?page=2');
    expect(await page.locator('h1').textContent()).toBe('Supply and buying leads in Ganzhou');
    await page.locator('a.lang-switch').click();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/region/ganzhou?page=2');
    expect(await page.locator('h1').textContent()).toBe('赣州市供求信息');
  });

  it('keeps redirects in English, the member area too, and sends the console to its one address', async () => {
    const id = listingIdWithStatus('active');
    const stale = await get(`/en/listing/${id}-stale-slug`);
    expect(stale.status).toBe(301);
    expect(stale.headers.get('location')).toMatch(new RegExp(`^/en/listing/${id}-[a-z0-9-]+$`));
    const first = await get('/en/region/nanchang?page=1');
    expect(first.headers.get('location')).toBe('/en/region/nanchang');
    expect((await get('/en/')).headers.get('location')).toBe('/en');
    const dashboard = await get('/en/dashboard');
    expect(dashboard.status).toBe(303);
    expect(dashboard.headers.get('location')).toBe(`/en/login?next=${encodeURIComponent('/dashboard')}`);
    const admin = await get('/en/admin');
    expect(admin.status).toBe(302);
    expect(admin.headers.get('location')).toBe('/admin');
  });

  it('answers unknown, removed and expired listings the way crawlers trust, in English too', async () => {
    const missing = await page.goto(`${server.url}/en/listing/999999999`);
    expect(missing!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Page not found');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    const gone = await page.goto(`${server.url}/en/listing/${listingIdWithStatus('removed')}`);
    expect(gone!.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('Listing removed');
    const expired = await page.goto(`${server.url}/en/listing/${listingIdWithStatus('expired')}`);
    expect(expired!.status()).toBe(200);
    expect(await page.locator('.notice:not(.demo-banner)').textContent()).toContain('expired');
    expect(await page.locator('meta[name=robots]').getAttribute('content')).toBe('noindex, follow');
  });
});

describe('listing pages', () => {
  it('an expired listing links to similar active listings', async () => {
    await page.goto(`${server.url}/listing/${listingIdWithStatus('expired')}`);
    const similar = page.locator('.similar .listing-card a.title');
    expect(await similar.count()).toBeGreaterThan(0);
    const href = (await similar.first().getAttribute('href'))!;
    const res = (await page.goto(server.url + href))!;
    expect(res.status()).toBe(200);
    // Live, so indexable; unless it is sample data, which is never indexed.
    expect(await page.locator('meta[name=robots]').count()).toBe(await page.locator('.demo-banner').count());
  });

  it('carry Product or Demand JSON-LD with a BreadcrumbList, Open Graph tags, and stay under 50 KB', async () => {
    const db = new Database(path.join(dataDir, 'site.db'), { readonly: true });
    const ids = db.prepare("select kind, min(id) as id from listings where status = 'active' group by kind").all() as { kind: string; id: number }[];
    db.close();
    for (const { kind, id } of ids) {
      const res = await fetch(`${server.url}/listing/${id}`);
      const html = await res.text();
      expect(Buffer.byteLength(html)).toBeLessThan(50 * 1024);
      const blocks = [...html.matchAll(/<script type="application\/ld\+json">([^<]*)<\/script>/g)].map((m) => JSON.parse(m[1]!));
      const types = blocks.flatMap((b) => (Array.isArray(b) ? b : [b])).map((b) => b['@type']);
      expect(types).toContain('BreadcrumbList');
      expect(types).toContain(kind === 'supply' ? 'Product' : 'Demand');
      expect(html).toMatch(/<meta property="og:title" content="[^"]+">/);
      expect(html).toContain('<meta name="twitter:card"');
      expect(html).not.toMatch(/<script[^>]+src="https?:/); // no third-party scripts
      expect(html).not.toMatch(/<link[^>]+rel="stylesheet"[^>]+href="https?:/);
    }
  });

  it('stay under 50 KB with the longest description a poster may write', async () => {
    const db = new Database(path.join(dataDir, 'site.db'));
    const source = db.prepare("select id from listings where status = 'active' order by id limit 1").pluck().get() as number;
    const description = '本公司长期供应优质产品，质量稳定，价格合理，欢迎来电洽谈<合作>&询价。'.repeat(200).slice(0, 5000);
    const id = db
      .prepare(
        `insert into listings (company_id, kind, title, slug, description, category_id, region_id, city_id, top_category_id,
           price_min, price_max, currency, price_unit, negotiable, quantity, quantity_unit, moq, attributes, status, views,
           created_at, updated_at, published_at, expires_at)
         select company_id, kind, title, slug, ?, category_id, region_id, city_id, top_category_id, price_min, price_max,
           currency, price_unit, negotiable, quantity, quantity_unit, moq, attributes, status, views, created_at, updated_at,
           published_at, expires_at from listings where id = ?`,
      )
      .run(description, source).lastInsertRowid;
    db.close();
    const res = await fetch(`${server.url}/listing/${id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('欢迎来电洽谈&lt;合作&gt;&amp;询价');
    expect(Buffer.byteLength(html)).toBeLessThan(50 * 1024);
  });

  it('tracking parameters never make a new canonical', async () => {
    for (const p of ['/region/nanchang?utm_source=baidu&utm_medium=cpc', '/en/region/nanchang?from=wechat', '/?spm=1.2.3']) {
      const html = await (await fetch(server.url + p)).text();
      const canonical = /<link rel="canonical" href="([^"]+)"/.exec(html)![1]!;
      expect(canonical, p).toBe(server.url + p.split('?')[0]!);
    }
  });

  it('the home page describes the WebSite with a SearchAction', async () => {
    const html = await (await fetch(server.url + '/')).text();
    const site = JSON.parse(/<script type="application\/ld\+json">([^<]*)<\/script>/.exec(html)![1]!);
    expect(site['@type']).toBe('WebSite');
    expect(site.potentialAction.target.urlTemplate).toBe(`${server.url}/search?q={search_term_string}`);
  });
});

describe('files for crawlers', () => {
  it('robots.txt opens public pages, closes private ones and names the sitemap', async () => {
    const res = await get('/robots.txt');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const txt = await res.text();
    expect(txt).toContain('Disallow: /dashboard');
    expect(txt).toContain('Disallow: /api/');
    expect(txt).toContain(`Sitemap: ${server.url}/sitemap.xml`);
  });

  it('the sitemap index and its sitemaps are well-formed and list pages that answer 200', async () => {
    const index = await (await get('/sitemap.xml')).text();
    expect(checkXml(index).errors).toEqual([]);
    const sitemaps = xmlTexts(index, 'loc');
    expect(sitemaps).toContain(`${server.url}/sitemaps/listings-0.xml`);
    for (const loc of sitemaps) {
      const res = await fetch(loc);
      expect(res.status, loc).toBe(200);
      const xml = await res.text();
      expect(checkXml(xml).errors, loc).toEqual([]);
      const urls = xmlTexts(xml, 'loc');
      expect(urls.length).toBeGreaterThan(0);
      for (const u of [urls[0]!, urls.at(-1)!]) expect((await fetch(u, { redirect: 'manual' })).status, u).toBe(200);
    }
  });

  it('feeds are well-formed RSS, site-wide, per region and per category', async () => {
    for (const p of ['/feed.xml', '/feeds/region/nanchang.xml', '/feeds/category/agriculture.xml']) {
      const res = await get(p);
      if (p.includes('agriculture') && res.status === 404) continue; // slug depends on the category file
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
      const xml = await res.text();
      expect(checkXml(xml).errors, p).toEqual([]);
      expect(xmlTexts(xml, 'guid').length, p).toBeGreaterThan(0);
    }
    expect((await get('/feeds/region/atlantis.xml')).status).toBe(404);
  });
});

describe('HTTP caching', () => {
  it('public pages carry a short public Cache-Control and an ETag, and answer 304 when unchanged', async () => {
    const res = await get('/region/nanchang');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('vary')).toMatch(/Cookie/);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await get('/region/nanchang', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await get('/region/nanchang', { 'if-none-match': 'W/"other"' })).status).toBe(200);
  });

  it('sitemaps answer 304 by ETag and by date', async () => {
    const res = await get('/sitemaps/listings-0.xml');
    const etag = res.headers.get('etag')!;
    const lastModified = res.headers.get('last-modified')!;
    await res.body?.cancel();
    expect((await get('/sitemaps/listings-0.xml', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/sitemaps/listings-0.xml', { 'if-modified-since': lastModified })).status).toBe(304);
  });

  it('compresses HTML and XML when the client accepts it', async () => {
    const plain = await (await get('/', { 'accept-encoding': 'identity' })).arrayBuffer();
    // fetch would decompress by itself; node:http shows the bytes on the wire.
    const http = await import('node:http');
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      http
        .get(server.url + '/', { headers: { 'accept-encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.body.length).toBeLessThan(plain.byteLength / 2);
    expect(gunzipSync(raw.body).toString()).toBe(Buffer.from(plain).toString());
    const xml = await get('/sitemaps/listings-0.xml', { 'accept-encoding': 'gzip' });
    expect(xml.headers.get('content-encoding')).toMatch(/gzip|br/);
  });

  it('a live listing page is revalidated on every view (each is counted) and answers 304 when unchanged', async () => {
    const first = await fetch(`${server.url}/listing/${liveListingId()}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, no-cache');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect((await get(new URL(first.url).pathname, { 'if-none-match': etag })).status).toBe(304);
  });

  it('a request with a session cookie is private and never shared', async () => {
    const res = await get('/region/nanchang', { cookie: 'session=some-token' });
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const anonymous = await get('/region/nanchang');
    expect(anonymous.headers.get('cache-control')).toBe('public, max-age=60');
  });
});
