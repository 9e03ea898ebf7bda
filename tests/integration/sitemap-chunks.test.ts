// Listing sitemap chunks at a size where they are packed: demo data of 30,000 listings, one company in two given an
// owner (demo companies' listings are noindex and stay out), so the listed listings are spread thin over the ids.
// The index must list no empty chunk, each chunk at most LISTING_CHUNK_URLS (1,000) URLs, and together exactly the listings
// a crawler should see: live, of a company someone owns.
import { and, asc, count, desc, eq, gt, isNotNull, lte, ne, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { companies, listings, sitemapBlocks, users } from '../../db/schema.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { LISTING_CHUNK_URLS, getSitemapFile, getSitemapIndex, listingChunks } from '../../src/server/seo/sitemap.ts';
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

/** Listings whose company_owned (kept by migration 0016's triggers) disagrees with their company having an owner. */
function ownedFlagsWrong(): number {
  return db
    .select({ n: count() })
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(ne(listings.companyOwned, sql`(${companies.ownerId} IS NOT NULL)`))
    .get()!.n;
}

describe('listing sitemap chunks over sparse listings', () => {
  it('list no empty chunk, at most 1,000 URLs each (no two neighbours fitting in one), and together every listed listing once', () => {
    const chunks = listingChunksServed(NOW);
    const expected = listedListings(NOW);
    // One company in two owns about 12,600 of the 25,000 live listings, about 420 in each block of 1,000 ids: two
    // blocks fit in a chunk, so about fifteen chunks where blocks of ids made thirty.
    expect(expected.length).toBeGreaterThan(12 * LISTING_CHUNK_URLS);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(expected.length / LISTING_CHUNK_URLS));
    expect(chunks.length).toBeLessThan(20);
    expect(chunks.map((c) => c.name)).toEqual(chunks.map((_, k) => `listings-${k}`));
    for (const c of chunks) {
      expect(c.urls.length).toBeGreaterThan(0);
      expect(c.urls.length).toBeLessThanOrEqual(LISTING_CHUNK_URLS);
    }
    for (const [a, b] of chunks.slice(1).map((b, k) => [chunks[k]!, b] as const)) expect(a.urls.length + b.urls.length).toBeGreaterThan(LISTING_CHUNK_URLS);
    expect(chunks.flatMap((c) => c.urls)).toEqual(expected);
    expect(() => getSitemapFile(db, SITE, `listings-${chunks.length}`, NOW)).toThrow(NotFoundError);
  });

  it('count what the triggers see: a company gaining or losing its owner, listings expiring, a company deleted', () => {
    expect(blocksAgainstListings().kept).toEqual(blocksAgainstListings().counted);
    expect(db.select({ n: count() }).from(listings).where(eq(listings.companyOwned, true)).get()!.n).toBeGreaterThan(10_000);
    expect(ownedFlagsWrong()).toBe(0);
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
    // A listing posted by a demo company, one moved from a member's company to a demo one and back, a flag set wrong.
    makeListing(db, demo[1]!.id, { expiresAt: NOW + 86_400_000 });
    const moved = db.select({ id: listings.id }).from(listings).where(eq(listings.companyId, 10)).limit(2).all();
    db.update(listings).set({ companyId: demo[1]!.id }).where(eq(listings.id, moved[0]!.id)).run();
    db.update(listings).set({ companyId: demo[1]!.id }).where(eq(listings.id, moved[1]!.id)).run();
    db.update(listings).set({ companyId: 10 }).where(eq(listings.id, moved[1]!.id)).run();
    db.update(listings).set({ companyOwned: true }).where(eq(listings.companyId, demo[1]!.id)).run();
    expect(ownedFlagsWrong()).toBe(0);
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

describe('listing sitemap chunk validators', () => {
  const version = (now = NOW) => {
    const f = getSitemapFile(db, SITE, 'listings-0', now);
    return { etag: f.etag, lastmod: f.lastmod, urls: [...f.body()].join('').split('<url>').length - 1 };
  };
  /** Live listed listings of the first chunk, oldest change first. */
  const firstChunkListed = () => {
    const { from, to } = listingChunks(db, NOW)[0]!;
    return db
      .select({ id: listings.id, updatedAt: listings.updatedAt, expiresAt: listings.expiresAt })
      .from(listings)
      .where(and(sql`${listings.id} BETWEEN ${from} AND ${to}`, eq(listings.status, 'active'), eq(listings.companyOwned, true), gt(listings.expiresAt, NOW)))
      .orderBy(asc(listings.updatedAt), asc(listings.id))
      .all();
  };

  it('change with each kind of change to the chunk, and stay put without one', () => {
    const seen = new Set<string>();
    const step = (what: string, now = NOW) => {
      const v = version(now);
      expect(seen.has(v.etag), what).toBe(false);
      seen.add(v.etag);
      expect(version(now).etag, `${what}, read again`).toBe(v.etag);
      return v;
    };
    const base = step('as it is');
    const [oldest, second] = firstChunkListed();
    // An edit: the newest change moves.
    db.update(listings).set({ updatedAt: NOW + 1_000 }).where(eq(listings.id, oldest!.id)).run();
    expect(step('a listing edited').lastmod).toBe(NOW + 1_000);
    // A listing closed: one URL fewer.
    db.update(listings).set({ status: 'closed' }).where(eq(listings.id, second!.id)).run();
    expect(step('a listing closed').urls).toBe(base.urls - 1);
    // A listing reaching its expiry with nobody writing it (the sweep has not run): one URL fewer at that time.
    const [soon] = firstChunkListed();
    db.update(listings).set({ expiresAt: NOW + 60_000 }).where(eq(listings.id, soon!.id)).run();
    expect(version().etag).toBe([...seen].at(-1));
    expect(step('a listing past its expiry', NOW + 60_000).urls).toBe(base.urls - 2);
    // A demo company with listings in the chunk claimed: they join.
    const demoListing = db
      .select({ companyId: listings.companyId })
      .from(listings)
      .where(and(lte(listings.id, listingChunks(db, NOW)[0]!.to), eq(listings.status, 'active'), gt(listings.expiresAt, NOW), eq(listings.companyOwned, false)))
      .get()!;
    db.insert(users).values({ id: 'validator-claimer', email: 'vc@example.com', passwordHash: '!', displayName: 'v', createdAt: NOW }).run();
    db.update(companies).set({ ownerId: 'validator-claimer' }).where(eq(companies.id, demoListing.companyId)).run();
    expect(step('a demo company claimed').urls).toBeGreaterThan(base.urls - 2);
  });

  it('change when one listing takes another\'s place in the chunk with the same count and newest change', () => {
    const listed = firstChunkListed();
    const newest = listed.at(-1)!;
    // Two listings of one block (so the chunk's id range stays), neither the newest change: close one beforehand.
    const [a, b] = listed.filter((l) => l.id !== newest.id && Math.floor((l.id - 1) / 1000) === Math.floor((listed[0]!.id - 1) / 1000));
    db.update(listings).set({ status: 'closed' }).where(eq(listings.id, b!.id)).run();
    const before = version();
    // A moderator restoring b as a takes a's place, neither write touching updated_at.
    db.transaction((tx) => {
      tx.update(listings).set({ status: 'closed' }).where(eq(listings.id, a!.id)).run();
      tx.update(listings).set({ status: 'active' }).where(eq(listings.id, b!.id)).run();
    });
    const after = version();
    expect(after.urls).toBe(before.urls);
    expect(after.lastmod).toBe(before.lastmod);
    expect(after.etag).not.toBe(before.etag);
  });

  it('read the newest change of the chunk for Last-Modified', () => {
    const newest = db
      .select({ t: listings.updatedAt })
      .from(listings)
      .where(and(lte(listings.id, listingChunks(db, NOW)[0]!.to), eq(listings.status, 'active'), eq(listings.companyOwned, true), gt(listings.expiresAt, NOW)))
      .orderBy(desc(listings.updatedAt))
      .get()!.t;
    expect(version().lastmod).toBe(newest);
  });
});
