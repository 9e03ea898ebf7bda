// The cache middleware on its own, with Astro's defineMiddleware stood in by the identity function. What a write
// drops and how cached listing pages count views: tests/integration/page-cache.test.ts.
import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('astro:middleware', () => ({ defineMiddleware: <T>(f: T) => f }));
const { cache, forgetCachedPages } = await import('../../src/lib/middleware/cache.ts');

type Handler = (context: unknown, next: () => Promise<Response>) => Promise<Response>;
const run = cache as unknown as Handler;

const HTML = `<!doctype html><html><body>${'<p>供应钢材</p>'.repeat(200)}</body></html>`;

function call(
  path: string,
  { method = 'GET', headers = {}, render, astroCookies = [] as string[] }: {
    method?: string;
    headers?: Record<string, string>;
    render?: () => Response;
    astroCookies?: string[];
  } = {},
) {
  const url = new URL(`http://localhost${path}`);
  const request = new Request(url, { method, headers });
  const next = vi.fn(async () => (render ? render() : new Response(HTML, { headers: { 'content-type': 'text/html; charset=utf-8' } })));
  const context = { request, url, cookies: { headers: function* () { yield* astroCookies; } } };
  return { response: run(context, next), next };
}

beforeEach(() => forgetCachedPages());

describe('public pages', () => {
  it('are cacheable for a minute, with an ETag and Vary', async () => {
    const res = await call('/region/nanchang').response;
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('vary')).toBe('Cookie, Accept-Encoding');
    expect(res.headers.get('etag')).toMatch(/^W\/"/);
    expect(await res.text()).toBe(HTML);
  });

  it('send the kept bytes whole to every request waiting for one render, and keep them unchanged', async () => {
    // The answers are streamed from the kept copy itself, not from copies of it.
    const burst = [call('/d'), call('/d'), call('/d')];
    const bodies = await Promise.all(burst.map(async ({ response }) => {
      const res = await response;
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(HTML)));
      return res.text();
    }));
    expect(bodies).toEqual([HTML, HTML, HTML]);
    expect(burst.filter(({ next }) => next.mock.calls.length > 0)).toHaveLength(1);
    const later = call('/d');
    expect(await (await later.response).text()).toBe(HTML);
    expect(later.next).not.toHaveBeenCalled();
  });

  it('answer a matching If-None-Match with an empty 304', async () => {
    const etag = (await call('/a').response).headers.get('etag')!;
    forgetCachedPages();
    const res = await call('/a', { headers: { 'if-none-match': etag } }).response;
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBe(etag);
  });

  it('are rendered once for a burst of requests, per URL', async () => {
    const first = call('/b');
    await first.response;
    const second = call('/b');
    expect(await (await second.response).text()).toBe(HTML);
    expect(second.next).not.toHaveBeenCalled();
    const other = call('/b?page=2');
    await other.response;
    expect(other.next).toHaveBeenCalledOnce();
  });

  it('are compressed with gzip or brotli when accepted', async () => {
    const gz = await call('/c', { headers: { 'accept-encoding': 'gzip' } }).response;
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(HTML);
    const br = await call('/c', { headers: { 'accept-encoding': 'gzip, br' } }).response;
    expect(br.headers.get('content-encoding')).toBe('br');
    const plain = await call('/c').response;
    expect(plain.headers.get('content-encoding')).toBeNull();
  });
});

