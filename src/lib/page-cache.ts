// The shared page cache: public HTML pages kept for a few seconds, each tagged with what it shows, so a write drops
// only the pages it changes. Two layers serve from it: the cache middleware (inside Astro) and, in the server
// process, a node:http listener in front of Astro (serveCachedPagesFirst) that answers a hit without Astro at all.
// Listing pages are kept too: the layer that serves a kept copy counts its view (anonymous by construction: a request
// with the session cookie never reads the cache; bots are not counted; a copy is served only while the listing is
// live).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { onListingsChanged, type ListingChanges } from '../server/listings/changes.ts';
import { onSearchChanged } from '../server/search/changed.ts';
import { recordView } from '../server/listings/views.ts';
import { parseSitemapName } from '../server/seo/sitemap.ts';
import { config } from '../server/config.ts';
import { inRequest, requestIdFrom } from '../server/observability/log.ts';
import { countPageCache } from '../server/observability/metrics.ts';
import { recordRequest } from '../server/observability/requests.ts';
import { chooseEncoding, etagMatches, hasSessionCookie, type Encoding } from './http-cache.ts';

/** How long a kept page is served: short enough that nothing a write does not drop stays stale for long. */
export const SHARED_TTL_MS = 10_000;
const SHARED_MAX_ENTRIES = 1000;
/**
 * The bytes the kept copies may hold: a sitemap chunk is megabytes, and a crawler walking the site would otherwise fill
 * a thousand entries. A kept copy is counted at 1.5 times its body for the compressed copies made of it on demand.
 */
const SHARED_MAX_BYTES = 32 * 1024 * 1024;
const MIN_COMPRESS_BYTES = 1024;
export const COMPRESSIBLE = /^(?:text\/|application\/(?:json|xml|rss\+xml|atom\+xml|ld\+json|javascript)|image\/svg\+xml)/;

/** Response headers a page sets to tell the cache what it shows; the cache removes them before sending. */
export const TAGS_HEADER = 'x-page-tags';
export const VIEW_HEADER = 'x-page-view';

export interface Entry {
  at: number;
  etag: string;
  headers: [string, string][];
  body: Buffer;
  encoded: Partial<Record<Encoding, Buffer>>;
  /** What the page shows (see pageTags); an untagged page is dropped by every write. */
  tags: string[];
  /** A live listing's page: each view served from here is counted, until the listing's expiry. */
  view?: { listingId: number; liveUntil: number };
  /** The route pattern that rendered it, for the request metrics of hits answered in front of Astro. */
  route?: string;
}

// One store per process, not per module copy: the built server bundles its own copy of src/, and the front listener
// loaded by scripts/start.ts is another, so the store lives on globalThis. Pages are also filed by tag, with their
// bytes summed, so a write (and the search index, after each batch) drops what it changes without reading every kept
// page, and keeping one reads none: under the load bench both ran tens of times a second over a thousand pages.
interface Store {
  pages: Map<string, Entry>;
  byTag: Map<string, Set<string>>;
  bytes: number;
}
const STORE = Symbol.for('b2b-classifieds.page-cache');
const store: Store = ((globalThis as Record<symbol, unknown>)[STORE] ??= { pages: new Map(), byTag: new Map(), bytes: 0 }) as Store;
const sizeOf = (entry: Entry) => Math.ceil(entry.body.length * 1.5);
/** The tag an untagged page is filed under: every write drops it. */
const UNTAGGED = '';
const filedUnder = (entry: Entry) => (entry.tags.length > 0 ? entry.tags : [UNTAGGED]);

function put(url: string, entry: Entry): void {
  store.pages.set(url, entry);
  store.bytes += sizeOf(entry);
  for (const tag of filedUnder(entry)) (store.byTag.get(tag) ?? store.byTag.set(tag, new Set()).get(tag)!).add(url);
}

function remove(url: string): void {
  const entry = store.pages.get(url);
  if (!entry) return;
  store.pages.delete(url);
  store.bytes -= sizeOf(entry);
  for (const tag of filedUnder(entry)) {
    const urls = store.byTag.get(tag);
    urls?.delete(url);
    if (urls?.size === 0) store.byTag.delete(tag);
  }
}

