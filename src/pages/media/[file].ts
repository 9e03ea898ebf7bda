// A stored image rendition, /media/<hash>-<width>.webp. Names are content hashes, so a file never changes: browsers
// and proxies may keep it for a year.
import type { APIRoute } from 'astro';
import { config } from '../../server/config.ts';
import { readRendition } from '../../server/media/serve.ts';

export const GET: APIRoute = async ({ params, request }) => {
  const rendition = await readRendition(config().dataDir, params.file ?? '');
  if (!rendition) return new Response(null, { status: 404 });
  const headers = {
    'Content-Type': 'image/webp',
    'Cache-Control': 'public, max-age=31536000, immutable',
    ETag: rendition.etag,
    'X-Content-Type-Options': 'nosniff',
  };
  const known = request.headers.get('if-none-match');
  if (known && known.split(',').some((tag) => tag.trim().replace(/^W\//, '') === rendition.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(rendition.bytes, { headers: { ...headers, 'Content-Length': String(rendition.bytes.length) } });
};

/** The same headers without the body, for caches and crawlers checking an image. */
export const HEAD: APIRoute = async (context) => {
  const res = await (GET(context) as Promise<Response>);
  return new Response(null, { status: res.status, headers: res.headers });
};
