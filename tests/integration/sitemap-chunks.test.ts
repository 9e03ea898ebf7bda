// Listing sitemap chunks at a size where they are packed: demo data of 30,000 listings, one company in two given an
// owner (demo companies' listings are noindex and stay out), so the listed listings are spread thin over the ids.
// The index must list no empty chunk, each chunk at most LISTING_CHUNK_URLS (2,000) URLs, and together exactly the listings
// a crawler should see: live, of a company someone owns.
import { and, asc, count, eq, gt, isNotNull, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { companies, listings, sitemapBlocks, users } from '../../db/schema.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { LISTING_CHUNK_URLS, getSitemapFile, getSitemapIndex } from '../../src/server/seo/sitemap.ts';
import { listingPath } from '../../src/server/urls.ts';
import { ownDemoCompanies } from '../../scripts/bench/pages.ts';
import { freshDb, makeListing } from '../helpers/db.ts';
import { checkXml, xmlTexts } from '../helpers/xml.ts';

const SITE = 'https://example.cn';
const NOW = Date.UTC(2026, 5, 1);
const db = freshDb();

beforeAll(() => {
  writeDemoData(db, { listings: 30_000, seed: 1, now: NOW });
  ownDemoCompanies(db, NOW, 2);
}, 120_000);

/** What the sitemaps should list, straight from the tables: live listings of owned companies. */
function listedListings(now: number): string[] {
  return db
    .select({ id: listings.id, slug: listings.slug })
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(and(eq(listings.status, 'active'), gt(listings.expiresAt, now), isNotNull(companies.ownerId)))
    .orderBy(asc(listings.id))
    .all()
    .map((l) => `${SITE}${listingPath(l)}`);
}

/** Every listing chunk the index names, with the URLs each one serves. */
function listingChunksServed(now: number): { name: string; urls: string[] }[] {
  const index = getSitemapIndex(db, SITE, now + Math.random()).xml; // past the index's one-minute copy
  expect(checkXml(index).errors).toEqual([]);
  return xmlTexts(index, 'loc')
    .map((loc) => /\/sitemaps\/(listings-\d+)\.xml$/.exec(loc)?.[1])
    .filter((name): name is string => name !== undefined)
    .map((name) => {
      const xml = [...getSitemapFile(db, SITE, name, now).body()].join('');
      expect(checkXml(xml).errors).toEqual([]);
      return { name, urls: xmlTexts(xml, 'loc') };
    });
}

/** sitemap_blocks as the triggers keep it, against a count of the listings themselves. */
function blocksAgainstListings() {
  const kept = db.select().from(sitemapBlocks).where(gt(sitemapBlocks.n, 0)).orderBy(asc(sitemapBlocks.block)).all();
  const block = sql<number>`(${listings.id} - 1) / 1000`;
  const counted = db
    .select({ block, n: count() })
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(and(eq(listings.status, 'active'), isNotNull(companies.ownerId)))
    .groupBy(block)
    .orderBy(block)
    .all();
  return { kept, counted };
}

describe('listing sitemap chunks over sparse listings', () => {
  it('list no empty chunk, at most 2,000 URLs each (more than 1,000 but the last), and together every listed listing once', () => {
    const chunks = listingChunksServed(NOW);
    const expected = listedListings(NOW);
    // One company in two owns about 12,600 of the 25,000 live listings, about 420 in each block of 1,000 ids: four
    // blocks fit in a chunk, so seven or eight chunks where blocks of ids made thirty.
    expect(expected.length).toBeGreaterThan(6 * LISTING_CHUNK_URLS);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(expected.length / LISTING_CHUNK_URLS));
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(expected.length / (LISTING_CHUNK_URLS - 1000)));
    expect(chunks.map((c) => c.name)).toEqual(chunks.map((_, k) => `listings-${k}`));
    for (const c of chunks) {
      expect(c.urls.length).toBeGreaterThan(0);
      expect(c.urls.length).toBeLessThanOrEqual(LISTING_CHUNK_URLS);
    }
    for (const c of chunks.slice(0, -1)) expect(c.urls.length).toBeGreaterThan(LISTING_CHUNK_URLS - 1000);
    expect(chunks.flatMap((c) => c.urls)).toEqual(expected);
    expect(() => getSitemapFile(db, SITE, `listings-${chunks.length}`, NOW)).toThrow(NotFoundError);
  });

  it('count what the triggers see: a company gaining or losing its owner, listings expiring, a company deleted', () => {
    expect(blocksAgainstListings().kept).toEqual(blocksAgainstListings().counted);
    const demo = db.select({ id: companies.id }).from(companies).where(sql`${companies.id} % 2 = 1`).limit(2).all();
    // A demo company claimed: its listings join the sitemaps.
    db.insert(users).values({ id: 'claimer', email: 'claimer@example.com', passwordHash: '!', displayName: 'c', createdAt: NOW }).run();
    db.update(companies).set({ ownerId: 'claimer' }).where(eq(companies.id, demo[0]!.id)).run();
    // An owner's account deleted: the company turns ownerless (ON DELETE SET NULL) and its listings leave.
    db.delete(users).where(eq(users.id, 'owner-2')).run();
    // A member's company deleted, its listings with it (by cascade).
    db.delete(companies).where(eq(companies.id, 4)).run();
    // Listings of members expire, close and are posted.
    db.update(listings).set({ status: 'expired' }).where(and(eq(listings.companyId, 5), eq(listings.status, 'active'))).run();
    db.update(listings).set({ status: 'active' }).where(and(eq(listings.companyId, 7), eq(listings.status, 'closed'))).run();
    makeListing(db, 8, { expiresAt: NOW + 86_400_000 });
    const { kept, counted } = blocksAgainstListings();
    expect(kept).toEqual(counted);
    expect(listingChunksServed(NOW).flatMap((c) => c.urls)).toEqual(listedListings(NOW));
  });

  it('leave out listings past their expiry that the sweep has not marked yet, and name no chunk once none is live', () => {
    const later = NOW + 20 * 86_400_000;
    const expected = listedListings(later);
    expect(expected.length).toBeLessThan(listedListings(NOW).length);
    const chunks = listingChunksServed(later);
    expect(chunks.flatMap((c) => c.urls)).toEqual(expected);
    for (const c of chunks) expect(c.urls.length).toBeGreaterThan(0);
    const afterAll = NOW + 400 * 86_400_000;
    expect(listingChunksServed(afterAll)).toEqual([]);
    expect(() => getSitemapFile(db, SITE, 'listings-0', afterAll)).toThrow(NotFoundError);
  });
});