/** Tags for what a page shows. A list is named by its region and category (0 for none). */
export const pageTags = {
  home: () => ['home'],
  counts: () => ['counts'],
  list: (regionId: number, categoryId: number | null) => [`list:${regionId}:${categoryId ?? 0}`],
  company: (companyId: number) => [`company:${companyId}`],
  listing: (listingId: number, companyId: number) => [`listing:${listingId}`, `company:${companyId}`],
  /**
   * A chunk of companies by its name; every chunk of listings under one tag (they are packed by count, so one listing
   * more or less moves the ones after it); the hub sitemaps follow the counts. Unknown names: none.
   */
  sitemap: (name: string | undefined): string[] => {
    const parsed = parseSitemapName(name);
    if (!parsed) return [];
    if (!('chunk' in parsed)) return pageTags.counts();
    return parsed.type === 'listings' ? pageTags.listingSitemaps() : [`sitemap:${name}`];
  },
  listingSitemaps: () => ['sitemap:listings'],
  /**
   * Search pages answer from the index, which takes a write a moment after its commit (search/indexer.ts): they are
   * dropped when the index changes, not by the write (a search page rendered in between would keep the old answer).
   */
  search: () => ['search'],
};

/** For pages: tells the cache what the page shows and, for a live listing's page, which listing's views to count. */
export function describePage(headers: Headers, tags: string[], view?: { listingId: number; liveUntil: number }): void {
  headers.set(TAGS_HEADER, tags.join(' '));
  if (view) headers.set(VIEW_HEADER, `${view.listingId} ${view.liveUntil}`);
}

/** Drops every page (tests, and changes too broad to name). */
export function forgetCachedPages(): void {
  store.pages.clear();
  store.byTag.clear();
  store.bytes = 0;
}

/** Drops the pages showing any of these tags, and every untagged page. */
export function forgetTaggedPages(tags: Iterable<string>): void {
  for (const tag of new Set([...tags, UNTAGGED])) {
    for (const url of store.byTag.get(tag) ?? []) remove(url);
  }
}

/**
 * The tags of every page a change of these listings can alter: their own pages and their companies', the home and
 * the directories (counts), and each list of their regions and categories with the ancestors of both.
 */
export function tagsOfChanges(changes: Exclude<ListingChanges, 'all'>): Set<string> {
  const tags = new Set([...pageTags.home(), ...pageTags.counts(), ...pageTags.listingSitemaps()]);
  for (const l of changes) {
    for (const t of pageTags.listing(l.id, l.companyId)) tags.add(t);
    for (const r of l.regionIds) for (const c of [null, ...l.categoryIds]) tags.add(pageTags.list(r, c)[0]!);
  }
  return tags;
}

// Each copy of this module hears its own copy of listings/changes.ts: the writes happen in the built server's copy,
// whose listener drops pages from the one shared store.
onListingsChanged((changes) => (changes === 'all' ? forgetCachedPages() : forgetTaggedPages(tagsOfChanges(changes))));
onSearchChanged(() => forgetTaggedPages(pageTags.search()));

/** The kept copy of a page for this request, if there is a fresh one; counts the view of a listing page. */
export function cachedPage(method: string, url: string, headers: { cookie?: string | null; 'user-agent'?: string | null }, now: number): Entry | undefined {
  if (method !== 'GET' || hasSessionCookie(headers.cookie ?? null)) return undefined;
  const hit = store.pages.get(url);
  if (!hit) return undefined;
  if (now - hit.at >= SHARED_TTL_MS || now < hit.at || (hit.view && now >= hit.view.liveUntil)) {
    remove(url);
    return undefined;
  }
  if (hit.view) recordView(hit.view.listingId, null, { userId: null, userAgent: headers['user-agent'] ?? null });
  return hit;
}

export function keepPage(url: string, entry: Entry): void {
  if (sizeOf(entry) > SHARED_MAX_BYTES / 2) return;
  remove(url);
  // Oldest first: a Map iterates in insertion order.
  for (const key of store.pages.keys()) {
    if (store.pages.size < SHARED_MAX_ENTRIES && store.bytes + sizeOf(entry) <= SHARED_MAX_BYTES) break;
    remove(key);
  }
  put(url, entry);
}

