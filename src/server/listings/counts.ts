// How many companies there are and how many live listings each region, category and region x category pair holds,
// ancestors included (a city counts its counties, an industry its subcategories). Exact: the listing_counts table
// (kept by triggers, see db/schema.ts) minus the active listings already past expiry that the sweep has not marked,
// a few thousand rows at any size instead of a GROUP BY over every live listing (still tens of ms at a million, so
// it is computed once and then kept): each listing write adjusts the kept tally (countChange), and every minute the
// listings that expired since are taken off it (a short range of the (status, expires_at) index). Only expiry can
// make a count lag, by at most that minute.
import { and, count, eq, gt, lte, sql, sum } from 'drizzle-orm';
import { companies, listingCounts, listings, type ListingStatus } from '../../../db/schema.ts';
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

interface Kept {
  /** The tally counts the active listings whose expiry is after this moment. */
  at: number;
  counts: LiveCounts;
  add: (regionId: number, categoryId: number, n: number) => void;
}

const cache = new WeakMap<Db, Kept>();

export function liveCounts(db: Db, now: number): LiveCounts {
  let kept = cache.get(db);
  if (!kept || now < kept.at) {
    kept = computeCounts(db, now);
    cache.set(db, kept);
  } else if (now - kept.at >= TTL_MS) {
    const expired = db
      .select({ regionId: listings.regionId, categoryId: listings.categoryId })
      .from(listings)
      .where(and(eq(listings.status, 'active'), gt(listings.expiresAt, kept.at), lte(listings.expiresAt, now)))
      .all();
    for (const l of expired) kept.add(l.regionId, l.categoryId, -1);
    kept.at = now;
  }
  return kept.counts;
}

/** Drops the kept counts, for changes too broad to adjust for (bulk loads, companies). */
export function forgetCounts(db: Db): void {
  cache.delete(db);
}

/** What a listing's row says about whether it is counted. */
export interface CountedFields {
  regionId: number;
  categoryId: number;
  status: ListingStatus;
  expiresAt: number | null;
}

/**
 * Adjusts the kept counts for one listing's write, from its row before (undefined for a new listing) to after.
 * Whether a row is counted is judged at the moment the tally was computed, as the tally itself was, so a listing that
 * expired since then and is now closed still leaves it.
 */
export function countChange(db: Db, before: CountedFields | undefined, after: CountedFields): void {
  const kept = cache.get(db);
  if (!kept) return;
  const counted = (l: CountedFields | undefined) => l !== undefined && l.status === 'active' && l.expiresAt !== null && l.expiresAt > kept.at;
  if (counted(before)) kept.add(before!.regionId, before!.categoryId, -1);
  if (counted(after)) kept.add(after.regionId, after.categoryId, 1);
}

function computeCounts(db: Db, now: number): Kept {
  const { regions, categories } = getTaxonomy(db);
  const active = db
    .select({ regionId: listingCounts.regionId, categoryId: listingCounts.categoryId, n: sql<number>`${sum(listingCounts.n)}` })
    .from(listingCounts)
    .where(gt(listingCounts.n, 0))
    .groupBy(listingCounts.regionId, listingCounts.categoryId)
    .all();
  // One row each, not grouped in SQL: a GROUP BY would sort them in a temp B-tree; there are few.
  const unswept = db
    .select({ regionId: listings.regionId, categoryId: listings.categoryId })
    .from(listings)
    .where(and(eq(listings.status, 'active'), lte(listings.expiresAt, now)))
    .all();
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
  const bump = (key: number, n: number) => tally.set(key, (tally.get(key) ?? 0) + n);
  let total = 0;
  const add = (regionId: number, categoryId: number, n: number) => {
    total += n;
    const categoryPath = categoryPathOf(categoryId);
    for (const c of categoryPath) bump(-c, n);
    for (const r of regionPathOf(regionId)) {
      bump(r * M, n);
      for (const c of categoryPath) bump(r * M + c, n);
    }
  };
  for (const { regionId, categoryId, n } of active) add(regionId, categoryId, n);
  for (const { regionId, categoryId } of unswept) add(regionId, categoryId, -1);
  const companyCount = db.select({ n: count() }).from(companies).get()?.n ?? 0;
  return {
    at: now,
    add,
    counts: {
      get total() {
        return total;
      },
      companies: companyCount,
      region: (id) => tally.get(id * M) ?? 0,
      category: (id) => tally.get(-id) ?? 0,
      regionCategory: (r, c) => tally.get(r * M + c) ?? 0,
    },
  };
}
