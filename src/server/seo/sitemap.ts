// Sitemaps (sitemaps.org protocol 0.9): an index pointing to company chunks of at most 10,000 URLs and listing chunks
// of at most 1,000, written from SQLite as a stream of text pieces, so a million listings never sit in memory at once.
import { and, asc, count, eq, gt, gte, isNotNull, isNull, lte, max, sql } from 'drizzle-orm';
import { companies, listings, sitemapBlocks } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { liveCounts } from '../listings/counts.ts';
import { liveConditionInIdOrder } from '../listings/queries.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { absoluteUrl, categoryPath, companyPath, listingPath, regionPath } from '../urls.ts';
import { escapeXml, w3cDate } from './xml.ts';

/** The protocol's limits per file: 50,000 URLs and 50 MB uncompressed. */
export const MAX_URLS = 50_000;
/**
 * URLs per company chunk: a fifth of what the protocol allows, so a chunk is about 1.4 MB, not 7. A chunk
 * is kept whole in the page cache and copied per answer Astro makes of it: at 50,000 URLs, crawlers on one chunk left
 * the server 25-65 MB larger after a load at a million listings (measured). Crawlers fetch five files for one.
 */
export const CHUNK_URLS = 10_000;
/**
 * URLs per listing chunk. The chunk's rows come from one narrow index (listings_sitemap_idx), so what is left is
 * reading and writing them, 1-2 microseconds a URL: 1,000 URLs keep a chunk's page data well within the 5 ms every
 * page has, with room for a busy machine (at a million listings with both cores loaded: 1.3 ms for 1,000, 4-6 ms for
 * 2,000 before the writer was tuned, 20 ms for 10,000). A million listed listings make 1,000-2,000 chunks; an index may name 50,000.
 */
export const LISTING_CHUNK_URLS = 1_000;
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'http://www.sitemaps.org/schemas/sitemap/0.9';

export interface SitemapEntry {
  /** Absolute http(s) URL. */
  loc: string;
  lastmod?: number | null;
}

function entryXml(tag: 'url' | 'sitemap', e: SitemapEntry): string {
  if (!/^https?:\/\/[^/]/.test(e.loc)) throw new Error(`sitemap URLs must be absolute: ${e.loc}`);
  if (e.loc.length > 2048) throw new Error(`sitemap URL longer than 2,048 characters: ${e.loc.slice(0, 80)}...`);
  const lastmod = e.lastmod ? `<lastmod>${w3cDate(e.lastmod)}</lastmod>` : '';
  return `<${tag}><loc>${escapeXml(e.loc)}</loc>${lastmod}</${tag}>\n`;
}

/** A `<urlset>` as pieces of text, one per URL; more than 50,000 URLs is a bug in the chunking, so it throws. */
export function* urlsetXml(entries: Iterable<SitemapEntry>): Generator<string> {
  yield `${XML_HEAD}<urlset xmlns="${NS}">\n`;
  let n = 0;
  for (const e of entries) {
    if (++n > MAX_URLS) throw new Error(`a sitemap holds at most ${MAX_URLS} URLs`);
    yield entryXml('url', e);
  }
  yield '</urlset>\n';
}

export function sitemapIndexXml(entries: SitemapEntry[]): string {
  if (entries.length > MAX_URLS) throw new Error(`a sitemap index holds at most ${MAX_URLS} sitemaps`);
  return `${XML_HEAD}<sitemapindex xmlns="${NS}">\n${entries.map((e) => entryXml('sitemap', e)).join('')}</sitemapindex>\n`;
}

// --- What the sitemaps list, read from SQLite ---

// Demo companies (nobody owns them) and their listings are sample data, noindex on their pages: not in the sitemaps
// either. A check on the company read by its primary key, beside the id range.
const NOT_DEMO = isNotNull(companies.ownerId);
// The same for a listing, on its own row: written out as in listings_sitemap_idx's WHERE (not a bound value), so
// SQLite can use that partial index, which holds only these listings.
const OWNED_LISTING = sql`${listings.companyOwned} = 1`;
const LISTED_COMPANY = and(isNull(companies.suspendedAt), NOT_DEMO);

/** A company chunk holds the companies whose id falls in one block of 10,000 ids: one primary-key range. */
function idRange(chunk: number): [number, number] {
  return [chunk * CHUNK_URLS + 1, (chunk + 1) * CHUNK_URLS];
}

/** Listing ids are counted for the sitemaps in blocks of this many (the sitemap_blocks table, kept by triggers). */
const BLOCK = 1_000;