describe('concurrent requests for one page', () => {
  it('wait for the render in progress and are answered from its copy: rendered once', async () => {
    let release = () => {};
    const slow = () => new Promise<Response>((resolve) => (release = () => resolve(new Response(HTML, { headers: { 'content-type': 'text/html' } }))));
    const render = vi.fn(slow);
    const first = call('/slow', { render: render as unknown as () => Response });
    const second = call('/slow', { render: render as unknown as () => Response });
    await new Promise((r) => setImmediate(r));
    expect(render).toHaveBeenCalledOnce();
    release();
    expect(await (await first.response).text()).toBe(HTML);
    expect(await (await second.response).text()).toBe(HTML);
    expect(second.next).not.toHaveBeenCalled();
  });

  it('render themselves when the page in progress is not kept (an error)', async () => {
    let release = () => {};
    const first = call('/missing', { render: (() => new Promise<Response>((resolve) => (release = () => resolve(new Response('gone', { status: 404, headers: { 'content-type': 'text/html' } }))))) as unknown as () => Response });
    const second = call('/missing', { render: () => new Response('gone', { status: 404, headers: { 'content-type': 'text/html' } }) });
    await new Promise((r) => setImmediate(r));
    expect(second.next).not.toHaveBeenCalled();
    release();
    expect((await first.response).status).toBe(404);
    expect((await second.response).status).toBe(404);
    expect(second.next).toHaveBeenCalledOnce();
  });
});

describe('what is never shared', () => {
  it('a request with the session cookie is private, no-store, and neither read from nor written to the cache', async () => {
    await call('/d').response; // a visitor's copy is now cached
    const member = call('/d', { headers: { cookie: 'session=tok' } });
    const res = await member.response;
    expect(member.next).toHaveBeenCalledOnce();
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    forgetCachedPages();
    await call('/e', { headers: { cookie: 'session=tok' } }).response;
    const visitor = call('/e');
    await visitor.response;
    expect(visitor.next).toHaveBeenCalledOnce();
  });

  it('a response setting a cookie, by header or through Astro.cookies, is private and not cached', async () => {
    const byHeader = await call('/f', {
      render: () => new Response(HTML, { headers: { 'content-type': 'text/html', 'set-cookie': 'x=1' } }),
    }).response;
    expect(byHeader.headers.get('cache-control')).toBe('private, no-store');
    const byAstro = await call('/g', { astroCookies: ['session=new; HttpOnly'] }).response;
    expect(byAstro.headers.get('cache-control')).toBe('private, no-store');
    const again = call('/g');
    await again.response;
    expect(again.next).toHaveBeenCalledOnce();
  });

  it('errors, redirects and form posts are not cached', async () => {
    const notFound = await call('/h', { render: () => new Response(HTML, { status: 404, headers: { 'content-type': 'text/html' } }) }).response;
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('cache-control')).toBeNull();
    expect(notFound.headers.get('etag')).toBeNull();
    expect(await notFound.text()).toBe(HTML);
    const post = call('/i', { method: 'POST' });
    expect((await post.response).headers.get('cache-control')).toBeNull();
    const after = call('/i');
    await after.response;
    expect(after.next).toHaveBeenCalledOnce();
    const moved = await call('/j', { render: () => new Response(null, { status: 301, headers: { location: '/k' } }) }).response;
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe('/k');
  });
});

describe('streamed documents that carry their own ETag (sitemaps)', () => {
  const xml = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`<?xml version="1.0"?><urlset>${'<url/>'.repeat(500)}</urlset>`));
          controller.close();
        },
      }),
      {
        headers: { 'content-type': 'application/xml; charset=utf-8', etag: 'W/"listings-0-500-1"' },
      },
    );

  it('pass through with their ETag, gzip-compressed on the fly when accepted', async () => {
    const res = await call('/sitemaps/listings-0.xml', { render: xml, headers: { 'accept-encoding': 'gzip' } }).response;
    expect(res.headers.get('etag')).toBe('W/"listings-0-500-1"');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString()).toContain('<urlset><url/>');
  });

  it('answer 304 when the client has that version, and stream when it has another', async () => {
    const same = await call('/sitemaps/listings-0.xml', { render: xml, headers: { 'if-none-match': 'W/"listings-0-500-1"' } }).response;
    expect(same.status).toBe(304);
    const other = await call('/sitemaps/listings-0.xml', { render: xml, headers: { 'if-none-match': 'W/"listings-0-499-1"' } }).response;
    expect(other.status).toBe(200);
    expect(await other.text()).toContain('</urlset>');
  });
});
