// Every page-data and job use case that reads listings, as one named call each, over a demo database: the plan
// test puts each through EXPLAIN QUERY PLAN. A new query on a public page or in a job gets its line here (or, for a
// new page type, in scripts/bench/pages.ts, which the page bench times too).
import { eq } from 'drizzle-orm';
import { companies, listingBatches, listings, savedSearchOutbox, users } from '../../db/schema.ts';
import { checkListingContent, setDuplicateCheck } from '../../src/server/content-rules/index.ts';
import { batchItems, openBatches } from '../../src/server/moderation/batches.ts';
import { reviewQueue } from '../../src/server/moderation/index.ts';
import { findListingsForAdmin } from '../../src/server/moderation/listings.ts';
import { findMembers } from '../../src/server/moderation/members.ts';
import { consoleStats } from '../../src/server/moderation/stats.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { verificationRequests } from '../../src/server/verification/index.ts';
import type { Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { listMyListingsApi } from '../../src/server/api/listings.ts';
import { latestPerCompany } from '../../src/server/browse/index.ts';
import { DASHBOARD_TABS, getDashboard } from '../../src/server/listings/dashboard.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { forgetCounts, liveCounts } from '../../src/server/listings/counts.ts';
import { findListing, similarListings } from '../../src/server/listings/queries.ts';
import { flushViews, recordView } from '../../src/server/listings/views.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { queueSavedSearchAlerts, savedSearchRound } from '../../src/server/saved-searches/alerts.ts';
import { createSavedSearch, savedSearchesPage } from '../../src/server/saved-searches/index.ts';
import { suggest, searchListings } from '../../src/server/search/index.ts';
import { indexerBatch, rebuildFts } from '../../src/server/search/indexer.ts';
import { enqueueSearchUpdate } from '../../src/server/search/outbox.ts';
import { documentsInKeyOrder } from '../../src/server/search/rebuild-rows.ts';
import { sqliteRateLimitStore } from '../../src/server/rate-limit.ts';
import { getSitemapFile, listingChunks, sitemapFiles } from '../../src/server/seo/sitemap.ts';
import { browse, feed, PAGE_TYPES, sampleOf, SITE_URL, type Sample } from '../../scripts/bench/pages.ts';

export type { Sample };
export const OWNER_ID = 'plan-owner';
export const ADMIN_ID = 'plan-admin';

/** Demo listings (seeded: every run plans the same data), the search index, and an owner for the busiest company. */
export function demoSample(db: Db, listingCount: number, now: number): Sample {
  writeDemoData(db, { listings: listingCount, seed: 1, now });
  rebuildFts(db, now);
  const sample = sampleOf(db, now);
  db.insert(users).values({ id: OWNER_ID, email: 'owner@example.com', passwordHash: '!', displayName: 'owner', createdAt: now }).run();
  db.update(companies).set({ ownerId: OWNER_ID }).where(eq(companies.id, sample.companyId)).run();
  db.insert(users).values({ id: ADMIN_ID, email: 'admin@example.com', passwordHash: '!', displayName: 'admin', isAdmin: true, createdAt: now }).run();
  return sample;
}

const lastPage = (s: Sample, q: { regionSlug?: string; categorySlug?: string; kind?: 'supply' | 'demand' }) => ({ ...q, page: browse(s, q).listings.pages });

/** The owner's saved searches (made once), and a few listings (of other companies too) going live again for them. */
function savedSearchesOf(s: Sample): void {
  if (savedSearchesPage(s.db, OWNER_ID, null, { t: translator('zh-CN'), locale: 'zh-CN' }, s.now).searches.length === 0) {
    const words = s.db.select({ title: listings.title }).from(listings).where(eq(listings.id, 1)).get()!.title.slice(0, 2);
    for (const [query, frequency] of [[`q=${words}`, 'instant'], [`category=${s.subcategory}&region=${s.city}`, 'daily'], [`q=${words}&region=${s.county}`, 'weekly']] as const) {
      createSavedSearch(s.db, OWNER_ID, { query, name: query, frequency }, s.now);
    }
  }
  s.db.insert(savedSearchOutbox).values([1, 2, 3, s.liveListing.id].map((listingId) => ({ listingId, createdAt: s.now }))).run();
}

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
  // Listing chunks are packed from the block counts less the active listings past expiry the sweep has not marked.
  ['sitemap index, a month on (many listings past expiry, not swept yet)', (s) => sitemapFiles(s.db, s.now + 30 * 86_400_000)],
  // A chunk's validators and body read one range of listings_sitemap_idx (owned companies' listings only).
  ['sitemap of listings, the first chunk', (s) => [...getSitemapFile(s.db, SITE_URL, 'listings-0', s.now).body()]],
  ['sitemap of listings, the last chunk', (s) => [...getSitemapFile(s.db, SITE_URL, `listings-${listingChunks(s.db, s.now).length - 1}`, s.now).body()]],
  ['sitemap of companies', (s) => [...getSitemapFile(s.db, SITE_URL, 'companies-0', s.now).body()]],
  ['sitemap of region x category pages', (s) => [...getSitemapFile(s.db, SITE_URL, 'region-categories', s.now).body()]],
  ['feed, site', (s) => feed(s, {})],
  ['feed, industry', (s) => feed(s, { categorySlug: s.industry })],
  ['search in a city and industry, by price', (s) => searchListings(s.db, { q: '供应', region: s.city, category: s.industry, sort: 'price_asc' }, s.now)],
  ['search suggestions', (s) => suggest(s.db, '钢')],
  // An integration reconciling the busiest company's catalogue: every status, then live only, a page of 500 each.
  ...[undefined, 'active'].map((status): [string, (s: Sample) => unknown] => [
    `api: the company's own listings (mine=1${status ? `, status=${status}` : ''}), a page with its images`,
    (s) => listMyListingsApi(s.db, { tokenId: 0, companyId: s.companyId, userId: OWNER_ID }, new URLSearchParams({ mine: '1', limit: '500', ...(status ? { status } : {}) }), s.now, 'zh-CN'),
  ]),
  // 相关推荐 of a live listing: its subcategory in its county, its city, then anywhere, other companies' only.
  ['listing, related from other companies', (s) => similarListings(s.db, findListing(s.db, s.liveListing.id)!, 8, s.now, { otherCompanies: true })],
  // Search reads FTS5 and its own search_rows only: a subcategory's attributes (for its facets) by the cat index.
  ['search a subcategory without words, by price', (s) => searchListings(s.db, { category: s.subcategory, sort: 'price_desc' }, s.now)],
  ['search a word in a city, deep page', (s) => searchListings(s.db, { q: '钢', region: s.city, page: '3' }, s.now)],
  ['view count flush', (s) => (recordView(s.liveListing.id, null, { userId: null, userAgent: 'Mozilla/5.0' }), flushViews(s.db))],
  ['expiry sweep', (s) => expireListings(s.db, s.now)],
  ['saved searches: a listing matched against them, its instant alerts', (s) => (savedSearchesOf(s), savedSearchRound(s.db, () => s.now))],
  ['saved searches: the daily and weekly alerts', (s) => queueSavedSearchAlerts(s.db, s.now + 8 * 86_400_000)],
  ['saved searches: the dashboard tab', (s) => savedSearchesPage(s.db, OWNER_ID, 'q=钢管', { t: translator('zh-CN'), locale: 'zh-CN' }, s.now)],
  // Trust: the content rules every listing write runs, and the admin console's reads.
  ['rule checks of a listing edit (words, categories, near-duplicates)', (s) => ruleChecks(s)],
  ['review queue', (s) => reviewQueue(s.db, ADMIN_ID)],
  ['bulk-load batches waiting', (s) => openBatches(s.db, ADMIN_ID)],
  ['a batch’s waiting listings', (s) => batchItems(s.db, ADMIN_ID, aBatch(s))],
  ['verification requests', (s) => verificationRequests(s.db, ADMIN_ID)],
  ['console counts', (s) => consoleStats(s.db, ADMIN_ID, s.now)],
  ['console members by email prefix', (s) => findMembers(s.db, ADMIN_ID, 'owner@')],
  ['console listings of a company, every status', (s) => findListingsForAdmin(s.db, ADMIN_ID, { company: String(s.companyId) }, s.now)],
  ['console listings of a company, a title', (s) => findListingsForAdmin(s.db, ADMIN_ID, { company: String(s.companyId), q: '钢' }, s.now)],
  ['console listings of one status', (s) => findListingsForAdmin(s.db, ADMIN_ID, { status: 'expired' }, s.now)],
  ['console listings of one status, a title', (s) => findListingsForAdmin(s.db, ADMIN_ID, { status: 'expired', q: '钢' }, s.now)],
  ['console live listings by title (search)', (s) => findListingsForAdmin(s.db, ADMIN_ID, { q: '钢管' }, s.now)],
  ['search indexer: a batch of queued changes, then one of expired listings or merging', async (s) => {
    enqueueSearchUpdate(s.db, [s.liveListing.id], s.now);
    await indexerBatch(s.db, null, () => s.now);
    return indexerBatch(s.db, null, () => s.now);
  }],
  // A batch (REBUILD_BATCH, 20,000) is 2% of a million listings; here the same share of the sample, or the planner
  // rightly reads the whole table for a quarter of it.
  ['search rebuild: live listings in the index\'s key order, read by id batch by batch', (s) => {
    for (const docs of documentsInKeyOrder(s.db, s.now, 400)) if (docs.length === 0) break;
  }],
  ['rate limits in the database: count (with the sweep of ended windows), read, take back, forget', (s) => {
    const store = sqliteRateLimitStore(s.db);
    store.add('plan', 1, { limit: 5, windowMs: 60_000 }, s.now);
    store.get('plan', s.now);
    store.takeBack('plan', s.now);
    store.delete('plan');
  }],
];

/** A batch of the busiest company (made once). */
function aBatch(s: Sample): number {
  const found = s.db.select({ id: listingBatches.id }).from(listingBatches).get();
  return found?.id ?? s.db.insert(listingBatches).values({ companyId: s.companyId, source: 'api', createdAt: s.now }).returning().get().id;
}

/** The checks createListing and updateListing run, on the text of a live listing (an edit: nothing is consumed). */
function ruleChecks(s: Sample) {
  const l = s.db.select().from(listings).where(eq(listings.id, s.liveListing.id)).get()!;
  const categorySlugs = getTaxonomy(s.db).categories.path(l.categoryId).map((c) => c.slug);
  setDuplicateCheck(s.db, true);
  return checkListingContent(s.db, { id: l.companyId, verified: false }, { title: l.title, description: l.description, attributes: l.attributes, categorySlugs }, { excludeId: l.id, isNew: false, now: s.now });
}