/** One listing chunk: the sitemaps' listings whose id is in from..to (one primary-key range), `urls` of them. */
export interface ListingChunk {
  from: number;
  to: number;
  urls: number;
}

/**
 * The listing chunks, in id order: consecutive blocks packed while they fit in one file, so each chunk holds up to
 * 1,000 URLs, no two neighbours would fit in one, and none is empty, however sparse the listings the sitemaps list
 * (expired, closed, demo). Reads the few block counts, and takes off the active listings already past expiry that
 * the sweep has not marked (a short range of the (status, expires_at) index), so the counts are exact.
 */
export function listingChunks(db: Db, now: number): ListingChunk[] {
  const unswept = new Map<number, number>();
  const expired = db
    .select({ id: listings.id })
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    .where(and(eq(listings.status, 'active'), lte(listings.expiresAt, now), NOT_DEMO))
    .all();
  for (const { id } of expired) unswept.set(blockOf(id), (unswept.get(blockOf(id)) ?? 0) + 1);
  const chunks: ListingChunk[] = [];
  let last: ListingChunk | undefined;
  // Rows as arrays, not objects: every chunk's request reads a thousand of them at a million listing ids.
  const blocks = db.select({ block: sitemapBlocks.block, n: sitemapBlocks.n }).from(sitemapBlocks).where(gt(sitemapBlocks.n, 0)).orderBy(asc(sitemapBlocks.block)).values();
  for (const [block, n] of blocks as [number, number][]) {
    const urls = n - (unswept.get(block) ?? 0);
    if (urls <= 0) continue;
    const to = (block + 1) * BLOCK;
    if (last && last.urls + urls <= LISTING_CHUNK_URLS) Object.assign(last, { to, urls: last.urls + urls });
    else chunks.push((last = { from: block * BLOCK + 1, to, urls }));
  }
  return chunks;
}

const blockOf = (listingId: number) => Math.floor((listingId - 1) / BLOCK);

export interface SitemapFile {
  /** File name under /sitemaps/, e.g. `listings-3.xml`. */
  name: string;
  lastmod: number | null;
}

/** A sitemap's name: `listings-<n>`, `companies-<n>`, `regions`, `categories` or `region-categories`. */
export type SitemapName =
  | { type: 'listings' | 'companies'; chunk: number }
  | { type: 'regions' | 'categories' | 'region-categories' };

export function parseSitemapName(name: string | undefined): SitemapName | null {
  const m = /^(listings|companies)-(0|[1-9]\d{0,5})$/.exec(name ?? '');
  if (m) return { type: m[1] as 'listings' | 'companies', chunk: Number(m[2]) };
  if (name === 'regions' || name === 'categories' || name === 'region-categories') return { type: name };
  return null;
}

/** Newest publication among live listings: what the hub pages (lists and counts) follow. One index seek. */
function newestPublished(db: Db): number | null {
  return db.select({ t: max(listings.publishedAt) }).from(listings).where(eq(listings.status, 'active')).get()?.t ?? null;
}

/** The company chunks that list at least one company: a block's first listed company is one index seek away. */
function companyChunks(db: Db): number[] {
  const maxCompany = db.select({ m: max(companies.id) }).from(companies).get()?.m ?? 0;
  return Array.from({ length: Math.ceil(maxCompany / CHUNK_URLS) }, (_, k) => k).filter((k) => {
    const [from, to] = idRange(k);
    return db.select({ id: companies.id }).from(companies).where(and(gte(companies.id, from), lte(companies.id, to), LISTED_COMPANY)).limit(1).get();
  });
}

/** Where a chunk's rows are, by id: undefined for a chunk that does not exist. */
function chunkRange(db: Db, name: { type: 'listings' | 'companies'; chunk: number }, now: number): [number, number] | undefined {
  if (name.type === 'companies') return idRange(name.chunk);
  const chunk = listingChunks(db, now)[name.chunk];
  return chunk && [chunk.from, chunk.to];
}

// The last version each chunk was served with. Reading every chunk's version for the index would read every listed
// listing (once the whole listings table, 0.8 s at a million rows; still all of listings_sitemap_idx), so the index dates a chunk by its last version seen
// in the past ten minutes and leaves `lastmod` out otherwise (it is optional; crawlers then fetch the chunk).
const seenVersions = new WeakMap<Db, Map<string, { at: number; lastmod: number | null }>>();
const SEEN_TTL_MS = 10 * 60_000;

