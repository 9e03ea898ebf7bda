// Exactness against brute force: a few thousand demo listings, filtered searches paged to the end (up to the page
// limit), every page compared with the brute-force answer (scripts/bench/search-truth.ts, shared with the bench): the same ids in the same order,
// the exact total, facet counts that are the true counts of each group without its own filter.
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listingImages, listings } from '../../db/schema.ts';
import { liveRows, matches, ranked, truthOrder, type Params, type TruthRow, type Without } from '../../scripts/bench/search-truth.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { MAX_PAGE, PAGE_SIZE } from '../../src/server/pagination.ts';
import { documentsFor } from '../../src/server/search/documents.ts';
import { ftsApply, ftsCount } from '../../src/server/search/fts.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { DAY, freshDb } from '../helpers/db.ts';

// Now, not a fixed date: the rebuild re-reads recently changed listings at the clock's time.
const NOW = Date.now();
const db = freshDb();
writeDemoData(db, { listings: 3000, seed: 11, now: NOW });
// Fifty active listings ran out an hour ago, after the index was built (below, as of three days ago): they are in
// the index, and searches must leave them out.
const ranOut = db.select({ id: listings.id }).from(listings).where(eq(listings.status, 'active')).limit(50).all();
db.update(listings).set({ expiresAt: NOW - 3_600_000 }).where(inArray(listings.id, ranOut.map((r) => r.id))).run();
// Pictures on every seventh listing (demo data has none).
const all = db.select({ id: listings.id }).from(listings).all();
db.insert(listingImages)
  .values(all.filter((l) => l.id % 7 === 0).map((l) => ({ listingId: l.id, position: 0, hash: `h${l.id}`, width: 800, height: 600, createdAt: NOW })))
  .run();
rebuildFts(db, NOW - 3 * DAY);

const taxonomy = getTaxonomy(db);
const live = [...liveRows(db, NOW)];
const truth = (p: Params, without?: Without) => live.filter((l) => matches(taxonomy, NOW, l, p, without));

const countBy = (rows: TruthRow[], pick: (l: TruthRow) => string | number | undefined) => {
  const out: Record<string, number> = {};
  for (const l of rows) {
    const v = pick(l);
    if (v !== undefined) out[String(v)] = (out[String(v)] ?? 0) + 1;
  }
  return out;
};

// A number attribute's middle third, from the data, so the range is neither empty nor everything.
const pipes = live.filter((l) => typeof l.attributes.diameter === 'number' && taxonomy.categories.byId.get(l.categoryId)!.slug === 'plastic-pipes');
const diameters = pipes.map((l) => l.attributes.diameter as number).sort((a, b) => a - b);
const [dLow, dHigh] = [diameters[Math.floor(diameters.length / 3)]!, diameters[Math.floor((2 * diameters.length) / 3)]!];

const SEARCHES: Params[] = [
  {},
  { kind: 'demand', price_min: '5000', price_max: '6000' },
  { q: '采购', kind: 'supply' },
  { q: '有限', kind: 'demand', price_min: '100', price_max: '900' },
  { q: '设备', kind: 'demand', price_max: '20000' },
  { q: '钢管', kind: 'demand' },
  { q: '钢管' },
  { q: '钢', sort: 'price_asc' },
  { q: '管', sort: 'newest', days: '3' },
  { category: 'steel', sort: 'price_desc' },
  { region: 'nanchang', days: '7' },
  { region: 'donghu', category: 'building-materials' },
  { category: 'plastic-pipes', 'a.diameter.min': String(dLow), 'a.diameter.max': String(dHigh) },
  { category: 'plastic-pipes', 'a.diameter.min': String(dHigh), sort: 'price_asc' },
  { category: 'tea', 'a.grade': '特级' },
  { category: 'tea', 'a.grade': '一级', 'a.season': '明前', kind: 'supply' },
  { verified: '1', images: '1' },
  { q: '茶', region: 'ganzhou', days: '30', verified: '1' },
  { price_min: '0.5', price_max: '30' },
  // Several ranges at once: each one's ends checked, every combination of inner and end buckets counted once.
  { price_min: '10', price_max: '5000', days: '7', kind: 'supply' },
  { category: 'plastic-pipes', 'a.diameter.min': String(dLow), price_max: '200', days: '30' },
  { q: '管', price_min: '20', days: '30', sort: 'price_desc' },
];

/** Pages every search to the end, expecting these ids in this order and this total; returns page 1. */
async function expectPages(p: Params, expected: number[], total: number) {
  const first = await searchListings(db, p, NOW);
  expect(first.total).toBe(total);
  expect(first.exact).toBe(true);
  expect(first.facetsExact).toBe(true);
  const got: number[] = [];
  for (let page = 1; page <= first.pages; page++) {
    const r = page === 1 ? first : await searchListings(db, { ...p, page: String(page) }, NOW);
    expect(r.total).toBe(total);
    got.push(...r.hits.map((h) => h.id));
  }
  expect(got).toEqual(expected);
  return first;
}

