// Every page-data and job use case that reads listings, as one named call each, over a demo database: the plan
// test puts each through EXPLAIN QUERY PLAN. A new query on a public page or in a job gets its line here (or, for a
// new page type, in scripts/bench/pages.ts, which the page bench times too).
import { eq } from 'drizzle-orm';
import { companies, users } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { latestPerCompany } from '../../src/server/browse/index.ts';
import { DASHBOARD_TABS, getDashboard } from '../../src/server/listings/dashboard.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { forgetCounts, liveCounts } from '../../src/server/listings/counts.ts';
import { flushViews, recordView } from '../../src/server/listings/views.ts';
import { suggest, searchListings } from '../../src/server/search/index.ts';
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { getSitemapFile, sitemapFiles } from '../../src/server/seo/sitemap.ts';
import { browse, feed, PAGE_TYPES, sampleOf, SITE_URL, type Sample } from '../../scripts/bench/pages.ts';

export type { Sample };
export const OWNER_ID = 'plan-owner';

/** Demo listings (seeded: every run plans the same data), the search index, and an owner for the busiest company. */
export function demoSample(db: Db, listingCount: number, now: number): Sample {
  writeDemoData(db, { listings: listingCount, seed: 1, now });
  rebuildFts(db, now);
  const sample = sampleOf(db, now);
  db.insert(users).values({ id: OWNER_ID, email: 'owner@example.com', passwordHash: '!', displayName: 'owner', createdAt: now }).run();
  db.update(companies).set({ ownerId: OWNER_ID }).where(eq(companies.id, sample.companyId)).run();
  return sample;
}

const lastPage = (s: Sample, q: { regionSlug?: string; categorySlug?: string; kind?: 'supply' | 'demand' }) => ({ ...q, page: browse(s, q).listings.pages });

/** One line per use case. Each runs the way a request or a job runs it; every statement it executes is checked. */
export const PAGE_QUERIES: [name: string, run: (s: Sample) => unknown][] = [
  ...Object.entries(PAGE_TYPES).map(([name, type]): [string, (s: Sample) => unknown] => [`page: ${name}`, type.data]),
  ['counts', (s) => (forgetCounts(s.db), liveCounts(s.db, s.now))],
  ['counts, a minute later (what expired since)', (s) => (liveCounts(s.db, s.now), liveCounts(s.db, s.now + 61_000))],
  ['home, latest of each kind, one per company (the longest reads)', (s) => ['supply', 'demand'].map((k) => latestPerCompany(s.db, k as 'supply', 12, 1, s.now))],
  ['province', (s) => browse(s, {})],
  ['province, last page', (s) => browse(s, lastPage(s, {}))],
  ['city, last page', (s) => browse(s, lastPage(s, { regionSlug: s.city }))],
  ['industry, last page', (s) => browse(s, lastPage(s, { categorySlug: s.industry }))],
  ['subcategory', (s) => browse(s, { categorySlug: s.subcategory })],
  ['city x industry, last page', (s) => browse(s, lastPage(s, { regionSlug: s.city, categorySlug: s.industry }))],
  ['city x subcategory', (s) => browse(s, { regionSlug: s.city, categorySlug: s.subcategory })],
  ['city x subcategory, last page', (s) => browse(s, lastPage(s, { regionSlug: s.city, categorySlug: s.subcategory }))],
  ['county x industry', (s) => browse(s, { regionSlug: s.county, categorySlug: s.industry })],
  ['county x subcategory', (s) => browse(s, { regionSlug: s.county, categorySlug: s.subcategory })],
  // The 供应 / 求购 tabs: the same indexes in date order, the other kind's rows skipped.
  ['province, demand tab, last page', (s) => browse(s, lastPage(s, { kind: 'demand' }))],
  ['city, supply tab, last page', (s) => browse(s, lastPage(s, { regionSlug: s.city, kind: 'supply' }))],
  ['county, demand tab', (s) => browse(s, { regionSlug: s.county, kind: 'demand' })],
  ['industry, demand tab, last page', (s) => browse(s, lastPage(s, { categorySlug: s.industry, kind: 'demand' }))],
  ['city x subcategory, supply tab', (s) => browse(s, { regionSlug: s.city, categorySlug: s.subcategory, kind: 'supply' })],
  ['county x industry, demand tab', (s) => browse(s, { regionSlug: s.county, categorySlug: s.industry, kind: 'demand' })],
  ...DASHBOARD_TABS.map((tab): [string, (s: Sample) => unknown] => [`dashboard, ${tab}`, (s) => getDashboard(s.db, OWNER_ID, tab, 1, s.now)]),
  ['sitemap index', (s) => sitemapFiles(s.db, s.now)],
  ['sitemap of companies', (s) => [...getSitemapFile(s.db, SITE_URL, 'companies-0', s.now).body()]],
  ['sitemap of region x category pages', (s) => [...getSitemapFile(s.db, SITE_URL, 'region-categories', s.now).body()]],
  ['feed, site', (s) => feed(s, {})],
  ['feed, industry', (s) => feed(s, { categorySlug: s.industry })],
  ['search in a city and industry, by price', (s) => searchListings(s.db, { q: '供应', region: s.city, category: s.industry, sort: 'price_asc' }, s.now)],
  ['search suggestions', (s) => suggest(s.db, '钢')],
  // Search reads FTS5 and its own search_rows only: a subcategory's attributes (for its facets) by the cat index.
  ['search a subcategory without words, by price', (s) => searchListings(s.db, { category: s.subcategory, sort: 'price_desc' }, s.now)],
  ['search a word in a city, deep page', (s) => searchListings(s.db, { q: '钢', region: s.city, page: '3' }, s.now)],
  ['view count flush', (s) => (recordView(s.liveListing.id, null, { userId: null, userAgent: 'Mozilla/5.0' }), flushViews(s.db))],
  ['expiry sweep', (s) => expireListings(s.db, s.now)],
];