function rememberVersion(db: Db, file: string, lastmod: number | null, now: number): void {
  let seen = seenVersions.get(db);
  if (!seen) seenVersions.set(db, (seen = new Map()));
  seen.set(file, { at: now, lastmod });
}

function recentVersion(db: Db, file: string, now: number): number | null {
  const v = seenVersions.get(db)?.get(file);
  return v && now - v.at < SEEN_TTL_MS && now >= v.at ? v.lastmod : null;
}

/**
 * Every sitemap file: the hubs, the company chunks that list a company, and the listing chunks (listingChunks). No
 * chunk in it is empty (a listing expiring since is the exception, until the index's minute is up).
 */
export function sitemapFiles(db: Db, now: number): SitemapFile[] {
  const newest = newestPublished(db);
  const chunk = (type: string, k: number) => ({ name: `${type}-${k}.xml`, lastmod: recentVersion(db, `${type}-${k}`, now) });
  return [
    { name: 'regions.xml', lastmod: newest },
    { name: 'categories.xml', lastmod: newest },
    { name: 'region-categories.xml', lastmod: newest },
    ...companyChunks(db).map((k) => chunk('companies', k)),
    ...listingChunks(db, now).map((_, k) => chunk('listings', k)),
  ];
}

/** The listings a listing chunk lists, by id: live, of an owned company; one range of listings_sitemap_idx. */
function listedInRange(from: number, to: number, now: number) {
  return and(gte(listings.id, from), lte(listings.id, to), OWNED_LISTING, liveConditionInIdOrder(now));
}

/**
 * A fingerprint of one sitemap's content, cheap to read (one primary-key or index range), for ETag and Last-Modified:
 * the number of URLs, the newest change and, for listings, the sum of their ids. A listing expiring lowers the count;
 * a write to a listing moves the newest change; the id sum moves when one listing takes another's place unseen (one
 * expiring as a claimed company's older listing joins), which count and time alone would miss.
 * `exists` is false for a listing chunk past the last, and for a company chunk past the highest id.
 */
export function sitemapVersion(
  db: Db,
  name: SitemapName,
  now: number,
): { urls: number; lastmod: number | null; exists: boolean; range?: [number, number]; idSum?: number } {
  if (name.type === 'listings' || name.type === 'companies') {
    const range = chunkRange(db, name, now);
    if (!range) return { urls: 0, lastmod: null, exists: false };
    const [from, to] = range;
    let version: { urls: number; lastmod: number | null; idSum?: number };
    let exists = true;
    if (name.type === 'listings') {
      const sumOfIds = sql<number>`coalesce(sum(${listings.id}), 0)`;
      version = db.select({ urls: count(), lastmod: max(listings.updatedAt), idSum: sumOfIds }).from(listings).where(listedInRange(from, to, now)).get()!;
    } else {
      version = db
        .select({ urls: count(), lastmod: max(companies.updatedAt) })
        .from(companies)
        .where(and(gte(companies.id, from), lte(companies.id, to), LISTED_COMPANY))
        .get()!;
      exists = version.urls > 0 || (db.select({ m: max(companies.id) }).from(companies).get()?.m ?? 0) >= from;
    }
    rememberVersion(db, `${name.type}-${name.chunk}`, version.lastmod, now);
    return { ...version, exists, range };
  }
  // Hub pages: their content follows the live counts, which refresh each minute.
  return { urls: liveCounts(db, now).total, lastmod: newestPublished(db), exists: true };
}

const BATCH = 2_000;

/** Rows in id order, read in keyset batches: memory stays at one batch whatever the table size. */
function* batched<T>(read: (afterId: number) => T[], idOf: (row: T) => number): Generator<T> {
  let after = 0;
  for (;;) {
    const rows = read(after);
    yield* rows;
    if (rows.length < BATCH) return;
    after = idOf(rows.at(-1)!);
  }
}

/**
 * The URLs of one sitemap file, streamed; a chunk's ids as sitemapVersion found them, or looked up. A listing chunk
 * past the last is a NotFoundError.
 */
