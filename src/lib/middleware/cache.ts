// HTTP caching and compression for every response:
//  - public HTML pages (GET, 200, no session cookie, no Set-Cookie) get a weak ETag from the body, answer
//    If-None-Match with 304, say `Cache-Control: public, max-age=60` and are kept for a few seconds in a small
//    in-process cache, so a burst of crawler or visitor requests for one page renders it once;
//  - anything sent to a signed-in member (a request carrying the session cookie) or setting a cookie is
//    `private, no-store` and never enters the shared cache;
//  - text (HTML, XML, JSON, plain) is compressed with brotli or gzip when the client accepts it.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineMiddleware } from 'astro:middleware';
import { countPageCache } from '../../server/observability/metrics.ts';
import { onSearchUpdateQueued } from '../../server/search/outbox.ts';
import { chooseEncoding, etagMatches, etagOf, hasSessionCookie, type Encoding } from '../http-cache.ts';

export const PUBLIC_CACHE_CONTROL = 'public, max-age=60';
const PRIVATE_CACHE_CONTROL = 'private, no-store';
/** How long the shared cache keeps a rendered page: short enough that lists show a new listing within a minute. */
const SHARED_TTL_MS = 10_000;
const SHARED_MAX_ENTRIES = 500;
const MIN_COMPRESS_BYTES = 1024;

interface Entry {
  at: number;
  etag: string;
  headers: [string, string][];
  body: Buffer;
  encoded: Partial<Record<Encoding, Buffer>>;
}

const shared = new Map<string, Entry>();

/** Drops every page of the shared cache (tests, and writers that want their change visible at once). */
export function forgetCachedPages(): void {
  shared.clear();
}

// Every write of a listing queues it for search, in the writer's transaction: the same moment is when cached lists
// may have gone stale, so a member who posts a listing sees it on its region page at once.
onSearchUpdateQueued(forgetCachedPages);

const COMPRESSIBLE = /^(?:text\/|application\/(?:json|xml|rss\+xml|atom\+xml|ld\+json|javascript)|image\/svg\+xml)/;

function encode(body: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'br') {
    // Quality 5 is most of brotli's gain at a fraction of the default (11)'s time; cached pages pay it once.
    return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  }
  return encoding === 'gzip' ? gzipSync(body, { level: 6 }) : body;
}

function encoded(entry: Entry, encoding: Encoding): Buffer {
  return (entry.encoded[encoding] ??= encode(entry.body, encoding));
}

function send(entry: Entry, request: Request, status = 200): Response {
  const headers = new Headers(entry.headers);
  if (entry.etag) {
    headers.set('etag', entry.etag);
    if (etagMatches(request.headers.get('if-none-match'), entry.etag)) return new Response(null, { status: 304, headers });
  }
  const compressible = entry.body.length >= MIN_COMPRESS_BYTES && COMPRESSIBLE.test(headers.get('content-type') ?? '');
  const encoding = compressible ? chooseEncoding(request.headers.get('accept-encoding')) : 'identity';
  const body = encoded(entry, encoding);
  if (encoding !== 'identity') headers.set('content-encoding', encoding);
  headers.set('content-length', String(body.length));
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status, headers });
}

function addVary(headers: Headers, ...names: string[]): void {
  const have = (headers.get('vary') ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  for (const n of names) if (!have.some((h) => h.toLowerCase() === n.toLowerCase())) have.push(n);
  headers.set('vary', have.join(', '));
}

export const cache = defineMiddleware(async (context, next) => {
  const { request } = context;
  const signedIn = hasSessionCookie(request.headers.get('cookie'));
  const readOnly = request.method === 'GET' || request.method === 'HEAD';
  const key = request.method === 'GET' && !signedIn ? context.url.pathname + context.url.search : null;
  const now = Date.now();

  if (key !== null) {
    const hit = shared.get(key);
    countPageCache(hit && now - hit.at < SHARED_TTL_MS && now >= hit.at ? 'hit' : 'miss');
    if (hit && now - hit.at < SHARED_TTL_MS && now >= hit.at) return send(hit, request);
    if (hit) shared.delete(key);
  }

  const response = await next();
  const headers = new Headers(response.headers);
  const type = headers.get('content-type') ?? '';
  // Cookies set through Astro.cookies join the response only after the middleware chain, so ask the cookie jar too.
  const setsCookie = headers.has('set-cookie') || !context.cookies.headers().next().done;

  if (signedIn || setsCookie) {
    headers.set('cache-control', PRIVATE_CACHE_CONTROL);
    addVary(headers, 'Cookie');
  }

  const publicPage =
    readOnly && !signedIn && !setsCookie && response.status === 200 && type.startsWith('text/html') && !headers.has('cache-control');
  if (publicPage) {
    headers.set('cache-control', PUBLIC_CACHE_CONTROL);
    addVary(headers, 'Cookie', 'Accept-Encoding');
  }

  // A body someone already versioned (sitemaps stream with their own ETag) or one that is not text passes through,
  // compressed on the fly when it is text.
  const buffer = !!response.body && COMPRESSIBLE.test(type) && !headers.has('etag') && !headers.has('content-encoding');
  if (!buffer) {
    const etag = headers.get('etag');
    if (etag && response.status === 200 && etagMatches(request.headers.get('if-none-match'), etag)) {
      await response.body?.cancel();
      return new Response(null, { status: 304, headers });
    }
    const accepted = chooseEncoding(request.headers.get('accept-encoding'));
    if (response.body && COMPRESSIBLE.test(type) && !headers.has('content-encoding') && accepted !== 'identity') {
      const encoding = accepted === 'br' && STREAM_BROTLI ? 'br' : 'gzip';
      headers.delete('content-length');
      headers.set('content-encoding', encoding);
      addVary(headers, 'Accept-Encoding');
      const stream = new CompressionStream(encoding === 'br' ? ('brotli' as CompressionFormat) : 'gzip');
      return new Response(response.body.pipeThrough(stream as unknown as TransformStream<Uint8Array, Uint8Array>), { status: response.status, headers });
    }
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }

  const body = Buffer.from(await response.arrayBuffer());
  headers.delete('content-length');
  if (COMPRESSIBLE.test(type)) addVary(headers, 'Accept-Encoding');
  const entry: Entry = { at: now, etag: etagOf(body), headers: [...headers], body, encoded: {} };
  if (response.status !== 200 || !readOnly) {
    // Errors and redirects with a body, and answers to forms: compressed, never versioned.
    headers.delete('etag');
    return send({ ...entry, etag: '' }, request, response.status);
  }
  if (publicPage && key !== null) {
    if (shared.size >= SHARED_MAX_ENTRIES) shared.delete(shared.keys().next().value!);
    shared.set(key, entry);
  }
  return send(entry, request);
});

/** Streams (sitemaps) use the web CompressionStream; brotli there depends on the Node version. */
const STREAM_BROTLI = (() => {
  try {
    new CompressionStream('brotli' as CompressionFormat);
    return true;
  } catch {
    return false;
  }
})();
