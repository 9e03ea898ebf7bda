// XML answers (sitemaps, feeds) with the validators crawlers use: ETag and Last-Modified, and 304 when unchanged.
// Compression is the cache middleware's job.
import { etagMatches, etagOf } from './http-cache.ts';
import { describePage } from './page-cache.ts';

interface Options {
  type?: string;
  etag?: string;
  lastmod?: number | null;
  /** Seconds a crawler or proxy may reuse the answer. */
  maxAge: number;
  /** What the document shows (pageTags): a tagged document is kept in the page cache, and writes drop it as they drop pages. */
  tags?: string[];
}

function validators(o: Options & { etag: string }): Headers {
  const headers = new Headers({
    'content-type': `${o.type ?? 'application/xml'}; charset=utf-8`,
    'cache-control': `public, max-age=${o.maxAge}`,
    etag: o.etag,
    vary: 'Accept-Encoding',
  });
  if (o.lastmod) headers.set('last-modified', new Date(o.lastmod).toUTCString());
  if (o.tags?.length) describePage(headers, o.tags);
  return headers;
}

function unchanged(request: Request, o: { etag: string; lastmod?: number | null }): boolean {
  const inm = request.headers.get('if-none-match');
  if (inm !== null) return etagMatches(inm, o.etag);
  const ims = Date.parse(request.headers.get('if-modified-since') ?? '');
  // HTTP dates have whole seconds; lastmod has milliseconds.
  return !Number.isNaN(ims) && !!o.lastmod && Math.floor(o.lastmod / 1000) * 1000 <= ims;
}

export function xmlResponse(request: Request, xml: string, o: Options): Response {
  const etag = o.etag ?? etagOf(Buffer.from(xml));
  const headers = validators({ ...o, etag });
  if (unchanged(request, { etag, lastmod: o.lastmod })) return new Response(null, { status: 304, headers });
  return new Response(xml, { headers });
}

/** A large document written piece by piece as the client reads it. */
export function streamResponse(request: Request, pieces: () => Iterable<string>, o: Options & { etag: string }): Response {
  const headers = validators(o);
  if (unchanged(request, o)) return new Response(null, { status: 304, headers });
  const encoder = new TextEncoder();
  let it: Iterator<string> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Give the event loop a turn between pieces: the socket gets written while the next piece is read, and other
      // requests are served meanwhile instead of waiting for the whole file (SQLite reads are synchronous).
      await new Promise((resolve) => setImmediate(resolve));
      it ??= pieces()[Symbol.iterator]();
      const next = it.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      it?.return?.();
    },
  });
  return new Response(request.method === 'HEAD' ? null : body, { headers });
}
