// The true answer to a search, by brute force over the listings table: what the exactness test and the search bench
// compare the engines with. Deliberately simple and slow (every live listing read and tested in JS), and independent
// of the index: a one-word query matches a listing whose title, category or attribute names, company name or
// description contains it (after normalising), which is what "contains" means for our bigram index.
import { eq, gt } from 'drizzle-orm';
import { companies, listingImages, listings, type ListingAttributes } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { documentKey } from '../../src/server/search/fts.ts';
import { normalize } from '../../src/server/search/text.ts';
import { getTaxonomy, type Taxonomy } from '../../src/server/taxonomy/taxonomy.ts';

const DAY = 86_400_000;

export interface TruthRow {
  id: number;
  /** The engines' newest-first order: (minute published, id). */
  key: number;
  kind: string;
  cityId: number;
  regionId: number;
  topCategoryId: number;
  categoryId: number;
  low: number | null;
  high: number | null;
  publishedAt: number;
  attributes: ListingAttributes;
  hasImages: boolean;
  verified: boolean;
  /** Normalised text by ranking tier: title; category and attribute names and values; company and description. */
  fields: { title: string; middle: string; rest: string };
}

/** Every live listing at `now`, read in id order, `batch` at a time (a million fit through without holding them). */
export function* liveRows(db: Db, now: number, batch = 20_000): Generator<TruthRow> {
  const taxonomy = getTaxonomy(db);
  const pictured = new Set(db.selectDistinct({ id: listingImages.listingId }).from(listingImages).all().map((r) => r.id));
  for (let after = 0; ; ) {
    const rows = db
      .select({ l: listings, companyName: companies.name, verified: companies.verified })
      .from(listings)
      .innerJoin(companies, eq(companies.id, listings.companyId))
      .where(gt(listings.id, after))
      .orderBy(listings.id)
      .limit(batch)
      .all();
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.l.id;
    for (const { l, companyName, verified } of rows) {
      if (l.status !== 'active' || l.expiresAt === null || l.expiresAt <= now || l.publishedAt === null) continue;
      const cats = taxonomy.categories.path(l.categoryId);
      const defs = cats.at(-1)?.attributes ?? [];
      yield {
        id: l.id,
        key: documentKey({ id: l.id, publishedAt: l.publishedAt }),
        kind: l.kind,
        cityId: l.cityId,
        regionId: l.regionId,
        topCategoryId: l.topCategoryId,
        categoryId: l.categoryId,
        low: l.negotiable ? null : l.priceMin,
        high: l.negotiable ? null : (l.priceMax ?? l.priceMin),
        publishedAt: l.publishedAt,
        attributes: l.attributes,
        hasImages: pictured.has(l.id),
        verified: Boolean(verified),
        fields: {
          title: normalize(l.title),
          middle: normalize(
            [...cats.flatMap((c) => [c.nameZh, c.nameEn]), ...Object.values(l.attributes), ...defs.filter((d) => l.attributes[d.key] !== undefined).map((d) => d.en)].join(' '),
          ),
          rest: normalize(`${companyName} ${l.description}`),
        },
      };
    }
  }
}


export type Params = Record<string, string>;
/** A filter group left out when counting that group's facet. */
export type Without = 'kind' | 'region' | 'category' | `attr:${string}`;

/** Whether a live listing matches a search's parameters (one plain word at most in `q`). */
export function matches(taxonomy: Taxonomy, now: number, l: TruthRow, p: Params, without?: Without): boolean {
  const word = p.q ? normalize(p.q) : undefined;
  if (word && !Object.values(l.fields).some((f) => f.includes(word))) return false;
  if (p.kind && without !== 'kind' && l.kind !== p.kind) return false;
  const region = p.region ? taxonomy.regions.bySlug.get(p.region) : undefined;
  if (region && without !== 'region' && (region.parentId === taxonomy.rootRegion.id ? l.cityId : l.regionId) !== region.id) return false;
  const category = p.category ? taxonomy.categories.bySlug.get(p.category) : undefined;
  if (category && without !== 'category' && (category.parentId === null ? l.topCategoryId : l.categoryId) !== category.id) return false;
  const yuan = (s: string | undefined) => (s === undefined ? undefined : Math.round(Number(s) * 100));
  const [pmin, pmax] = [yuan(p.price_min), yuan(p.price_max)];
  if (pmin !== undefined || pmax !== undefined) {
    if (l.low === null || l.high === null) return false;
    if (pmin !== undefined && l.high < pmin) return false;
    if (pmax !== undefined && l.low > pmax) return false;
  }
  if (p.days && l.publishedAt < now - Number(p.days) * DAY) return false;
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
}

/** A match's relevance tier for a one-word query: 0 title, 1 category or attributes, 2 the rest. */
export function tierOf(l: TruthRow, p: Params): number {
  const word = p.q ? normalize(p.q) : undefined;
  return !word ? 0 : l.fields.title.includes(word) ? 0 : l.fields.middle.includes(word) ? 1 : 2;
}

/** What ordering needs of a match (small enough to hold a million of). */
export interface Ranked {
  id: number;
  key: number;
  low: number | null;
  high: number | null;
  tier: number;
}
export const ranked = (l: TruthRow, p: Params): Ranked => ({ id: l.id, key: l.key, low: l.low, high: l.high, tier: tierOf(l, p) });

/** The ids in the order the search promises: relevance tiers (title, category/attributes, rest) then newest, or a sort. */
export function truthOrder(p: Params, rows: Ranked[]): number[] {
  const newest = (a: Ranked, b: Ranked) => b.key - a.key;
  return [...rows]
    .sort((a, b) => {
      if (p.sort === 'price_asc') return (a.low ?? Infinity) - (b.low ?? Infinity) || newest(a, b);
      if (p.sort === 'price_desc') return (b.high ?? -Infinity) - (a.high ?? -Infinity) || newest(a, b);
      if (p.sort === 'newest') return newest(a, b);
      return a.tier - b.tier || newest(a, b);
    })
    .map((l) => l.id);
}
