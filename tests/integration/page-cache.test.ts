// The shared page cache with real listing writes: a write drops only the pages it changes, and a listing page served
// from the cache (by the middleware or by the listener in front of Astro) still counts its view.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('astro:middleware', () => ({ defineMiddleware: <T>(f: T) => f }));
const { cache, forgetCachedPages } = await import('../../src/lib/middleware/cache.ts');
const { describePage, forgetTaggedPages, pageTags, serveCachedPagesFirst } = await import('../../src/lib/page-cache.ts');
const { closeListing, createListing, updateListing } = await import('../../src/server/listings/write.ts');
const { pendingViews, flushViews } = await import('../../src/server/listings/views.ts');
const { getTaxonomy } = await import('../../src/server/taxonomy/taxonomy.ts');
const { getFeed } = await import('../../src/server/seo/feed.ts');
const { getSitemapFile, getSitemapIndex } = await import('../../src/server/seo/sitemap.ts');
const { streamResponse, xmlResponse } = await import('../../src/lib/xml-response.ts');
const { translator } = await import('../../src/server/i18n/index.ts');
const { searchListings } = await import('../../src/server/search/index.ts');
const { drainOutbox, ensureSearchIndex } = await import('../../src/server/search/indexer.ts');
const { dictionaryForEdit, dictionaryText, saveDictionary } = await import('../../src/server/search/dictionary-edit.ts');
const { categoryBySlug, freshDb, makeCompany, makeUser, regionBySlug } = await import('../helpers/db.ts');

type Handler = (context: unknown, next: () => Promise<Response>) => Promise<Response>;
const run = cache as unknown as Handler;
const NOW = Date.now();
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';

const db = freshDb();
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id });
const otherOwner = makeUser(db);
const otherCompany = makeCompany(db, { ownerId: otherOwner.id });
const form = (over: Record<string, unknown> = {}) => ({
  kind: 'supply', category: 'grain-oil', region: 'donghu', title: '供应东北大米', description: '产地直供。', priceType: 'negotiable',
  priceUnit: '元/斤', quantityUnit: '吨', validityDays: '30', ...over,
});

/** A request through the cache middleware; the page's render (when it runs) says what it shows. */
async function get(path: string, describe: (h: Headers) => void = () => {}, headers: Record<string, string> = { 'user-agent': BROWSER }) {
  const url = new URL(`http://localhost${path}`);
  let rendered = false;
  const next = async () => {
    rendered = true;
    const h = new Headers({ 'content-type': 'text/html; charset=utf-8' });
    describe(h);
    return new Response(`<p>${path} ${Math.random()}</p>`, { headers: h });
  };
  const context = { request: new Request(url, { headers }), url, cookies: { headers: function* () {} } };
  const response = await run(context, next);
  return { rendered, response };
}

beforeEach(() => forgetCachedPages());

