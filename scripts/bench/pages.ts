// Every page type a visitor or a crawler opens, once each: its URL and the domain call that builds its data, over the
// busiest region, industry and company of a demo database. The page bench (scripts/bench.ts) times both; the plan
// test (tests/integration/query-plans.test.ts) reads the plans of the same calls.
import type { ListingKind } from '../../db/schema.ts';
import { and, count, desc, eq, isNull, sql } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import { getBrowsePage, getHomePage } from '../../src/server/browse/index.ts';
import { getCompanyPage } from '../../src/server/companies/page.ts';
import type { Db } from '../../src/server/db.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { getFeed } from '../../src/server/seo/feed.ts';
import { getSitemapFile } from '../../src/server/seo/sitemap.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { listingPath } from '../../src/server/urls.ts';

export interface Sample {
  db: Db;
  now: number;
  city: string;
  county: string;
  industry: string;
  subcategory: string;
  company: string;
  companyId: number;
  liveListing: { id: number; slug: string };
  expiredListing: { id: number; slug: string };
}

/** The busiest city, industry and company of a database (their first county and subcategory), and a listing in each state. */
export function sampleOf(db: Db, now: number): Sample {
  const busiest = (column: typeof listings.cityId | typeof listings.topCategoryId | typeof listings.companyId) =>
    db.select({ v: column, n: count() }).from(listings).groupBy(column).orderBy(desc(count())).limit(1).get()!.v;
  const { regions, categories } = getTaxonomy(db);
  const city = regions.byId.get(busiest(listings.cityId))!;
  const industry = categories.byId.get(busiest(listings.topCategoryId))!;
  const companyId = busiest(listings.companyId);
  const one = (status: 'active' | 'expired') =>
    db.select({ id: listings.id, slug: listings.slug }).from(listings).where(eq(listings.status, status)).orderBy(desc(listings.id)).limit(1).get()!;
  return {
    db,
    now,
    city: city.slug,
    county: regions.children(city.id)[0]!.slug,
    industry: industry.slug,
    subcategory: categories.children(industry.id)[0]!.slug,
    company: db.select({ slug: companies.slug }).from(companies).where(eq(companies.id, companyId)).get()!.slug,
    companyId,
    liveListing: one('active'),
    expiredListing: one('expired'),
  };
}

/**
 * Gives one demo company (nobody's) in `every` an owner, a member made for it, as if members had posted those
 * listings: demo listings are noindex and left out of the sitemaps, so on demo data alone the sitemap chunks are
 * empty. Returns how many companies got an owner.
 */
export function ownDemoCompanies(db: Db, now: number, every = 1): number {
  const demo = and(isNull(companies.ownerId), sql`${companies.id} % ${every} = 0`);
  const ownerOf = sql<string>`'owner-' || ${companies.id}`;
  return db.transaction(
    (tx) => {
      tx.insert(users)
        .select(
          tx
            .select({
              id: ownerOf.as('id'),
              email: sql<string>`'owner-' || ${companies.id} || '@example.invalid'`.as('email'),
              passwordHash: sql<string>`'!'`.as('password_hash'),
              displayName: companies.name,
              isAdmin: sql<boolean>`0`.as('is_admin'),
              createdAt: sql<number>`${now}`.as('created_at'),
              suspendedAt: sql<null>`NULL`.as('suspended_at'),
              suspendReason: sql<null>`NULL`.as('suspend_reason'),
            })
            .from(companies)
            .where(demo),
        )
        .run();
      return tx.update(companies).set({ ownerId: ownerOf }).where(demo).run().changes;
    },
    { behavior: 'immediate' },
  );
}

export const SITE_URL = 'http://localhost:4321';
const t = translator('zh-CN');
export const browse = (s: Sample, q: { regionSlug?: string; categorySlug?: string; kind?: ListingKind; page?: number }) => getBrowsePage(s.db, { page: 1, ...q }, s.now);
export const feed = (s: Sample, q: { regionSlug?: string; categorySlug?: string }) =>
  getFeed(s.db, { siteUrl: SITE_URL, siteName: 'site', locale: 'zh-CN', t, ...q }, s.now).xml;
const SEARCH = { q: '钢材' };

export interface PageType {
  path: (s: Sample) => string;
  data: (s: Sample) => unknown;
}

export const PAGE_TYPES: Record<string, PageType> = {
  home: { path: () => '/', data: (s) => getHomePage(s.db, s.now) },
  city: { path: (s) => `/region/${s.city}`, data: (s) => browse(s, { regionSlug: s.city }) },
  county: { path: (s) => `/region/${s.county}`, data: (s) => browse(s, { regionSlug: s.county }) },
  industry: { path: (s) => `/category/${s.industry}`, data: (s) => browse(s, { categorySlug: s.industry }) },
  regionIndustry: { path: (s) => `/region/${s.city}/${s.industry}`, data: (s) => browse(s, { regionSlug: s.city, categorySlug: s.industry }) },
  company: { path: (s) => `/company/${s.company}`, data: (s) => getCompanyPage(s.db, s.company, 1, s.now) },
  listingLive: { path: (s) => listingPath(s.liveListing), data: (s) => getListingPage(s.db, s.liveListing.id, s.now) },
  listingExpired: { path: (s) => listingPath(s.expiredListing), data: (s) => getListingPage(s.db, s.expiredListing.id, s.now) },
  search: { path: () => `/search?${new URLSearchParams(SEARCH)}`, data: (s) => searchListings(s.db, SEARCH, s.now) },
  sitemapChunk: { path: () => '/sitemaps/listings-0.xml', data: (s) => [...getSitemapFile(s.db, SITE_URL, 'listings-0', s.now).body()] },
  feed: { path: (s) => `/feeds/region/${s.city}.xml`, data: (s) => feed(s, { regionSlug: s.city }) },
};
