// How many companies there are and how many live listings each region, category and region x category pair holds,
// ancestors included (a city counts its counties, an industry its subcategories). Exact: the listing_counts table
// (kept by triggers, see db/schema.ts) minus the active listings already past expiry that the sweep has not marked,
// a few thousand rows at any size instead of a GROUP BY over every live listing (still tens of ms at a million, so
// it is computed once and then kept): each listing write adjusts the kept tally (countChange), and every minute the
// listings that expired since are taken off it (a short range of the (status, expires_at) index). Only expiry can
// make a count lag, by at most that minute.
import { and, count, eq, gt, lte, sql, sum } from 'drizzle-orm';
import { companies, listingCounts, listings, type ListingKind, type ListingStatus } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { listingsChanged } from './changes.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';

const TTL_MS = 60_000;

/** Each count of both kinds, or of one kind (supply or demand) when given one. */
export interface LiveCounts {
  total: number;
  companies: number;
  region(id: number, kind?: ListingKind): number;
  category(id: number, kind?: ListingKind): number;
  regionCategory(regionId: number, categoryId: number, kind?: ListingKind): number;
}

interface Kept {
  /** The tally counts the active listings whose expiry is after this moment. */
  at: number;
  counts: LiveCounts;
  add: (regionId: number, categoryId: number, kind: ListingKind, n: number) => void;
}

const cache = new WeakMap<Db, Kept>();

export function liveCounts(db: Db, now: number): LiveCounts {
  let kept = cache.get(db);
  if (!kept || now < kept.at) {
    kept = computeCounts(db, now);
    cache.set(db, kept);
  } else if (now - kept.at >= TTL_MS) {
    const expired = db
      .select({ regionId: listings.regionId, categoryId: listings.categoryId, kind: listings.kind })
      .from(listings)
      .where(and(eq(listings.status, 'active'), gt(listings.expiresAt, kept.at), lte(listings.expiresAt, now)))
      .all();
    for (const l of expired) kept.add(l.regionId, l.categoryId, l.kind, -1);
    kept.at = now;
  }
  return kept.counts;
}

/** Drops the kept counts, for changes too broad to adjust for (bulk loads, companies). */
export function forgetCounts(db: Db): void {
  cache.delete(db);
}

/**
 * Call after a commit that moved listings on or off the public lists in bulk (moderation, reports, suspension, demo
 * data): the counts are tallied again and every kept page is dropped. A change that leaves the lists as they are (a
 * company's name or badge) calls listingsChanged(db, 'all') alone and keeps the counts.
 */
export function listingsMovedInBulk(db: Db): void {
  forgetCounts(db);
  listingsChanged(db, 'all');
}

/** What a listing's row says about whether it is counted. */
export interface CountedFields {
  regionId: number;
  kind: ListingKind;
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
  if (counted(before)) kept.add(before!.regionId, before!.categoryId, before!.kind, -1);
  if (counted(after)) kept.add(after.regionId, after.categoryId, after.kind, 1);
}

function computeCounts(db: Db, now: number): Kept {
  const { regions, categories } = getTaxonomy(db);
  const active = db
    .select({ regionId: listingCounts.regionId, categoryId: listingCounts.categoryId, kind: listingCounts.kind, n: sql<number>`${sum(listingCounts.n)}` })
    .from(listingCounts)
    .where(gt(listingCounts.n, 0))
    .groupBy(listingCounts.regionId, listingCounts.categoryId, listingCounts.kind)
    .all();
  // One row each, not grouped in SQL: a GROUP BY would sort them in a temp B-tree; there are few.
  const unswept = db
    .select({ regionId: listings.regionId, categoryId: listings.categoryId, kind: listings.kind })
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
  // One tally of both kinds, and one of each kind (the browse tabs 供应 / 求购 show theirs).
  const tallies = { all: new Map<number, number>(), supply: new Map<number, number>(), demand: new Map<number, number>() };
  let total = 0;
  const add = (regionId: number, categoryId: number, kind: ListingKind, n: number) => {
    total += n;
    const categoryPath = categoryPathOf(categoryId);
    const bump = (key: number) => {
      for (const tally of [tallies.all, tallies[kind]]) tally.set(key, (tally.get(key) ?? 0) + n);
    };
    for (const c of categoryPath) bump(-c);
    for (const r of regionPathOf(regionId)) {
      bump(r * M);
      for (const c of categoryPath) bump(r * M + c);
    }
  };
  for (const { regionId, categoryId, kind, n } of active) add(regionId, categoryId, kind, n);
  for (const { regionId, categoryId, kind } of unswept) add(regionId, categoryId, kind, -1);
  const read = (key: number, kind: ListingKind | undefined) => tallies[kind ?? 'all'].get(key) ?? 0;
  const companyCount = db.select({ n: count() }).from(companies).get()?.n ?? 0;
  return {
    at: now,
    add,
    counts: {
      get total() {
        return total;
      },
      companies: companyCount,
      region: (id, kind) => read(id * M, kind),
      category: (id, kind) => read(-id, kind),
      regionCategory: (r, c, kind) => read(r * M + c, kind),
    },
  };
}
