// Exactness against brute force: a few thousand demo listings, filtered searches paged to the end (up to the page
// limit), every page compared with the answer computed here from the listings table: the same ids in the same order,
// the exact total, facet counts that are the true counts of each group without its own filter.
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, listingImages, listings } from '../../db/schema.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { MAX_PAGE, PAGE_SIZE } from '../../src/server/pagination.ts';
import { documentKey, ftsCount } from '../../src/server/search/fts.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { normalize } from '../../src/server/search/text.ts';
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
const all = db.select().from(listings).all();
db.insert(listingImages)
  .values(all.filter((l) => l.id % 7 === 0).map((l) => ({ listingId: l.id, position: 0, hash: `h${l.id}`, width: 800, height: 600, createdAt: NOW })))
  .run();
rebuildFts(db, NOW - 3 * DAY);

const taxonomy = getTaxonomy(db);
const verified = new Set(db.select().from(companies).all().filter((c) => c.verified).map((c) => c.id));
const companyName = new Map(db.select().from(companies).all().map((c) => [c.id, c.name]));
const withImages = new Set(all.filter((l) => l.id % 7 === 0).map((l) => l.id));

interface Truth {
  id: number;
  key: number;
  kind: string;
  cityId: number;
  regionId: number;
  topCategoryId: number;
  categoryId: number;
  low: number | null;
  high: number | null;
  publishedAt: number;
  attributes: Record<string, string | number>;
  hasImages: boolean;
  verified: boolean;
  fields: { title: string; middle: string; rest: string };
}

const live: Truth[] = all
  .filter((l) => l.status === 'active' && l.expiresAt !== null && l.expiresAt > NOW)
  .map((l) => {
    const cats = taxonomy.categories.path(l.categoryId);
    const defs = cats.at(-1)!.attributes;
    return {
      id: l.id,
      key: documentKey({ id: l.id, publishedAt: l.publishedAt! }),
      kind: l.kind,
      cityId: l.cityId,
      regionId: l.regionId,
      topCategoryId: l.topCategoryId,
      categoryId: l.categoryId,
      low: l.negotiable ? null : l.priceMin,
      high: l.negotiable ? null : (l.priceMax ?? l.priceMin),
      publishedAt: l.publishedAt!,
      attributes: l.attributes,
      hasImages: withImages.has(l.id),
      verified: verified.has(l.companyId),
      fields: {
        title: normalize(l.title),
        middle: normalize([...cats.flatMap((c) => [c.nameZh, c.nameEn]), ...Object.values(l.attributes), ...defs.filter((d) => l.attributes[d.key] !== undefined).map((d) => d.en)].join(' ')),
        rest: normalize(`${companyName.get(l.companyId)} ${l.description}`),
      },
    };
  });

type Params = Record<string, string>;

/** The true matches of a search, leaving out one filter group when asked (for a facet's counts). */
function truth(p: Params, without?: 'kind' | 'region' | 'category' | string): Truth[] {
  const region = p.region ? taxonomy.regions.bySlug.get(p.region)! : undefined;
  const category = p.category ? taxonomy.categories.bySlug.get(p.category)! : undefined;
  const yuan = (s: string | undefined) => (s === undefined ? undefined : Math.round(Number(s) * 100));
  const [pmin, pmax] = [yuan(p.price_min), yuan(p.price_max)];
  const word = p.q ? normalize(p.q) : undefined;
  return live.filter((l) => {
    if (word && !Object.values(l.fields).some((f) => f.includes(word))) return false;
    if (p.kind && without !== 'kind' && l.kind !== p.kind) return false;
    if (region && without !== 'region' && (region.parentId === taxonomy.rootRegion.id ? l.cityId : l.regionId) !== region.id) return false;
    if (category && without !== 'category' && (category.parentId === null ? l.topCategoryId : l.categoryId) !== category.id) return false;
    if (pmin !== undefined || pmax !== undefined) {
      if (l.low === null || l.high === null) return false;
      if (pmin !== undefined && l.high < pmin) return false;
      if (pmax !== undefined && l.low > pmax) return false;
    }
    if (p.days && l.publishedAt < NOW - Number(p.days) * DAY) return false;
    if (p.images && !l.hasImages) return false;
    if (p.verified && !l.verified) return false;
    for (const [name, value] of Object.entries(p)) {
      const m = /^a\.([a-z_]+)(?:\.(min|max))?$/.exec(name);
      if (!m) continue;
      const v = l.attributes[m[1]!];
      if (!m[2]) {
        if (without !== `attr:${m[1]}` && v !== value) return false;
      } else {
        if (typeof v !== 'number') return false;
        if (m[2] === 'min' && v < Number(value)) return false;
        if (m[2] === 'max' && v > Number(value)) return false;
      }
    }
    return true;
  });
}

function order(p: Params, rows: Truth[]): number[] {
  const newest = (a: Truth, b: Truth) => b.key - a.key;
  const word = p.q ? normalize(p.q) : undefined;
  const tier = (l: Truth) => (!word ? 0 : l.fields.title.includes(word) ? 0 : l.fields.middle.includes(word) ? 1 : 2);
  const sorted = [...rows].sort((a, b) => {
    if (p.sort === 'price_asc') return (a.low ?? Infinity) - (b.low ?? Infinity) || newest(a, b);
    if (p.sort === 'price_desc') return (b.high ?? -Infinity) - (a.high ?? -Infinity) || newest(a, b);
    if (p.sort === 'newest') return newest(a, b);
    return tier(a) - tier(b) || newest(a, b);
  });
  return sorted.map((l) => l.id);
}

const countBy = (rows: Truth[], pick: (l: Truth) => string | number | undefined) => {
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
];

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
      const expected = order(p, rows).slice(0, MAX_PAGE * PAGE_SIZE);
      const first = await searchListings(db, p, NOW);
      expect(first.total).toBe(rows.length);
      expect(first.exact).toBe(true);
      expect(first.facetsExact).toBe(true);
      const got: number[] = [];
      for (let page = 1; page <= first.pages; page++) {
        const r = page === 1 ? first : await searchListings(db, { ...p, page: String(page) }, NOW);
        expect(r.total).toBe(rows.length);
        got.push(...r.hits.map((h) => h.id));
      }
      expect(got).toEqual(expected);

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