export function sitemapEntries(db: Db, siteUrl: string, name: SitemapName, now: number, chunkIds?: [number, number]): Iterable<SitemapEntry> {
  // The site's address once, not per URL (a chunk writes thousands).
  const base = absoluteUrl(siteUrl, '');
  const abs = (path: string) => base + path;
  const taxonomy = getTaxonomy(db);
  switch (name.type) {
    case 'listings': {
      const range = chunkIds ?? chunkRange(db, name, now);
      if (!range) throw new NotFoundError(`sitemap listings-${name.chunk}`);
      const [from, to] = range;
      // Rows as arrays (id, slug, updated_at), not objects: a third of the reading time of a chunk.
      const rows = batched(
        (after) =>
          db
            .select({ id: listings.id, slug: listings.slug, updatedAt: listings.updatedAt })
            .from(listings)
            .where(listedInRange(Math.max(after + 1, from), to, now))
            .orderBy(asc(listings.id))
            .limit(BATCH)
            .values() as [number, string, number][],
        ([id]) => id,
      );
      return mapIter(rows, ([id, slug, updatedAt]) => ({ loc: abs(listingPath({ id, slug })), lastmod: updatedAt }));
    }
    case 'companies': {
      const [from, to] = chunkIds ?? idRange(name.chunk);
      const rows = batched((after) =>
        db
          .select({ id: companies.id, slug: companies.slug, updatedAt: companies.updatedAt })
          .from(companies)
          // A suspended company's page answers 410: not in the sitemap (a primary-key range, filtered in place).
          .where(and(gt(companies.id, Math.max(after, from - 1)), lte(companies.id, to), LISTED_COMPANY))
          .orderBy(asc(companies.id))
          .limit(BATCH)
          .all(),
        (c) => c.id,
      );
      return mapIter(rows, (c) => ({ loc: abs(companyPath(c)), lastmod: c.updatedAt }));
    }
    case 'regions':
      return [
        { loc: abs('/') },
        { loc: abs('/regions') },
        ...[...taxonomy.regions.byId.values()].map((r) => ({ loc: abs(regionPath(r)) })),
      ];
    case 'categories':
      return [{ loc: abs('/categories') }, ...[...taxonomy.categories.byId.values()].map((c) => ({ loc: abs(categoryPath(c)) }))];
    case 'region-categories': {
      // The province x a category is the category page itself (its canonical), so only cities and counties pair up.
      const counts = liveCounts(db, now);
      const out: SitemapEntry[] = [];
      for (const r of taxonomy.regions.byId.values()) {
        if (r.id === taxonomy.rootRegion.id) continue;
        for (const c of taxonomy.categories.byId.values()) {
          if (counts.regionCategory(r.id, c.id) > 0) out.push({ loc: abs(regionPath(r, c)) });
        }
      }
      if (out.length > MAX_URLS) throw new Error('more region x category pages than one sitemap holds');
      return out;
    }
  }
}

function* mapIter<T, U>(it: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const x of it) yield f(x);
}

/** One sitemap file, ready to send: its validators, and its body as text pieces of about 64 KB, written on demand. */
export function getSitemapFile(db: Db, siteUrl: string, rawName: string | undefined, now: number) {
  const name = parseSitemapName(rawName);
  if (!name) throw new NotFoundError(`sitemap ${rawName}`);
  const version = sitemapVersion(db, name, now);
  if (!version.exists) throw new NotFoundError(`sitemap ${rawName}`);
  return {
    // A listing chunk's ids move as listings come and go: they are part of what it is.
    etag: `W/"${[rawName, ...(version.range ?? []), version.urls, version.lastmod ?? 0, ...(version.idSum === undefined ? [] : [version.idSum])].join('-')}"`,
    lastmod: version.lastmod,
    body: () => coalesce(urlsetXml(sitemapEntries(db, siteUrl, name, now, version.range))),
  };
}

const indexCache = new WeakMap<Db, { at: number; files: SitemapFile[] }>();
const INDEX_TTL_MS = 60_000;

/** The sitemap index, kept for a minute. */
export function getSitemapIndex(db: Db, siteUrl: string, now: number) {
  let hit = indexCache.get(db);
  if (!hit || now - hit.at >= INDEX_TTL_MS || now < hit.at) {
    hit = { at: now, files: sitemapFiles(db, now) };
    indexCache.set(db, hit);
  }
  const lastmod = hit.files.reduce((m, f) => Math.max(m, f.lastmod ?? 0), 0) || null;
  return {
    lastmod,
    xml: sitemapIndexXml(hit.files.map((f) => ({ loc: absoluteUrl(siteUrl, `/sitemaps/${f.name}`), lastmod: f.lastmod }))),
  };
}

/** Joins small pieces of text into pieces of at least `size` characters, so a stream sends few large chunks. */
export function* coalesce(pieces: Iterable<string>, size = 64 * 1024): Generator<string> {
  let buf = '';
  for (const p of pieces) {
    buf += p;
    if (buf.length >= size) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