describe('a listing write', () => {
  it('drops its own page, its company, home, and the lists of its region and category with their ancestors; nothing else', async () => {
    const { categories, regions, rootRegion } = getTaxonomy(db);
    const grainOil = categoryBySlug(db, 'grain-oil');
    const industry = categories.path(grainOil.id)[0]!;
    const donghu = regionBySlug(db, 'donghu');
    const nanchang = regions.path(donghu.id)[1]!;
    const elsewhere = regionBySlug(db, 'jiujiang');
    const l = createListing(db, owner.id, form(), NOW);
    const unrelated = createListing(db, otherOwner.id, form({ region: 'jiujiang', category: 'rebar' }), NOW);

    const pages: [string, string[], boolean][] = [
      ['/', pageTags.home(), true],
      ['/regions', pageTags.counts(), true],
      [`/listing/${l.id}`, pageTags.listing(l.id, company.id), true],
      [`/company/${company.slug}`, pageTags.company(company.id), true],
      ['/region/donghu', pageTags.list(donghu.id, null), true],
      ['/region/nanchang', pageTags.list(nanchang.id, null), true],
      [`/region/nanchang/${industry.slug}`, pageTags.list(nanchang.id, industry.id), true],
      [`/category/grain-oil`, pageTags.list(rootRegion.id, grainOil.id), true],
      ['/search?q=大米', pageTags.search(), false], // dropped when the index takes the write (below)
      ['/regions?untagged', [], true], // says nothing about what it shows: dropped by every write
      ['/region/jiujiang', pageTags.list(elsewhere.id, null), false],
      [`/region/nanchang/steel`, pageTags.list(nanchang.id, categoryBySlug(db, 'steel').id), false],
      [`/listing/${unrelated.id}`, pageTags.listing(unrelated.id, otherCompany.id), false],
      [`/company/${otherCompany.slug}`, pageTags.company(otherCompany.id), false],
    ];
    for (const [path, tags] of pages) await get(path, (h) => describePage(h, tags));
    for (const [path] of pages) expect((await get(path)).rendered, `${path} kept`).toBe(false);

    closeListing(db, owner.id, l.id, NOW + 1);
    for (const [path, tags, dropped] of pages) expect((await get(path, (h) => describePage(h, tags))).rendered, path).toBe(dropped);
  });

  it('moving a listing drops the lists it left as well as those it joined', async () => {
    const l = createListing(db, owner.id, form(), NOW);
    const jiujiang = regionBySlug(db, 'jiujiang');
    const donghu = regionBySlug(db, 'donghu');
    await get('/region/donghu', (h) => describePage(h, pageTags.list(donghu.id, null)));
    await get('/region/jiujiang', (h) => describePage(h, pageTags.list(jiujiang.id, null)));
    updateListing(db, owner.id, l.id, { region: 'jiujiang' }, NOW + 1);
    expect((await get('/region/donghu')).rendered).toBe(true);
    expect((await get('/region/jiujiang')).rendered).toBe(true);
  });
});

describe('the kept pages', () => {
  it('are the newest thousand; a change drops those of its tags still kept, and every untagged one', async () => {
    for (let i = 0; i <= 1000; i++) await get(`/p/${i}`, (h) => describePage(h, [i % 2 ? 'odd' : 'even']));
    await get('/untagged', () => {});
    // The oldest two made room for the last two.
    expect((await get('/p/1000')).rendered).toBe(false);
    expect((await get('/p/2')).rendered).toBe(false);
    forgetTaggedPages(['odd', 'unknown']);
    expect((await get('/p/999')).rendered).toBe(true);
    expect((await get('/p/3')).rendered).toBe(true);
    expect((await get('/p/998')).rendered).toBe(false);
    expect((await get('/untagged')).rendered).toBe(true);
    expect((await get('/p/0')).rendered).toBe(true);
  });
});

describe('a search page', () => {
  ensureSearchIndex(db);
  const describeSearch = (h: Headers) => describePage(h, pageTags.search());
  const indexTotal = async (q: string) => (await searchListings(db, { q }, Date.now())).total;

  it('is kept through a write until the index takes it, then dropped: never kept without a listing it finds', async () => {
    await drainOutbox(db, null);
    const before = await indexTotal('稀土');
    await get('/search?q=稀土', describeSearch);
    createListing(db, owner.id, form({ title: '供应稀土氧化物' }), NOW);
    // Not indexed yet: a render now would answer what the kept page says, so it stays.
    expect(await indexTotal('稀土')).toBe(before);
    expect((await get('/search?q=稀土')).rendered).toBe(false);
    await drainOutbox(db, null);
    expect(await indexTotal('稀土')).toBe(before + 1);
    expect((await get('/search?q=稀土', describeSearch)).rendered).toBe(true);
  });

  it('is dropped when the dictionary changes what searches find', async () => {
    const admin = makeUser(db, { isAdmin: true });
    await get('/search?q=大米', describeSearch);
    expect((await get('/search?q=大米')).rendered).toBe(false);
    await saveDictionary(db, admin.id, { ...dictionaryText(dictionaryForEdit(db, admin.id)), confirm: 'on' }, NOW, undefined, null);
    expect((await get('/search?q=大米')).rendered).toBe(true);
  });
});

