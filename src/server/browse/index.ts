// The data behind the public navigation pages: home, region, category, and region x category.
import type { ListingKind } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { liveCounts } from '../listings/counts.ts';
import { placeFilter } from '../listings/placement.ts';
import { latestListings, pageOfListings, type ListingCard } from '../listings/queries.ts';
import type { Page } from '../pagination.ts';
import { getTaxonomy, type Category, type Region, type Tree } from '../taxonomy/taxonomy.ts';

export interface Counted<T> {
  item: T;
  count: number;
}

export interface Branch<T> extends Counted<T> {
  children: Counted<T>[];
}

/** Every city with its counties and every industry with its subcategories, each with its live listing count. */
export function getDirectory(db: Db, now: number) {
  const { regions, categories, rootRegion } = getTaxonomy(db);
  const counts = liveCounts(db, now);
  const branches = <T extends Region | Category>(tree: Tree<T>, roots: T[], countOf: (id: number) => number): Branch<T>[] =>
    roots.map((item) => ({
      item,
      count: countOf(item.id),
      children: tree.children(item.id).map((c) => ({ item: c, count: countOf(c.id) })),
    }));
  return {
    province: rootRegion,
    totals: { listings: counts.total, companies: counts.companies },
    cities: branches(regions, regions.children(rootRegion.id), counts.region),
    categories: branches(categories, categories.roots, counts.category),
  };
}

const HOME_LIST_SIZE = 12;
/** One company's listings in a home page list at most: a busy poster cannot fill the front page. */
export const HOME_PER_COMPANY = 2;

/**
 * The newest listings of a kind, at most `perCompany` of each company. Reads the newest rows in date order off the
 * (status, kind, published_at) index and skips a company's extra ones; when one company posted most of them, it
 * reads a longer stretch (4x each time, up to 64x the list), so the list stays full without a per-company query.
 */
export function latestPerCompany(db: Db, kind: ListingKind, size: number, perCompany: number, now: number): ListingCard[] {
  for (let read = size * 4; ; read *= 4) {
    const rows = latestListings(db, { kind }, read, now);
    const shown = new Map<string, number>();
    const picked = rows.filter((l) => {
      const n = shown.get(l.companySlug) ?? 0;
      shown.set(l.companySlug, n + 1);
      return n < perCompany;
    });
    if (picked.length >= size || rows.length < read || read >= size * 64) return picked.slice(0, size);
  }
}

export function getHomePage(db: Db, now: number) {
  const latest = (kind: ListingKind) => latestPerCompany(db, kind, HOME_LIST_SIZE, HOME_PER_COMPANY, now);
  return { ...getDirectory(db, now), latestSupply: latest('supply'), latestDemand: latest('demand') };
}

export interface BrowsePage {
  region: Region;
  category: Category | null;
  regionPath: Region[];
  categoryPath: Category[];
  /** The tab: one kind of listing, or both (undefined). */
  kind: ListingKind | undefined;
  /** Listings of each tab (both kinds, supply, demand) in this region and category. */
  kindCounts: Record<'all' | ListingKind, number>;
  listings: Page<ListingCard>;
  /** Regions one level down (or, for a county, its siblings) with their counts under the current category. */
  regionChoices: Counted<Region>[];
  /** Categories one level down (or, for a subcategory, its siblings) with their counts in the current region. */
  categoryChoices: Counted<Category>[];
}

// Choices that would lead to an empty page are left out, except the one the reader is on.
const worthVisiting = <T extends { id: number }>(current: T | null) => (c: Counted<T>) => c.count > 0 || c.item.id === current?.id;

/**
 * Listings of a region (its counties included), optionally narrowed to a category (its subcategories included) and
 * to one kind. The kind filter reads the same date-ordered index as the whole list and skips the other kind's rows.
 */
export function getBrowsePage(
  db: Db,
  q: { regionSlug?: string; categorySlug?: string; kind?: ListingKind; page: number },
  now: number,
): BrowsePage {
  const taxonomy = getTaxonomy(db);
  const region = q.regionSlug === undefined ? taxonomy.rootRegion : taxonomy.regions.bySlug.get(q.regionSlug);
  if (!region) throw new NotFoundError(`region ${q.regionSlug}`);
  const category = q.categorySlug === undefined ? null : taxonomy.categories.bySlug.get(q.categorySlug);
  if (category === undefined) throw new NotFoundError(`category ${q.categorySlug}`);

  const counts = liveCounts(db, now);
  const countIn = (r: Region, c: Category | null, kind: ListingKind | undefined) => (c ? counts.regionCategory(r.id, c.id, kind) : counts.region(r.id, kind));
  const page = pageOfListings(db, { ...placeFilter(taxonomy, region, category), kind: q.kind }, q.page, now, countIn(region, category, q.kind));
  if (q.page > page.pages) throw new NotFoundError(`page ${q.page}`);

  return {
    region,
    category,
    regionPath: taxonomy.regions.path(region.id),
    categoryPath: category ? taxonomy.categories.path(category.id) : [],
    kind: q.kind,
    kindCounts: { all: countIn(region, category, undefined), supply: countIn(region, category, 'supply'), demand: countIn(region, category, 'demand') },
    listings: page,
    regionChoices: choices(taxonomy.regions, region)
      .map((item) => ({ item, count: countIn(item, category, q.kind) }))
      .filter(worthVisiting(region)),
    categoryChoices: (category ? choices(taxonomy.categories, category) : taxonomy.categories.roots)
      .map((item) => ({ item, count: counts.regionCategory(region.id, item.id, q.kind) }))
      .filter(worthVisiting(category)),
  };
}

function choices<T extends Region | Category>(tree: Tree<T>, node: T): T[] {
  const below = tree.children(node.id);
  if (below.length > 0 || node.parentId === null) return below;
  return tree.children(node.parentId);
}
