// The search service beyond the engines' shared cases: hostile input, the outbox reaching the index within a
// second, start-up (re)building, Meilisearch being away, suggestions and the API's JSON.
import { count, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { listings, searchOutbox } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { InvalidError } from '../../src/server/errors.ts';
import { apiError, searchApi, suggestApi } from '../../src/server/search/api.ts';
import { ensureFtsSchema, ftsCount, setFtsMeta } from '../../src/server/search/fts.ts';
import { searchListings, suggest } from '../../src/server/search/index.ts';
import { backoffMs, drainOutbox, ensureSearchIndex, startIndexer } from '../../src/server/search/indexer.ts';
import { MeiliEngine } from '../../src/server/search/meili.ts';
import { enqueueSearchUpdate } from '../../src/server/search/outbox.ts';
import { categoryBySlug, DAY, freshDb, makeCompany, makeListing } from '../helpers/db.ts';

const db = freshDb();
const company = makeCompany(db, { name: '萍乡华强电瓷有限公司', slug: 'huaqiang' });
const insulator = makeListing(db, company.id, { title: '高压电瓷绝缘子 批发', categoryId: categoryBySlug(db, 'industrial-ceramics').id });
for (let i = 0; i < 45; i++) makeListing(db, company.id, { title: `工业陶瓷配件 第${i}号`, categoryId: categoryBySlug(db, 'industrial-ceramics').id });
ensureSearchIndex(db);

describe('start-up', () => {
  it('builds the index for listings written without outbox rows (the demo data)', () => {
    expect(ftsCount(db)).toBe(46);
  });

  it('rebuilds when the index was built by another version', () => {
    setFtsMeta(db, 'fts_version', 'old');
    expect(ensureSearchIndex(db)).toEqual({ rebuilt: true, documents: 46 });
    expect(ensureSearchIndex(db)).toEqual({ rebuilt: false, documents: 46 });
  });
});

describe('hostile and odd queries give results or an empty page, never an error', () => {
  const inputs = [
    'x'.repeat(1200),
    '钢'.repeat(1500),
    '"',
    '""',
    '*',
    '电瓷*',
    'NEAR(电瓷 绝缘子)',
    '电瓷 OR 绝缘子',
    'title:电瓷',
    '^电瓷',
    '(电瓷',
    ')))',
    '- 电瓷',
    '😀🔥',
    '电瓷😀',
    '\u0000\u0001\u001f电瓷\u007f',
    "'; DROP TABLE listings; --",
    '1 OR 1=1',
    '<script>alert(1)</script>',
    '\uFFFD\uD800',
    '   ',
  ];
  for (const q of inputs) {
    it(`q=${JSON.stringify(q.slice(0, 30))}${q.length > 30 ? `… (${q.length} chars)` : ''}`, async () => {
      const r = await searchListings(db, { q }, Date.now());
      expect(r.total).toBeGreaterThanOrEqual(0);
      for (const h of r.hits) expect(h.titleHtml.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    });
  }

  it('still finds the listing through FTS syntax around the words', async () => {
    for (const q of ['"绝缘子"', '绝缘子*', '(绝缘子)', '绝缘子:^', '{绝缘子}']) {
      const r = await searchListings(db, { q }, Date.now());
      expect(r.hits.map((h) => h.id), q).toContain(insulator.id);
    }
  });

  it('refuses filters that make no sense with a message per field', async () => {
    const bad = { kind: 'ads', region: 'atlantis', category: '999999', price_min: '12,5', sort: 'random', days: '2', page: '0' };
    const err = await searchListings(db, bad, Date.now()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).fields).toMatchObject({
      kind: 'search.invalidKind',
      price_min: 'search.invalidPrice',
      sort: 'search.invalidSort',
      days: 'search.invalidDays',
      page: 'search.invalidPage',
    });
    const err2 = await searchListings(db, { region: 'atlantis', category: 'nothing', price_min: '9', price_max: '1' }, Date.now()).catch((e: unknown) => e);
    expect((err2 as InvalidError).fields).toEqual({ price_max: 'search.priceRange' });
    const err3 = await searchListings(db, { region: 'atlantis', category: 'nothing' }, Date.now()).catch((e: unknown) => e);
    expect((err3 as InvalidError).fields).toEqual({ region: 'search.unknownRegion', category: 'search.unknownCategory' });
    expect(apiError(err3 as InvalidError, 'en').error.fields.region).toBe('There is no such region.');
  });

  it('treats blank form fields as absent', async () => {
    const r = await searchListings(db, new URLSearchParams('q=绝缘子&price_min=&price_max=&days=&kind='), Date.now());
    expect(r.total).toBe(1);
  });
});

describe('pagination', () => {
  it('pages by 20 with an exact total', async () => {
    // The category name 工业陶瓷 is indexed with every one of the 46 listings.
    const r1 = await searchListings(db, { q: '工业陶瓷' }, Date.now());
    const r3 = await searchListings(db, { q: '工业陶瓷', page: '3' }, Date.now());
    expect([r1.total, r1.pages, r1.hits.length, r3.hits.length]).toEqual([46, 3, 20, 6]);
    const all = new Set([...r1.hits, ...r3.hits].map((h) => h.id));
    expect(all.size).toBe(26);
  });

  it('refuses pages past the cap', async () => {
    await expect(searchListings(db, { page: '101' }, Date.now())).rejects.toBeInstanceOf(InvalidError);
  });
});

describe('the outbox', () => {
  const stop = startIndexer(db);
  afterAll(() => stop());

  it('makes a committed listing searchable within a second', async () => {
    const started = Date.now();
    const id = db.transaction(
      (tx) => {
        const l = makeListing(tx as never, company.id, { title: '特种陶瓷密封环 新品' });
        enqueueSearchUpdate(tx, [l.id], Date.now());
        return l.id;
      },
      { behavior: 'immediate' },
    );
    let found = false;
    while (!found && Date.now() - started < 1000) {
      found = (await searchListings(db, { q: '密封环' }, Date.now())).hits.some((h) => h.id === id);
      if (!found) await new Promise((r) => setTimeout(r, 10));
    }
    expect(found).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(db.select({ n: count() }).from(searchOutbox).get()!.n).toBe(0);
  });

  it('takes a closed listing out and an edited title in', async () => {
    db.transaction((tx) => {
      tx.update(listings).set({ status: 'closed' }).where(eq(listings.id, insulator.id)).run();
      enqueueSearchUpdate(tx, [insulator.id], Date.now());
    });
    const target = makeListing(db, company.id, { title: '旧标题陶瓷件' });
    db.transaction((tx) => {
      tx.update(listings).set({ title: '氧化铝陶瓷球' }).where(eq(listings.id, target.id)).run();
      enqueueSearchUpdate(tx, [target.id], Date.now());
    });
    await new Promise((r) => setTimeout(r, 200));
    expect((await searchListings(db, { q: '电瓷绝缘子' }, Date.now())).total).toBe(0);
    expect((await searchListings(db, { q: '氧化铝陶瓷球' }, Date.now())).hits.map((h) => h.id)).toEqual([target.id]);
  });
});

describe('when Meilisearch is away', () => {
  it('keeps FTS5 current and the rows queued with a growing delay, then drains them when it is back', async () => {
    ensureFtsSchema(db);
    const away = new MeiliEngine({ url: 'http://127.0.0.1:9', index: 'listings' });
    const l = makeListing(db, company.id, { title: '蜂窝陶瓷载体' });
    enqueueSearchUpdate(db, [l.id], Date.now());
    const t0 = Date.now();
    const result = await drainOutbox(db, away, () => t0);
    expect(result.failed).toBe(1);
    expect((await searchListings(db, { q: '蜂窝陶瓷' }, Date.now())).hits.map((h) => h.id)).toEqual([l.id]);
    const row = db.select().from(searchOutbox).get()!;
    expect(row.attempts).toBe(1);
    expect(row.nextAttemptAt).toBe(t0 + backoffMs(0));
    expect(row.lastError).toBeTruthy();
    // Not due yet: nothing is tried.
    expect(await drainOutbox(db, away, () => t0 + 10)).toEqual({ indexed: 0, failed: 0 });
    // Back (FTS5 only here): the backlog drains.
    expect(await drainOutbox(db, null, () => t0 + backoffMs(0))).toEqual({ indexed: 1, failed: 0 });
    expect(db.select({ n: count() }).from(searchOutbox).get()!.n).toBe(0);
  });

  it('doubles the delay up to five minutes', () => {
    expect([0, 1, 2, 10, 30].map(backoffMs)).toEqual([1000, 2000, 4000, 300_000, 300_000]);
  });
});

describe('suggestions and the JSON API', () => {
  it('suggests categories, titles and companies for a prefix', () => {
    const s = suggest(db, '工业陶');
    expect(s[0]).toMatchObject({ type: 'category', text: '工业陶瓷' });
    expect(s.some((x) => x.type === 'listing')).toBe(true);
    expect(suggest(db, '华强').some((x) => x.type === 'company' && x.text === '萍乡华强电瓷有限公司')).toBe(true);
    expect(suggest(db, '')).toEqual([]);
    expect(suggest(db, '"*(')).toEqual([]);
    expect(suggestApi(db, '工业陶', 'zh-CN').suggestions[0]).toMatchObject({ type: 'category', url: '/search?category=industrial-ceramics' });
    // English pages' header search: the category in English, every link to the English page.
    const en = suggestApi(db, '工业陶', 'en').suggestions;
    expect(en[0]).toMatchObject({ type: 'category', text: 'Industrial Ceramics', url: '/en/search?category=industrial-ceramics' });
    expect(en.every((s) => s.url.startsWith('/en/'))).toBe(true);
  });

  it('answers the documented shape with ids or slugs for places', async () => {
    const r = await searchApi(db, { q: '工业陶瓷', region: '360102', category: 'industrial-ceramics', sort: 'newest' }, Date.now(), 'zh-CN');
    // The insulator was closed above: 45 remain in the category.
    expect(r).toMatchObject({ total: 45, page: 1, pages: 3, totalExact: true, facetsExact: true });
    expect(Object.keys(r.facets).sort()).toEqual(['attributes', 'category', 'kind', 'region']);
    expect(r.hits[0]).toMatchObject({ url: expect.stringMatching(/^\/listing\/\d+-/), company: { name: '萍乡华强电瓷有限公司' } });
    expect(r.next).toBe('/api/v1/search?q=%E5%B7%A5%E4%B8%9A%E9%99%B6%E7%93%B7&region=donghu&category=industrial-ceramics&sort=newest&page=2');
    const lateDay = Date.now() + 400 * DAY; // every listing has expired by then
    expect((await searchApi(db, {}, lateDay, 'en')).total).toBe(0);
  });
});

describe('facet counts and totals follow the index', () => {
  const kindCount = (r: Awaited<ReturnType<typeof searchListings>>, kind: string) => r.facets.kind.find((k) => k.kind === kind)!.count;

  it('count a new listing, and read the index again after another process changed it', async () => {
    const before = await searchListings(db, {}, Date.now());
    const l = makeListing(db, company.id, { kind: 'demand', title: '求购陶瓷辊棒' });
    enqueueSearchUpdate(db, [l.id], Date.now());
    await drainOutbox(db, null);
    const added = await searchListings(db, {}, Date.now());
    expect(added.total).toBe(before.total + 1);
    expect(kindCount(added, 'demand')).toBe(kindCount(before, 'demand') + 1);

    // Another connection (as the reindex CLI or another server process would) takes it out again.
    const other = openDatabase(db.$client.name);
    other.update(listings).set({ status: 'closed' }).where(eq(listings.id, l.id)).run();
    enqueueSearchUpdate(other, [l.id], Date.now());
    await drainOutbox(other, null);
    other.$client.close();
    const removed = await searchListings(db, {}, Date.now());
    expect(removed.total).toBe(before.total);
    expect(kindCount(removed, 'demand')).toBe(kindCount(before, 'demand'));
  });

  it('count by the clock: a listing expiring between two searches leaves total and facets with no write between', async () => {
    // Within a second, to the millisecond: the columns hold whole seconds and read the boundary exactly.
    const t = Date.now() + 600_000 + 123;
    const l = makeListing(db, company.id, { kind: 'demand', title: '求购陶瓷 到期测试', expiresAt: t });
    enqueueSearchUpdate(db, [l.id], Date.now());
    await drainOutbox(db, null);
    // Without words (counts by kind, place and category), with words, with words and a filter (counts held).
    for (const q of [{}, { q: '陶瓷' }, { q: '陶瓷', kind: 'demand' }, { q: '陶瓷', sort: 'newest' }]) {
      const live = await searchListings(db, q, t - 1);
      expect(live.hits.map((h) => h.id), JSON.stringify(q)).toContain(l.id);
      expect((await searchListings(db, q, t - 1)).total).toBe(live.total);
      const gone = await searchListings(db, q, t);
      expect(gone.total, JSON.stringify(q)).toBe(live.total - 1);
      expect(kindCount(gone, 'demand')).toBe(kindCount(live, 'demand') - 1);
      expect(gone.hits.map((h) => h.id)).not.toContain(l.id);
    }

    // And past a publish-date filter: in on the millisecond it is `days` old, out one after.
    const published = Date.now() - DAY + 600_000 + 77;
    const aging = makeListing(db, company.id, { kind: 'demand', title: '求购陶瓷 发布测试', publishedAt: published });
    enqueueSearchUpdate(db, [aging.id], Date.now());
    await drainOutbox(db, null);
    for (const q of [{ days: '1' }, { q: '陶瓷', days: '1' }, { q: '陶瓷', days: '1', sort: 'newest' }]) {
      const live = await searchListings(db, q, published + DAY);
      expect(live.hits.map((h) => h.id), JSON.stringify(q)).toContain(aging.id);
      expect((await searchListings(db, q, published + DAY)).total).toBe(live.total);
      const gone = await searchListings(db, q, published + DAY + 1);
      expect(gone.total, JSON.stringify(q)).toBe(live.total - 1);
      expect(gone.hits.map((h) => h.id)).not.toContain(aging.id);
    }
  });
});
