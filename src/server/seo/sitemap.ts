// Sitemaps (sitemaps.org protocol 0.9): an index pointing to chunks of at most 50,000 URLs each, written from SQLite
// as a stream of text pieces, so a million listings never sit in memory at once.
import { and, asc, count, eq, gt, gte, lte, max, sql } from 'drizzle-orm';
import { companies, listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { liveCounts } from '../listings/counts.ts';
import { liveCondition, liveConditionInIdOrder } from '../listings/queries.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { absoluteUrl, categoryPath, companyPath, listingPath, regionPath } from '../urls.ts';
import { escapeXml, w3cDate } from './xml.ts';

/** The protocol's limits per file: 50,000 URLs and 50 MB uncompressed. */
export const MAX_URLS = 50_000;
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

/** A listing chunk holds the live listings whose id falls in one block of 50,000 ids, so each chunk is one primary-key range. */
function idRange(chunk: number): [number, number] {
  return [chunk * MAX_URLS + 1, (chunk + 1) * MAX_URLS];
}

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

/** Every sitemap file, with its newest change. One grouped scan per table. */
export function sitemapFiles(db: Db, now: number): SitemapFile[] {
  const block = sql<number>`(${listings.id} - 1) / ${sql.raw(String(MAX_URLS))}`;
  const listingChunks = db
    .select({ chunk: block, lastmod: max(listings.updatedAt) })
    .from(listings)
    .where(liveCondition(now))
    .groupBy(block)
    .orderBy(block)
    .all();
  const companyBlock = sql<number>`(${companies.id} - 1) / ${sql.raw(String(MAX_URLS))}`;
  const companyChunks = db
    .select({ chunk: companyBlock, lastmod: max(companies.updatedAt) })
    .from(companies)
    .groupBy(companyBlock)
    .orderBy(companyBlock)
    .all();
  const newest = listingChunks.reduce<number | null>((m, c) => Math.max(m ?? 0, c.lastmod ?? 0) || null, null);
  return [
    { name: 'regions.xml', lastmod: newest },
    { name: 'categories.xml', lastmod: newest },
    { name: 'region-categories.xml', lastmod: newest },
    ...companyChunks.map((c) => ({ name: `companies-${c.chunk}.xml`, lastmod: c.lastmod })),
    ...listingChunks.map((c) => ({ name: `listings-${c.chunk}.xml`, lastmod: c.lastmod })),
  ];
}

/**
 * A fingerprint of one sitemap's content, cheap to read (one indexed range), for ETag and Last-Modified: the number
 * of URLs and the newest change. A listing expiring lowers the count, so the fingerprint moves with it.
 */
export function sitemapVersion(db: Db, name: SitemapName, now: number): { urls: number; lastmod: number | null } {
  if (name.type === 'listings') {
    const [from, to] = idRange(name.chunk);
    const row = db
      .select({ n: count(), lastmod: max(listings.updatedAt) })
      .from(listings)
      .where(and(gte(listings.id, from), lte(listings.id, to), liveConditionInIdOrder(now)))
      .get();
    return { urls: row?.n ?? 0, lastmod: row?.lastmod ?? null };
  }
  if (name.type === 'companies') {
    const [from, to] = idRange(name.chunk);
    const row = db
      .select({ n: count(), lastmod: max(companies.updatedAt) })
      .from(companies)
      .where(and(gte(companies.id, from), lte(companies.id, to)))
      .get();
    return { urls: row?.n ?? 0, lastmod: row?.lastmod ?? null };
  }
  // Hub pages: their content follows the live counts, which refresh each minute.
  const counts = liveCounts(db, now);
  const newest = db.select({ t: max(listings.updatedAt) }).from(listings).where(eq(listings.status, 'active')).get()?.t ?? null;
  return { urls: counts.total, lastmod: newest };
}

const BATCH = 2_000;

/** Rows in id order, read in keyset batches: memory stays at one batch whatever the table size. */
function* batched<T extends { id: number }>(read: (afterId: number) => T[]): Generator<T> {
  let after = 0;
  for (;;) {
    const rows = read(after);
    yield* rows;
    if (rows.length < BATCH) return;
    after = rows.at(-1)!.id;
  }
}

/** The URLs of one sitemap file, streamed. Unknown or empty chunks are a NotFoundError. */
export function sitemapEntries(db: Db, siteUrl: string, name: SitemapName, now: number): Iterable<SitemapEntry> {
  const abs = (path: string) => absoluteUrl(siteUrl, path);
  const taxonomy = getTaxonomy(db);
  switch (name.type) {
    case 'listings': {
      const [from, to] = idRange(name.chunk);
      const rows = batched((after) =>
        db
          .select({ id: listings.id, slug: listings.slug, updatedAt: listings.updatedAt })
          .from(listings)
          .where(and(gt(listings.id, Math.max(after, from - 1)), lte(listings.id, to), liveConditionInIdOrder(now)))
          .orderBy(asc(listings.id))
          .limit(BATCH)
          .all(),
      );
      return mapIter(rows, (l) => ({ loc: abs(listingPath(l)), lastmod: l.updatedAt }));
    }
    case 'companies': {
      const [from, to] = idRange(name.chunk);
      const rows = batched((after) =>
        db
          .select({ id: companies.id, slug: companies.slug, updatedAt: companies.updatedAt })
          .from(companies)
          .where(and(gt(companies.id, Math.max(after, from - 1)), lte(companies.id, to)))
          .orderBy(asc(companies.id))
          .limit(BATCH)
          .all(),
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

export function assertSitemapExists(version: { urls: number }, name: SitemapName): void {
  if ((name.type === 'listings' || name.type === 'companies') && version.urls === 0) {
    throw new NotFoundError(`sitemap ${name.type}-${name.chunk}`);
  }
}

/** One sitemap file, ready to send: its validators, and its body as text pieces of about 64 KB, written on demand. */
export function getSitemapFile(db: Db, siteUrl: string, rawName: string | undefined, now: number) {
  const name = parseSitemapName(rawName);
  if (!name) throw new NotFoundError(`sitemap ${rawName}`);
  const version = sitemapVersion(db, name, now);
  assertSitemapExists(version, name);
  return {
    etag: `W/"${rawName}-${version.urls}-${version.lastmod ?? 0}"`,
    lastmod: version.lastmod,
    body: () => coalesce(urlsetXml(sitemapEntries(db, siteUrl, name, now))),
  };
}

const indexCache = new WeakMap<Db, { at: number; files: SitemapFile[] }>();
const INDEX_TTL_MS = 60_000;

/** The sitemap index. Its grouped scan of the live listings is kept for a minute, as the live counts are. */
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
