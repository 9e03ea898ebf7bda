// Counts a search holds (its total, facets, rows and price orders) are patched after each write to the index rather
// than counted again: after every kind of write they must answer exactly like columns loaded afresh from the file.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { documentsFor, type SearchDocument } from '../../src/server/search/documents.ts';
import { facetColumns } from '../../src/server/search/facet-columns.ts';
import { ftsApply, ftsSweepExpired } from '../../src/server/search/fts.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { categoryBySlug, DAY, freshDb } from '../helpers/db.ts';

const NOW = Date.now();
const db = freshDb();
writeDemoData(db, { listings: 1500, seed: 5, now: NOW });
const ids = db
  .select({ id: listings.id })
  .from(listings)
  .where(eq(listings.status, 'active'))
  .all()
  .map((r) => r.id);
// Out of the index from the start, so a write can put them in as new listings.
const outside = ids.filter((id) => id % 11 === 0).slice(0, 20);
rebuildFts(db, NOW);
ftsApply(db, [], outside);

type Params = Record<string, string>;
const SEARCHES: Params[] = [
  { q: '钢管' },
  { q: '采购', kind: 'supply' },
  { q: '有限', sort: 'price_asc' },
  { q: '设备', price_max: '2000000', sort: 'price_desc' },
  { kind: 'demand', price_min: '500', price_max: '60000' },
  { category: 'agriculture', sort: 'price_asc' },
  { region: 'nanchang', days: '7' },
  // Within a subcategory: its attribute facets and filters.
  { category: 'tea', kind: 'supply' },
  // None at first: the writes below put some in.
  { category: 'tea', 'a.grade': '特级' },
  { category: 'plastic-pipes', 'a.diameter.min': '50', 'a.diameter.max': '400' },
  {},
];

/** What a search answers: total, facets and the ids of its first pages. */
async function answer(on: typeof db, p: Params) {
  const first = await searchListings(on, p, NOW);
  const pages = [first.hits.map((h) => h.id)];
  for (let page = 2; page <= Math.min(3, first.pages); page++) pages.push((await searchListings(on, { ...p, page: String(page) }, NOW)).hits.map((h) => h.id));
  return {
    total: first.total,
    exact: first.exact,
    facets: first.facets,
    pages,
  };
}

/** The same searches on a new connection: columns loaded afresh from the file, nothing held. */
async function fresh(p: Params) {
  const other = openDatabase(db.$client.name);
  try {
    return await answer(other, p);
  } finally {
    other.$client.close();
  }
}

/** Listings written again with a change to their documents (the index only: what a write of a listing would put in). */
const rewrite = (some: number[], change: (d: SearchDocument, i: number) => void) => {
  const docs = documentsFor(db, some, NOW);
  docs.forEach(change);
  ftsApply(db, docs, some);
  return docs;
};

describe('held counts after each kind of write', () => {
  const live = ids.filter((id) => !outside.includes(id));
  const writes: [string, () => void][] = [
    ['new listings put in', () => ftsApply(db, documentsFor(db, outside, NOW), outside)],
    ['listings taken out', () => ftsApply(db, [], live.slice(0, 15))],
    ['prices changed (one past a Uint32 of fen)', () => rewrite(live.slice(20, 35), (d, i) => ([d.priceMin, d.priceMax] = i === 0 ? [9e11, 9e11] : [i * 10_000, i * 20_000]))],
    ['kinds changed', () => rewrite(live.slice(40, 60), (d) => (d.kind = d.kind === 'supply' ? 'demand' : 'supply'))],
    ['titles changed to gain and lose the words', () => rewrite(live.slice(60, 80), (d, i) => (d.title = i % 2 === 0 ? `钢管 采购 有限 设备 茶 ${d.id}` : `另一个标题 ${d.id}`))],
    ['listings renewed (a new key, newest first)', () => rewrite(live.slice(80, 95), (d) => (d.publishedAt = NOW - 60_000))],
    ['listings expired', () => rewrite(live.slice(100, 115), (d) => (d.expiresAt = NOW - DAY))],
    ['the sweep of expired listings', () => expect(ftsSweepExpired(db, NOW)).toBeGreaterThan(0)],
    ['a listing taken out and put back in the same write', () => rewrite([live[200]!], () => {})],
    [
      'attributes changed within a subcategory, and listings moved into it',
      () => {
        const tea = categoryBySlug(db, 'tea');
        const docs = documentsFor(db, live.slice(300), NOW);
        const inside = docs.filter((d) => d.categoryId === tea.id).slice(0, 10);
        expect(inside.length).toBeGreaterThan(0);
        rewrite(
          inside.map((d) => d.id),
          (d, i) => (d.attributes = { ...d.attributes, grade: i % 2 === 0 ? '特级' : '三级', season: '明前' }),
        );
        const moved = docs.filter((d) => d.categoryId !== tea.id).slice(0, 10);
        rewrite(
          moved.map((d) => d.id),
          (d) => Object.assign(d, { categoryId: tea.id, topCategoryId: tea.parentId, attributes: { type: '绿茶', grade: '特级' } }),
        );
      },
    ],
  ];

  it('the searches find something to hold', async () => {
    for (const p of SEARCHES.filter((p) => !p['a.grade'])) expect((await answer(db, p)).total, JSON.stringify(p)).toBeGreaterThan(0);
  });

  for (const [what, write] of writes) {
    it(`${what}: patched, and answering like a fresh count`, async () => {
      for (const p of SEARCHES) await answer(db, p); // held (again) at this generation
      const cols = facetColumns(db);
      const held = new Set(cols.counted.values());
      write();
      for (const p of SEARCHES) expect(await answer(db, p), JSON.stringify(p)).toEqual(await fresh(p));
      // Brought up to date in place: no search was counted again.
      for (const [key, c] of cols.counted) {
        expect(held.has(c), key).toBe(true);
        expect(c.generation).toBe(cols.generation);
      }
    });
  }
});

describe('prices past a Uint32 of fen', () => {
  it('filter and order exactly: the columns mark them, search_rows holds them', async () => {
    // 50,000,000.00 yuan; 50,000,000.01 to 60,000,000; 42,949,672.96 (2^32 fen, the first a Uint32 cannot hold).
    const prices: [number, number][] = [
      [5e9, 5e9],
      [5e9 + 1, 6e9],
      [2 ** 32, 2 ** 32],
    ];
    const big = rewrite(ids.filter((id) => !outside.includes(id)).slice(300, 303), (d, i) => ([d.priceMin, d.priceMax] = prices[i]!)).map((d) => d.id);
    const found = async (p: Params) => (await searchListings(db, p, NOW)).hits.map((h) => h.id);
    expect(await found({ price_min: '50000000', price_max: '50000000' })).toEqual([big[0]]);
    expect(await found({ price_min: '50000000.01', price_max: '50000000.01' })).toEqual([big[1]]);
    // One fen below 2^32 up to 60 million yuan: only these three, the highest upper price first.
    expect(await found({ price_min: '42949672.95', price_max: '60000000', sort: 'price_desc' })).toEqual([big[1], big[0], big[2]]);
    expect(await found({ price_min: '42949672.97', price_max: '60000000', sort: 'price_asc' })).toEqual([big[0], big[1]]);
    // Read afresh from the file, the same.
    for (const p of [{ price_min: '42949672.95', sort: 'price_desc' }, { price_max: '42949672.95' }] as Params[]) expect(await answer(db, p)).toEqual(await fresh(p));
  });
});