describe('every filtered search returns exactly the true matches, in order, on every page', () => {
  it('the demo data gives the searches something to find', () => {
    expect(live.length).toBeGreaterThan(2000);
    expect(pipes.length).toBeGreaterThan(10);
    // Some listings in the index expired after it was built: searches must leave them out.
    expect(ftsCount(db)).toBeGreaterThan(live.length);
  });

  for (const p of SEARCHES) {
    it(new URLSearchParams(p).toString() || '(browse)', async () => {
      const rows = truth(p);
      const expected = truthOrder(p, rows.map((l) => ranked(l, p))).slice(0, MAX_PAGE * PAGE_SIZE);
      const first = await expectPages(p, expected, rows.length);

      // Facets: each group counted without its own filter; a group without a filter sums to the total.
      const kinds = truth(p, 'kind');
      expect(Object.fromEntries(first.facets.kind.filter((k) => k.count > 0).map((k) => [k.kind, k.count]))).toEqual(countBy(kinds, (l) => l.kind));
      if (!p.kind) expect(first.facets.kind.reduce((a, k) => a + k.count, 0)).toBe(rows.length);
      const region = p.region ? taxonomy.regions.bySlug.get(p.region)! : undefined;
      const city = region ? taxonomy.regions.path(region.id)[1]! : undefined;
      const places = truth(p, 'region');
      expect(Object.fromEntries(first.facets.region.filter((f) => f.count > 0).map((f) => [String(f.item.id), f.count]))).toEqual(
        countBy(places, (l) => (city ? (l.cityId === city.id && l.regionId !== city.id ? l.regionId : undefined) : l.cityId)),
      );
      const category = p.category ? taxonomy.categories.bySlug.get(p.category)! : undefined;
      const top = category ? taxonomy.categories.path(category.id)[0]! : undefined;
      const cats = truth(p, 'category');
      expect(Object.fromEntries(first.facets.category.filter((f) => f.count > 0).map((f) => [String(f.item.id), f.count]))).toEqual(
        countBy(cats, (l) => (top ? (l.topCategoryId === top.id ? l.categoryId : undefined) : l.topCategoryId)),
      );
      for (const a of first.facets.attributes) {
        const truthA = truth(p, `attr:${a.attribute.key}`);
        expect(Object.fromEntries(a.values.filter((v) => v.count > 0).map((v) => [v.value, v.count]))).toEqual(
          countBy(truthA, (l) => (l.attributes[a.attribute.key] === undefined ? undefined : String(l.attributes[a.attribute.key]))),
        );
      }
    });
  }
});

describe('kept text matches (broad words at scale) stay exact as listings change, leave and come back', () => {
  const withWords = SEARCHES.filter((p) => p.q);
  // Every search, with words or without: the changed listings' rows are in the columns' recent block.
  const expectAll = async (rows: TruthRow[]) => {
    for (const p of SEARCHES) {
      const matching = rows.filter((l) => matches(taxonomy, NOW, l, p));
      await expectPages(p, truthOrder(p, matching.map((l) => ranked(l, p))).slice(0, MAX_PAGE * PAGE_SIZE), matching.length);
    }
  };

  it('every text match and relevance tier is kept, patched after each write, and answers like brute force', async () => {
    for (const p of withWords) await searchListings(db, p, NOW);
    // Titles rewritten (same keys): some lose the searched words, others gain them.
    const edited = live.filter((l) => l.id % 3 === 0).slice(0, 300);
    edited.forEach((l, i) => {
      const title = i % 2 === 0 ? `改名后的标题${l.id}` : `钢管 采购 设备 有限 茶 管 ${l.id}`;
      db.update(listings).set({ title }).where(eq(listings.id, l.id)).run();
    });
    const ids = edited.map((l) => l.id);
    ftsApply(db, documentsFor(db, ids, NOW), ids);
    const now = [...liveRows(db, NOW)];
    await expectAll(now);
    // Out of the index, then back in with the same keys.
    ftsApply(db, [], ids);
    const gone = new Set(ids);
    await expectAll(now.filter((l) => !gone.has(l.id)));
    ftsApply(db, documentsFor(db, ids, NOW), ids);
    await expectAll(now);
  });
});

describe('documents for many listings at once', () => {
  it('reads more ids than SQLite binds in one statement (a rebuild catching up a large bulk load)', () => {
    const ids = Array.from({ length: 40_000 }, (_, i) => i + 1);
    const live = db.select({ id: listings.id, status: listings.status, expiresAt: listings.expiresAt }).from(listings).all();
    const expected = live.filter((l) => l.status === 'active' && l.expiresAt !== null && l.expiresAt > NOW).map((l) => l.id);
    expect(documentsFor(db, ids, NOW).map((d) => d.id).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
  });
});
