// How many companies there are and how many live listings each region, category and region x category pair holds, ancestors included (a city
// counts its counties, an industry its subcategories). One GROUP BY over the live listings, kept for a minute:
// navigation counts may lag a new listing by that much, lists themselves never do.
import { count } from 'drizzle-orm';
import { companies, listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { liveCondition } from './queries.ts';

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
  const rows = db
    .select({ regionId: listings.regionId, categoryId: listings.categoryId, n: count() })
    .from(listings)
    .where(liveCondition(now))
    .groupBy(listings.regionId, listings.categoryId)
    .all();
  // Keys: `r<id>` a region, `c<id>` a category, `<region>:<category>` a pair.
  const tally = new Map<string, number>();
  const add = (key: string, n: number) => tally.set(key, (tally.get(key) ?? 0) + n);
  let total = 0;
  for (const { regionId, categoryId, n } of rows) {
    total += n;
    const regionPath = regions.path(regionId).map((r) => r.id);
    const categoryPath = categories.path(categoryId).map((c) => c.id);
    for (const r of regionPath) add(`r${r}`, n);
    for (const c of categoryPath) add(`c${c}`, n);
    for (const r of regionPath) for (const c of categoryPath) add(`${r}:${c}`, n);
  }
  const companyCount = db.select({ n: count() }).from(companies).get()?.n ?? 0;
  return {
    total,
    companies: companyCount,
    region: (id) => tally.get(`r${id}`) ?? 0,
    category: (id) => tally.get(`c${id}`) ?? 0,
    regionCategory: (r, c) => tally.get(`${r}:${c}`) ?? 0,
  };
}
