// HTTP caching and compression for every response:
//  - public HTML pages (GET, 200, no session cookie, no Set-Cookie) get a weak ETag from the body, answer
//    If-None-Match with 304, say `Cache-Control: public, max-age=60` and are kept for a few seconds in the shared
//    page cache (../page-cache.ts), so a burst of crawler or visitor requests for one page renders it once; a write
//    drops only the kept pages it changes (pages say what they show with describePage);
//  - a live listing's page is kept too, but says `public, no-cache` so every view reaches the server: the layer that
//    serves a kept copy counts the view;
//  - sitemaps and feeds that name what they show (xmlResponse's `tags`) are kept the same way, with their own ETag,
//    cache-control and Last-Modified;
//  - anything sent to a signed-in member (a request carrying the session cookie) or setting a cookie is
//    `private, no-store` and never enters the shared cache;
//  - text (HTML, XML, JSON, plain) is compressed with brotli or gzip when the client accepts it.
import type { APIContext, MiddlewareNext } from 'astro';
import { defineMiddleware } from 'astro:middleware';
import { countPageCache } from '../../server/observability/metrics.ts';
import { chooseEncoding, etagMatches, etagOf, hasSessionCookie } from '../http-cache.ts';
import { answer, cachedPage, COMPRESSIBLE, encodeFor, keepPage, takePageHints, type Entry } from '../page-cache.ts';

export { forgetCachedPages } from '../page-cache.ts';

export const PUBLIC_CACHE_CONTROL = 'public, max-age=60';
/** A live listing's page: browsers and proxies revalidate each time (a 304 when unchanged), so every view reaches us. */
const COUNTED_CACHE_CONTROL = 'public, no-cache';
const PRIVATE_CACHE_CONTROL = 'private, no-store';

async function send(entry: Entry, request: Request, status = 200): Promise<Response> {
  await encodeFor(entry, request.headers.get('accept-encoding'));
  const a = answer(entry, {
    method: request.method,
    ifNoneMatch: request.headers.get('if-none-match'),
    ifModifiedSince: request.headers.get('if-modified-since'),
    acceptEncoding: request.headers.get('accept-encoding'),
  }, status);
  return new Response(a.body && streamOf(a.body), { status: a.status, headers: [...a.headers] });
}

/**
 * The kept bytes as a body without a copy: a Response made from bytes copies them, per answer, and a sitemap chunk is
 * megabytes (its requests wait for one render and are all answered here). Nothing downstream writes to a chunk.
 */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

function addVary(headers: Headers, ...names: string[]): void {
  const have = (headers.get('vary') ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  for (const n of names) if (!have.some((h) => h.toLowerCase() === n.toLowerCase())) have.push(n);
  headers.set('vary', have.join(', '));
}

// Renders in progress, by cache key. Requests for a page being rendered wait for that render and are answered from
// the copy it keeps, instead of each rendering it again: when a busy page's copy expires, or a crawler opens several
// connections to one sitemap chunk, the page is rendered once (and held in memory once).
const rendering = new Map<string, Promise<void>>();

export const cache = defineMiddleware(async (context, next) => {
  const { request } = context;
  const signedIn = hasSessionCookie(request.headers.get('cookie'));
  const key = request.method === 'GET' && !signedIn ? context.url.pathname + context.url.search : null;
  if (key === null) return render(context, next, null, signedIn);

  const kept = () => cachedPage(request.method, key, { cookie: request.headers.get('cookie'), 'user-agent': request.headers.get('user-agent') }, Date.now());
  let hit = kept();
  const inProgress = hit ? undefined : rendering.get(key);
  if (inProgress) {
    await inProgress;
    hit = kept();
  }
  countPageCache(hit ? 'hit' : 'miss');
  if (hit) return send(hit, request);
  if (rendering.has(key)) return render(context, next, key, signedIn);
  let finished = () => {};
  rendering.set(key, new Promise<void>((resolve) => (finished = resolve)));
  try {
    return await render(context, next, key, signedIn);
  } finally {
    rendering.delete(key);
    finished();
  }
});

/** Renders the page and keeps it when it is public; `key` is its cache key (null: never kept). */
async function render(context: APIContext, next: MiddlewareNext, key: string | null, signedIn: boolean): Promise<Response> {
  const { request } = context;
  const readOnly = request.method === 'GET' || request.method === 'HEAD';
  const now = Date.now();
  const response = await next();
  const headers = new Headers(response.headers);
  const hints = takePageHints(headers);
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
    headers.set('cache-control', hints.view ? COUNTED_CACHE_CONTROL : PUBLIC_CACHE_CONTROL);
    addVary(headers, 'Cookie', 'Accept-Encoding');
  }

  // A public document that says what it shows (a feed, a sitemap) is kept like a page, under its own validators.
  const keep = publicPage || (readOnly && !signedIn && !setsCookie && response.status === 200 && hints.tags.length > 0);
  // A body someone already versioned and not to be kept (the leads feed), or one that is not text, passes through,
  // compressed on the fly when it is text.
  const buffer = !!response.body && COMPRESSIBLE.test(type) && (keep || !headers.has('etag')) && !headers.has('content-encoding');
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
  const entry: Entry = { at: now, etag: headers.get('etag') ?? etagOf(body), headers: [...headers], body, encoded: {}, ...hints, route: context.routePattern };
  if (response.status !== 200 || !readOnly) {
    // Errors and redirects with a body, and answers to forms: compressed, never versioned.
    headers.delete('etag');
    return send({ ...entry, etag: '' }, request, response.status);
  }
  if (keep && key !== null) keepPage(key, entry);
  return send(entry, request);
}

/** Streams (sitemaps) use the web CompressionStream; brotli there depends on the Node version. */
const STREAM_BROTLI = (() => {
  try {
    new CompressionStream('brotli' as CompressionFormat);
    return true;
  } catch {
    return false;
  }
})();