/** Reads and removes the page's own cache headers. */
export function takePageHints(headers: Headers): Pick<Entry, 'tags' | 'view'> {
  const tags = (headers.get(TAGS_HEADER) ?? '').split(' ').filter(Boolean);
  const [id, until] = (headers.get(VIEW_HEADER) ?? '').split(' ').map(Number);
  headers.delete(TAGS_HEADER);
  headers.delete(VIEW_HEADER);
  return { tags, view: id && until ? { listingId: id, liveUntil: until } : undefined };
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The encoding an entry is sent in for this Accept-Encoding: small or binary bodies go as they are. */
function encodingOf(entry: Entry, acceptEncoding: string | null): Encoding {
  const type = entry.headers.find(([name]) => name === 'content-type')?.[1] ?? '';
  return entry.body.length >= MIN_COMPRESS_BYTES && COMPRESSIBLE.test(type) ? chooseEncoding(acceptEncoding) : 'identity';
}

/**
 * Compresses the entry for this Accept-Encoding, once per encoding, in zlib's thread pool: the event loop is the
 * server's one core, and compressing each rendered page on it took a tenth of its time under the load bench.
 */
export async function encodeFor(entry: Entry, acceptEncoding: string | null): Promise<void> {
  const encoding = encodingOf(entry, acceptEncoding);
  if (encoding === 'identity' || entry.encoded[encoding]) return;
  entry.encoded[encoding] =
    encoding === 'br'
      ? await brotliAsync(entry.body, {
          params: {
            // Quality 5 is most of brotli's gain at a fraction of the default (11)'s time; kept pages pay it once.
            [constants.BROTLI_PARAM_QUALITY]: 5,
            [constants.BROTLI_PARAM_SIZE_HINT]: entry.body.length,
            // A window no larger than the body: the same bytes out, and a third less time setting up and freeing the
            // default 4 MiB window (it was done on the event loop) for a 40 KB page.
            [constants.BROTLI_PARAM_LGWIN]: Math.min(24, Math.max(16, Math.ceil(Math.log2(entry.body.length)))),
          },
        })
      : await gzipAsync(entry.body, { level: 6 });
}

/** A conditional request the kept copy satisfies: If-None-Match when sent, else If-Modified-Since (sitemaps, feeds). */
function unchanged(req: { ifNoneMatch: string | null; ifModifiedSince?: string | null }, etag: string, lastModified: string | undefined): boolean {
  if (req.ifNoneMatch !== null) return !!etag && etagMatches(req.ifNoneMatch, etag);
  if (!req.ifModifiedSince || !lastModified) return false;
  const since = Date.parse(req.ifModifiedSince);
  return !Number.isNaN(since) && Date.parse(lastModified) <= since;
}

/**
 * What to send for an entry: 304 when the client has it, else the body in the best encoding it accepts that
 * encodeFor has made (as it is until then).
 */
export function answer(
  entry: Entry,
  req: { method: string; ifNoneMatch: string | null; ifModifiedSince?: string | null; acceptEncoding: string | null },
  status = 200,
) {
  const headers = new Map(entry.headers);
  if (entry.etag) headers.set('etag', entry.etag);
  if (status === 200 && unchanged(req, entry.etag, headers.get('last-modified'))) return { status: 304, headers, body: null };
  const wanted = encodingOf(entry, req.acceptEncoding);
  const encoded = wanted === 'identity' ? undefined : entry.encoded[wanted];
  const body = encoded ?? entry.body;
  if (encoded) headers.set('content-encoding', wanted);
  headers.set('content-length', String(body.length));
  return { status, headers, body: req.method === 'HEAD' ? null : body };
}

/**
 * Answers kept pages before Astro sees the request: the server's other request listeners run only on a miss.
 * Call once with the node:http server Astro listens on.
 */
export function serveCachedPagesFirst(server: Server): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const entry = req.url ? cachedPage(req.method ?? 'GET', req.url, { cookie: req.headers.cookie, 'user-agent': req.headers['user-agent'] }, Date.now()) : undefined;
    if (!entry) {
      for (const handler of handlers) handler.call(server, req, res);
      return;
    }
    const started = performance.now();
    const acceptEncoding = header(req, 'accept-encoding');
    const reply = () => {
      const a = answer(entry, {
        method: req.method ?? 'GET',
        ifNoneMatch: header(req, 'if-none-match'),
        ifModifiedSince: header(req, 'if-modified-since'),
        acceptEncoding,
      });
      // Astro's middleware never sees this request: log and count it here, as src/lib/middleware/log.ts does there.
      const requestId = requestIdFrom(header(req, 'x-request-id'), config().TRUST_PROXY);
      res.writeHead(a.status, { ...Object.fromEntries(a.headers), 'X-Request-Id': requestId });
      res.end(a.body ?? undefined);
      countPageCache('hit');
      const path = (req.url ?? '/').split('?')[0]!;
      inRequest(requestId, () =>
        recordRequest({ method: req.method ?? 'GET', path, route: entry.route ?? path, status: a.status, ms: performance.now() - started }),
      );
    };
    // A hit is usually already compressed the way this client wants (the render that kept it compressed it).
    encodeFor(entry, acceptEncoding).then(reply, (e: unknown) => {
      res.destroy(e as Error);
    });
  });
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? null);
};
