// How many companies there are and how many live listings each region, category and region x category pair holds,
// ancestors included (a city counts its counties, an industry its subcategories). Exact: the listing_counts table
// (kept by triggers, see db/schema.ts) minus the active listings already past expiry that the sweep has not marked,
// a few thousand rows at any size instead of a GROUP BY over every live listing. Kept for a minute, and dropped by
// every listing write, so only expiry can make a count lag, by at most that minute.
import { and, count, eq, gt, lte, sql, sum } from 'drizzle-orm';
import { companies, listingCounts, listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';

const TTL_MS = 60_000;

export interface LiveCounts {
  total: number;
  companies: number;
  region(id: number): number;
  category(id: number): number;
  regionCategory(regionId: number, categoryId: number): number;
}

const cache = new WeakMap<Db, { at: number; counts: LiveCounts }>();

export function liveCounts(db: Db, now: number): LiveCounts {
  const hit = cache.get(db);
  if (hit && now - hit.at < TTL_MS && now >= hit.at) return hit.counts;
  const counts = computeCounts(db, now);
  cache.set(db, { at: now, counts });
  return counts;
}

/** Drops the cached counts, for writers that need the next page to show their change at once. */
export function forgetCounts(db: Db): void {
  cache.delete(db);
}

function computeCounts(db: Db, now: number): LiveCounts {
  const { regions, categories } = getTaxonomy(db);
  const active = db
    .select({ regionId: listingCounts.regionId, categoryId: listingCounts.categoryId, n: sql<number>`${sum(listingCounts.n)}` })
    .from(listingCounts)
    .where(gt(listingCounts.n, 0))
    .groupBy(listingCounts.regionId, listingCounts.categoryId)
    .all();
  // One row each, not grouped in SQL: a GROUP BY would sort them in a temp B-tree; there are few.
  const unswept = db
    .select({ regionId: listings.regionId, categoryId: listings.categoryId, n: sql<number>`-1` })
    .from(listings)
    .where(and(eq(listings.status, 'active'), lte(listings.expiresAt, now)))
    .all();
  const rows = [...active, ...unswept];
  // A region's and a category's ancestors, looked up once per id rather than once per row.
  const ancestors = (path: (id: number) => { id: number }[]) => {
    const memo = new Map<number, number[]>();
    return (id: number) => memo.get(id) ?? memo.set(id, path(id).map((x) => x.id)).get(id)!;
  };
  const regionPathOf = ancestors((id) => regions.path(id));
  const categoryPathOf = ancestors((id) => categories.path(id));
  // Numeric keys (region ids are 6-digit division codes, category ids far below a million): a region alone is
  // `r * M`, a category alone `-c`, a pair `r * M + c`.
  const M = 1_000_000;
  const tally = new Map<number, number>();
  const add = (key: number, n: number) => tally.set(key, (tally.get(key) ?? 0) + n);
  let total = 0;
  for (const { regionId, categoryId, n } of rows) {
    total += n;
    const regionPath = regionPathOf(regionId);
    const categoryPath = categoryPathOf(categoryId);
    for (const c of categoryPath) add(-c, n);
    for (const r of regionPath) {
      add(r * M, n);
      for (const c of categoryPath) add(r * M + c, n);
    }
  }
  const companyCount = db.select({ n: count() }).from(companies).get()?.n ?? 0;
  return {
    total,
    companies: companyCount,
    region: (id) => tally.get(id * M) ?? 0,
    category: (id) => tally.get(-id) ?? 0,
    regionCategory: (r, c) => tally.get(r * M + c) ?? 0,
  };
}