describe('a live listing page from the cache', () => {
  const listingPage = (id: number, liveUntil: number) => (h: Headers) =>
    describePage(h, pageTags.listing(id, company.id), { listingId: id, liveUntil });

  it('counts each view it serves, except crawlers; members never get the cached copy', async () => {
    const l = createListing(db, owner.id, form(), NOW);
    const path = `/listing/${l.id}-x`;
    const first = await get(path, listingPage(l.id, NOW + 86_400_000));
    expect(first.rendered).toBe(true); // the page itself counts a rendered view
    expect(first.response.headers.get('cache-control')).toBe('public, no-cache');
    expect(first.response.headers.get('x-page-view')).toBeNull();
    expect(first.response.headers.get('x-page-tags')).toBeNull();
    const before = pendingViews(l.id);

    const hit = await get(path);
    expect(hit.rendered).toBe(false);
    expect(hit.response.headers.get('cache-control')).toBe('public, no-cache');
    const etag = hit.response.headers.get('etag')!;
    const revalidated = await get(path, undefined, { 'user-agent': BROWSER, 'if-none-match': etag });
    expect(revalidated.response.status).toBe(304);
    expect(pendingViews(l.id)).toBe(before + 2);

    await get(path, undefined, { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
    expect(pendingViews(l.id)).toBe(before + 2);
    const member = await get(path, listingPage(l.id, NOW + 86_400_000), { 'user-agent': BROWSER, cookie: 'session=abc' });
    expect(member.rendered).toBe(true);
    expect(pendingViews(l.id)).toBe(before + 2);

    flushViews(db);
    expect(pendingViews(l.id)).toBe(0);
  });

  it('is not served once the listing has expired', async () => {
    const l = createListing(db, owner.id, form(), NOW);
    const path = `/listing/${l.id}-y`;
    await get(path, listingPage(l.id, Date.now() - 1));
    expect((await get(path)).rendered).toBe(true);
  });

  it('is answered by the listener in front of Astro, counted, without Astro running', async () => {
    const l = createListing(db, owner.id, form(), NOW);
    const path = `/listing/${l.id}-z`;
    const behind = vi.fn((_req: http.IncomingMessage, res: http.ServerResponse) => res.end('rendered by Astro'));
    const server = http.createServer(behind);
    serveCachedPagesFirst(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await get(path, listingPage(l.id, NOW + 86_400_000)); // rendered once, through the middleware
      const before = pendingViews(l.id);
      const res = await fetch(base + path, { headers: { 'user-agent': BROWSER, 'accept-encoding': 'gzip' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`/listing/${l.id}-z`);
      expect(res.headers.get('cache-control')).toBe('public, no-cache');
      expect(behind).not.toHaveBeenCalled();
      expect(pendingViews(l.id)).toBe(before + 1);

      const member = await fetch(base + path, { headers: { 'user-agent': BROWSER, cookie: 'session=abc' } });
      expect(await member.text()).toBe('rendered by Astro');
      expect(pendingViews(l.id)).toBe(before + 1);
    } finally {
      server.close();
    }
  });
});

describe('feeds and sitemaps', () => {
  const SITE = 'http://localhost:4321';
  const t = translator('zh-CN');
  // What the routes (src/pages/feed*.ts, src/pages/sitemap*.ts) answer, through the cache middleware.
  const documents: Record<string, (request: Request) => Response> = {
    '/feed.xml': (r) => {
      const f = getFeed(db, { siteUrl: SITE, siteName: 'site', locale: 'zh-CN', t }, Date.now());
      return xmlResponse(r, f.xml, { type: 'application/rss+xml', maxAge: 300, tags: pageTags.list(f.regionId, f.categoryId) });
    },
    '/feeds/region/donghu.xml': (r) => {
      const f = getFeed(db, { siteUrl: SITE, siteName: 'site', locale: 'zh-CN', t, regionSlug: 'donghu' }, Date.now());
      return xmlResponse(r, f.xml, { type: 'application/rss+xml', maxAge: 300, tags: pageTags.list(f.regionId, f.categoryId) });
    },
    '/feeds/region/jiujiang.xml': (r) => {
      const f = getFeed(db, { siteUrl: SITE, siteName: 'site', locale: 'zh-CN', t, regionSlug: 'jiujiang' }, Date.now());
      return xmlResponse(r, f.xml, { type: 'application/rss+xml', maxAge: 300, tags: pageTags.list(f.regionId, f.categoryId) });
    },
    '/sitemap.xml': (r) => {
      const index = getSitemapIndex(db, SITE, Date.now());
      return xmlResponse(r, index.xml, { lastmod: index.lastmod, maxAge: 600, tags: pageTags.counts() });
    },
    '/sitemaps/listings-0.xml': (r) => {
      const file = getSitemapFile(db, SITE, 'listings-0', Date.now());
      return streamResponse(r, file.body, { etag: file.etag, lastmod: file.lastmod, maxAge: 600, tags: pageTags.sitemap('listings-0') });
    },
    '/sitemaps/companies-0.xml': (r) => {
      const file = getSitemapFile(db, SITE, 'companies-0', Date.now());
      return streamResponse(r, file.body, { etag: file.etag, lastmod: file.lastmod, maxAge: 600, tags: pageTags.sitemap('companies-0') });
    },
  };

  async function fetchDoc(path: string, headers: Record<string, string> = {}) {
    const url = new URL(`http://localhost${path}`);
    const request = new Request(url, { headers });
    let rendered = false;
    const next = async () => {
      rendered = true;
      return documents[path]!(request);
    };
    const response = await run({ request, url, cookies: { headers: function* () {} } }, next);
    return { rendered, response, text: await response.text() };
  }

  it('are kept with their own validators, and a listing write drops only those that show it', async () => {
    createListing(db, owner.id, form(), NOW);
    const first: Record<string, { text: string; etag: string | null }> = {};
    for (const path of Object.keys(documents)) {
      const { rendered, response, text } = await fetchDoc(path);
      expect(rendered, path).toBe(true);
      expect(response.headers.get('x-page-tags')).toBeNull();
      first[path] = { text, etag: response.headers.get('etag') };
    }
    for (const path of Object.keys(documents)) {
      const again = await fetchDoc(path);
      expect(again.rendered, `${path} kept`).toBe(false);
      expect(again.text).toBe(first[path]!.text);
      expect(again.response.headers.get('etag')).toBe(first[path]!.etag);
      expect(again.response.headers.get('cache-control')).toMatch(/^public, max-age=(300|600)$/);
    }

    const added = createListing(db, owner.id, form({ title: '供应新到东北大米' }), NOW + 1);
    const dropped: Record<string, boolean> = {
      '/feed.xml': true,
      '/feeds/region/donghu.xml': true,
      '/feeds/region/jiujiang.xml': false,
      '/sitemap.xml': true,
      '/sitemaps/listings-0.xml': true,
      '/sitemaps/companies-0.xml': false,
    };
    for (const [path, expected] of Object.entries(dropped)) {
      const after = await fetchDoc(path);
      expect(after.rendered, path).toBe(expected);
      if (path === '/feeds/region/donghu.xml' || path === '/sitemaps/listings-0.xml') expect(after.text).toContain(`/listing/${added.id}-`);
    }
  });

  it('a kept sitemap answers If-None-Match and If-Modified-Since with 304', async () => {
    const path = '/sitemaps/listings-0.xml';
    const { response } = await fetchDoc(path);
    const etag = response.headers.get('etag')!;
    const lastModified = response.headers.get('last-modified')!;
    const byTag = await fetchDoc(path, { 'if-none-match': etag });
    expect([byTag.rendered, byTag.response.status]).toEqual([false, 304]);
    const byDate = await fetchDoc(path, { 'if-modified-since': lastModified });
    expect([byDate.rendered, byDate.response.status]).toEqual([false, 304]);
    const older = await fetchDoc(path, { 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() });
    expect([older.rendered, older.response.status]).toEqual([false, 200]);
  });
});

afterAll(() => forgetCachedPages());
