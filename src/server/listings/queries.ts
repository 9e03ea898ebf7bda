// Reading listings for public pages. "Live" (active and not past expiry) is decided here and nowhere else in SQL.
import { and, asc, count, desc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { companies, listingImages, listings, type ListingKind } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { PAGE_SIZE, pageCount, type Page } from '../pagination.ts';

/**
 * Active and not past expiry. The unary `+` keeps expires_at out of index choice: a list then reads one of the
 * `(<filter>, status, published_at)` indexes in date order and stops after a page, instead of walking every live
 * listing through `(status, expires_at)` and sorting them (seconds at a million listings). The expiry check costs
 * one comparison per row read; the rows past expiry but not yet swept are few.
 */
export function liveCondition(now: number): SQL {
  return and(eq(listings.status, 'active'), sql`+${listings.expiresAt} > ${now}`)!;
}

/** Equality conditions on live listings; see placement.ts for which region or category column to use. */
export interface ListingFilter {
  kind?: ListingKind;
  regionId?: number;
  cityId?: number;
  categoryId?: number;
  topCategoryId?: number;
  companyId?: number;
  excludeId?: number;
}

/**
 * `forCount`: the expiry as a plain range, for a count, which has no order to keep and reads the live listings
 * straight off an index ending in expires_at (e.g. a company's, (company_id, status, expires_at)).
 */
function filterCondition(f: ListingFilter, now: number, { forCount = false } = {}): SQL {
  const parts: SQL[] = [forCount ? and(eq(listings.status, 'active'), gt(listings.expiresAt, now))! : liveCondition(now)];
  if (f.kind) parts.push(eq(listings.kind, f.kind));
  if (f.regionId !== undefined) parts.push(eq(listings.regionId, f.regionId));
  if (f.cityId !== undefined) parts.push(eq(listings.cityId, f.cityId));
  if (f.categoryId !== undefined) parts.push(eq(listings.categoryId, f.categoryId));
  if (f.topCategoryId !== undefined) parts.push(eq(listings.topCategoryId, f.topCategoryId));
  if (f.companyId !== undefined) parts.push(eq(listings.companyId, f.companyId));
  if (f.excludeId !== undefined) parts.push(sql`${listings.id} <> ${f.excludeId}`);
  return and(...parts)!;
}

const firstImage = sql<string | null>`(select ${listingImages.hash} from ${listingImages}
  where ${listingImages.listingId} = ${listings.id} order by ${listingImages.position} limit 1)`;

const cardColumns = {
  id: listings.id,
  slug: listings.slug,
  kind: listings.kind,
  title: listings.title,
  priceMin: listings.priceMin,
  priceMax: listings.priceMax,
  priceUnit: listings.priceUnit,
  negotiable: listings.negotiable,
  regionId: listings.regionId,
  categoryId: listings.categoryId,
  publishedAt: listings.publishedAt,
  companyId: listings.companyId,
  companyName: companies.name,
  companySlug: companies.slug,
  companyVerified: companies.verified,
  imageHash: firstImage,
};


/** Live listings matching the filter, newest first. */
export function latestListings(db: Db, filter: ListingFilter, limit: number, now: number) {
  return db
    .select(cardColumns)
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(filterCondition(filter, now))
    .orderBy(desc(listings.publishedAt), desc(listings.id))
    .limit(limit)
    .all();
}

export type ListingCard = ReturnType<typeof latestListings>[number];

/**
 * Cards of these listings whatever their status, unordered, with what search shows and checks beside each: the
 * description (for a snippet) and the fields that say whether it is still live.
 */
export function listingCardsByIds(db: Db, ids: readonly number[]) {
  if (ids.length === 0) return [];
  return db
    .select({ ...cardColumns, description: listings.description, status: listings.status, expiresAt: listings.expiresAt })
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(inArray(listings.id, [...ids]))
    .all();
}

/**
 * One page of live listings matching the filter, newest first, with the total for pagination. Callers that know
 * the total (browse pages read it from the cached counts) pass it: counting a million rows per request is the
 * slow part, not the page itself.
 */
export function pageOfListings(db: Db, filter: ListingFilter, page: number, now: number, knownTotal?: number): Page<ListingCard> {
  const where = filterCondition(filter, now);
  const total = knownTotal ?? db.select({ n: count() }).from(listings).where(filterCondition(filter, now, { forCount: true })).get()?.n ?? 0;
  const items = db
    .select(cardColumns)
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(where)
    .orderBy(desc(listings.publishedAt), desc(listings.id))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .all();
  return { items, total, page, pages: pageCount(total) };
}

export function findListing(db: Db, id: number) {
  return db.select().from(listings).where(eq(listings.id, id)).get();
}

export function listingImagesOf(db: Db, listingId: number) {
  return db
    .select({ hash: listingImages.hash, width: listingImages.width, height: listingImages.height })
    .from(listingImages)
    .where(eq(listingImages.listingId, listingId))
    .orderBy(asc(listingImages.position))
    .all();
}

/** The images of many listings in one read (a page of an API answer), each listing's in position order. */
export function listingImagesOfMany(db: Db, listingIds: readonly number[]) {
  const byListing = new Map<number, { hash: string; width: number; height: number }[]>();
  if (listingIds.length === 0) return byListing;
  const rows = db
    .select({ listingId: listingImages.listingId, position: listingImages.position, hash: listingImages.hash, width: listingImages.width, height: listingImages.height })
    .from(listingImages)
    .where(inArray(listingImages.listingId, [...listingIds]))
    .all()
    .sort((a, b) => a.listingId - b.listingId || a.position - b.position);
  for (const { listingId, hash, width, height } of rows) {
    const list = byListing.get(listingId) ?? [];
    list.push({ hash, width, height });
    byListing.set(listingId, list);
  }
  return byListing;
}

/** How many of the newest rows of each step are read for 相关推荐 at most: a company with hundreds of listings in the
 * subcategory cannot make the page walk them all (it may then show fewer related listings). */
const RELATED_READ = 24;

/**
 * Live listings like this one, nearest first: the same subcategory in the same county, then in the same city, then
 * anywhere; each step one read of a (place, category, status, published_at) index in date order. `otherCompanies`
 * leaves out the listing's own company (the page lists those apart): the 相关推荐 of a live listing; each step then
 * reads a bounded number of rows and skips the company's own. An expired or closed listing's page points on to any
 * live listing like it.
 */
export function similarListings(
  db: Db,
  listing: { id: number; categoryId: number; regionId: number; cityId: number; companyId: number },
  limit: number,
  now: number,
  { otherCompanies = false } = {},
): ListingCard[] {
  const base: ListingFilter = { categoryId: listing.categoryId, excludeId: listing.id };
  const steps: ListingFilter[] = [
    ...(listing.regionId !== listing.cityId ? [{ ...base, regionId: listing.regionId }] : []),
    { ...base, cityId: listing.cityId },
    base,
  ];
  // Ids first (a light read of the index and the row), the cards of the chosen few after.
  const chosen: number[] = [];
  for (const filter of steps) {
    // Each wider step holds everything chosen so far: `limit` more than that is enough.
    const rows = db
      .select({ id: listings.id, companyId: listings.companyId })
      .from(listings)
      .where(filterCondition(filter, now))
      .orderBy(desc(listings.publishedAt), desc(listings.id))
      .limit(otherCompanies ? RELATED_READ : limit + chosen.length)
      .all();
    for (const r of rows) {
      if (chosen.length < limit && !chosen.includes(r.id) && !(otherCompanies && r.companyId === listing.companyId)) chosen.push(r.id);
    }
    if (chosen.length >= limit) break;
  }
  const cards = new Map(listingCardsByIds(db, chosen).map((c) => [c.id, c]));
  return chosen.map((id) => cards.get(id)!);
}

/**
 * The same rule as liveCondition, written so SQLite walks a primary-key range rather than the status index: the
 * sitemaps read listings in id order, block by block, and through the status index each block would scan and sort
 * every live listing.
 */
export function liveConditionInIdOrder(now: number): SQL {
  return and(sql`+${listings.status} = ${'active'}`, gt(listings.expiresAt, now))!;
}
