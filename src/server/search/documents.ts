// What the engines index about a listing, read from SQLite (the source of truth) in batches. A listing that is not
// live (draft, expired, closed, removed, gone) has no document: the indexer deletes it from the engines.
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { companies, listingImages, listings, type ListingAttributes, type ListingKind } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';

export interface SearchDocument {
  id: number;
  kind: ListingKind;
  title: string;
  description: string;
  /** The subcategory's and its industry's names, both languages. */
  categoryNames: string[];
  attributes: ListingAttributes;
  /** The English names of the attributes it has ("Outer Diameter"), so the English site's words find it. */
  attributeNames: string[];
  companyId: number;
  companyName: string;
  verified: boolean;
  hasImages: boolean;
  regionId: number;
  cityId: number;
  categoryId: number;
  topCategoryId: number;
  priceMin: number | null;
  priceMax: number | null;
  publishedAt: number;
  expiresAt: number;
}

const columns = {
  id: listings.id,
  kind: listings.kind,
  title: listings.title,
  description: listings.description,
  attributes: listings.attributes,
  companyId: listings.companyId,
  companyName: companies.name,
  verified: companies.verified,
  hasImages: sql<number>`exists(select 1 from ${listingImages} where ${listingImages.listingId} = ${listings.id})`,
  regionId: listings.regionId,
  cityId: listings.cityId,
  categoryId: listings.categoryId,
  topCategoryId: listings.topCategoryId,
  priceMin: listings.priceMin,
  priceMax: listings.priceMax,
  negotiable: listings.negotiable,
  publishedAt: listings.publishedAt,
  expiresAt: listings.expiresAt,
  status: listings.status,
};

const baseQuery = (db: Db) => db.select(columns).from(listings).innerJoin(companies, eq(companies.id, listings.companyId));
type Row = ReturnType<ReturnType<typeof baseQuery>['all']>[number];

const categoryNamesCache = new WeakMap<object, Map<number, string[]>>();
function categoryNamesOf(db: Db, categoryId: number): string[] {
  const { categories } = getTaxonomy(db);
  let cache = categoryNamesCache.get(categories);
  if (!cache) categoryNamesCache.set(categories, (cache = new Map()));
  let names = cache.get(categoryId);
  if (!names) cache.set(categoryId, (names = categories.path(categoryId).flatMap((c) => [c.nameZh, c.nameEn])));
  return names;
}

function attributeNamesOf(db: Db, categoryId: number, attributes: ListingAttributes): string[] {
  const defs = getTaxonomy(db).categories.byId.get(categoryId)?.attributes ?? [];
  return defs.filter((d) => attributes[d.key] !== undefined && attributes[d.key] !== '').map((d) => d.en);
}

function toDocument(db: Db, row: Row): SearchDocument {
  const categoryNames = categoryNamesOf(db, row.categoryId);
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    description: row.description,
    categoryNames,
    attributes: row.attributes,
    attributeNames: attributeNamesOf(db, row.categoryId, row.attributes),
    companyId: row.companyId,
    companyName: row.companyName,
    verified: Boolean(row.verified),
    hasImages: Boolean(row.hasImages),
    regionId: row.regionId,
    cityId: row.cityId,
    categoryId: row.categoryId,
    topCategoryId: row.topCategoryId,
    priceMin: row.negotiable ? null : row.priceMin,
    priceMax: row.negotiable ? null : (row.priceMax ?? row.priceMin),
    publishedAt: row.publishedAt ?? 0,
    expiresAt: row.expiresAt ?? 0,
  };
}

/** The same rule as liveCondition (listings/queries.ts), for rows already read by primary key. */
export function isLive(row: { status: string; expiresAt: number | null }, now: number): boolean {
  return row.status === 'active' && row.expiresAt !== null && row.expiresAt > now;
}

/** Documents of those of `ids` that are live now; the others are to be removed from the engines. */
export function documentsFor(db: Db, ids: readonly number[], now: number): SearchDocument[] {
  const docs: SearchDocument[] = [];
  // In slices: SQLite takes at most 32,766 bound values in one statement.
  for (let i = 0; i < ids.length; i += ID_SLICE) {
    // Liveness tested in JS so SQLite reads the ids by primary key, not the status index.
    for (const row of baseQuery(db).where(inArray(listings.id, ids.slice(i, i + ID_SLICE))).all()) {
      if (isLive(row, now)) docs.push(toDocument(db, row));
    }
  }
  return docs;
}

const ID_SLICE = 10_000;

/** Every live listing's document, in id order, `batchSize` at a time (for a full rebuild). */
export function* allDocuments(db: Db, now: number, batchSize = 5000): Generator<SearchDocument[]> {
  let after = 0;
  for (;;) {
    // Walk the primary key and test liveness here: with the status in the WHERE clause SQLite picks the status
    // index and sorts every batch (minutes at a million listings instead of seconds).
    const rows = baseQuery(db)
      .where(and(gt(listings.id, after), sql`+${listings.status} IS NOT NULL`))
      .orderBy(asc(listings.id))
      .limit(batchSize)
      .all();
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    const live = rows.filter((r) => isLive(r, now));
    if (live.length > 0) yield live.map((row) => toDocument(db, row));
  }
}
