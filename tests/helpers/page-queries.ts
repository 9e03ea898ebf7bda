// Every page-data and job use case that reads listings, as one named call each, over a demo database: the plan
// test puts each through EXPLAIN QUERY PLAN. A new query on a public page or in a job gets its line here.
import { count, desc, eq } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { getBrowsePage, getHomePage } from '../../src/server/browse/index.ts';
import { getCompanyPage } from '../../src/server/companies/page.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { getDashboard, DASHBOARD_TABS } from '../../src/server/listings/dashboard.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { forgetCounts, liveCounts } from '../../src/server/listings/counts.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { flushViews, recordView } from '../../src/server/listings/views.ts';
import { searchListings, suggest } from '../../src/server/search/index.ts';
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { getFeed } from '../../src/server/seo/feed.ts';
import { getSitemapFile, sitemapFiles } from '../../src/server/seo/sitemap.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';

/** What the use cases are called with: a demo database and the busiest region, category and company in it. */
export interface Sample {
  db: Db;
  now: number;
  city: string;
  county: string;
  industry: string;
  subcategory: string;
  company: string;
  ownerId: string;
  liveListing: number;
  expiredListing: number;
}

/** Demo listings (seeded, so every run plans the same data) with the search index built and an owner for the busiest company. */
export function demoSample(db: Db, listingCount: number, now: number): Sample {
  writeDemoData(db, { listings: listingCount, seed: 1, now });
  rebuildFts(db, now);
  return sampleOf(db, now);
}

/** The busiest city, industry and company of a database (their first county and subcategory), and one listing of each state. */
export function sampleOf(db: Db, now: number): Sample {
  const busiest = (column: typeof listings.cityId | typeof listings.topCategoryId | typeof listings.companyId) =>
    db.select({ v: column, n: count() }).from(listings).groupBy(column).orderBy(desc(count())).limit(1).get()!.v;
  const { regions, categories } = getTaxonomy(db);
  const city = regions.byId.get(busiest(listings.cityId))!;
  const county = regions.children(city.id)[0]!;
  const industry = categories.byId.get(busiest(listings.topCategoryId))!;
  const subcategory = categories.children(industry.id)[0]!;
  const companyId = busiest(listings.companyId);
  const ownerId = 'plan-owner';
  db.insert(users).values({ id: ownerId, email: 'owner@example.com', passwordHash: '!', displayName: 'owner', createdAt: now }).onConflictDoNothing().run();
  db.update(companies).set({ ownerId }).where(eq(companies.id, companyId)).run();
  const company = db.select({ slug: companies.slug }).from(companies).where(eq(companies.id, companyId)).get()!.slug;
  const one = (status: 'active' | 'expired') =>
    db.select({ id: listings.id }).from(listings).where(eq(listings.status, status)).orderBy(desc(listings.id)).limit(1).get()!.id;
  return { db, now, city: city.slug, county: county.slug, industry: industry.slug, subcategory: subcategory.slug, company, ownerId, liveListing: one('active'), expiredListing: one('expired') };
}

const t = translator('zh-CN');
const siteUrl = 'http://localhost:4321';
const browse = (s: Sample, q: { regionSlug?: string; categorySlug?: string; page?: number }) => getBrowsePage(s.db, { page: 1, ...q }, s.now);
const feed = (s: Sample, q: { regionSlug?: string; categorySlug?: string }) => getFeed(s.db, { siteUrl, siteName: 'site', locale: 'zh-CN', t, ...q }, s.now);

/** One line per use case. Each runs the way a request or a job runs it; every statement it executes is checked. */
export const PAGE_QUERIES: [name: string, run: (s: Sample) => unknown][] = [
  ['home', (s) => getHomePage(s.db, s.now)],
  ['counts', (s) => (forgetCounts(s.db), liveCounts(s.db, s.now))],
  ['province', (s) => browse(s, {})],
  ['province, last page', (s) => browse(s, { page: lastPage(s, {}) })],
  ['city', (s) => browse(s, { regionSlug: s.city })],
  ['city, last page', (s) => browse(s, { regionSlug: s.city, page: lastPage(s, { regionSlug: s.city }) })],
  ['county', (s) => browse(s, { regionSlug: s.county })],
  ['industry', (s) => browse(s, { categorySlug: s.industry })],
  ['industry, last page', (s) => browse(s, { categorySlug: s.industry, page: lastPage(s, { categorySlug: s.industry }) })],
  ['subcategory', (s) => browse(s, { categorySlug: s.subcategory })],
  ['city x industry', (s) => browse(s, { regionSlug: s.city, categorySlug: s.industry })],
  ['city x industry, last page', (s) => browse(s, { regionSlug: s.city, categorySlug: s.industry, page: lastPage(s, { regionSlug: s.city, categorySlug: s.industry }) })],
  ['city x subcategory', (s) => browse(s, { regionSlug: s.city, categorySlug: s.subcategory })],
  ['city x subcategory, last page', (s) => browse(s, { regionSlug: s.city, categorySlug: s.subcategory, page: lastPage(s, { regionSlug: s.city, categorySlug: s.subcategory }) })],
  ['county x industry', (s) => browse(s, { regionSlug: s.county, categorySlug: s.industry })],
  ['county x subcategory', (s) => browse(s, { regionSlug: s.county, categorySlug: s.subcategory })],
  ['company', (s) => getCompanyPage(s.db, s.company, 1, s.now)],
  ['listing, live (more from the company)', (s) => getListingPage(s.db, s.liveListing, s.now)],
  ['listing, expired (similar listings)', (s) => getListingPage(s.db, s.expiredListing, s.now)],
  ...DASHBOARD_TABS.map((tab): [string, (s: Sample) => unknown] => [`dashboard, ${tab}`, (s) => getDashboard(s.db, s.ownerId, tab, 1, s.now)]),
  ['sitemap index', (s) => sitemapFiles(s.db, s.now)],
  ['sitemap of listings', (s) => [...getSitemapFile(s.db, siteUrl, 'listings-0', s.now).body()]],
  ['sitemap of companies', (s) => [...getSitemapFile(s.db, siteUrl, 'companies-0', s.now).body()]],
  ['sitemap of region x category pages', (s) => [...getSitemapFile(s.db, siteUrl, 'region-categories', s.now).body()]],
  ['feed, site', (s) => feed(s, {})],
  ['feed, city', (s) => feed(s, { regionSlug: s.city })],
  ['feed, industry', (s) => feed(s, { categorySlug: s.industry })],
  ['search', (s) => searchListings(s.db, { q: '钢材' }, s.now)],
  ['search in a city and industry, by price', (s) => searchListings(s.db, { q: '供应', region: s.city, category: s.industry, sort: 'price_asc' }, s.now)],
  ['search suggestions', (s) => suggest(s.db, '钢')],
  ['view count flush', (s) => (recordView(s.liveListing, null, { userId: null, userAgent: 'Mozilla/5.0' }), flushViews(s.db))],
  ['expiry sweep', (s) => expireListings(s.db, s.now)],
];

function lastPage(s: Sample, q: { regionSlug?: string; categorySlug?: string }): number {
  return browse(s, q).listings.pages;
}
