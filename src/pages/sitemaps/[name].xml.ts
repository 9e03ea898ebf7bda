import type { APIRoute } from 'astro';
import { pageTags } from '../../lib/page-cache.ts';
import { streamResponse } from '../../lib/xml-response.ts';
import { load } from '../../lib/route.ts';
import { config } from '../../server/config.ts';
import { getSitemapFile } from '../../server/seo/sitemap.ts';

export const GET: APIRoute = ({ params, request }) => {
  const file = load((db, now) => getSitemapFile(db, config().SITE_URL, params.name, now));
  if (file instanceof Response) return file;
  return streamResponse(request, file.body, { etag: file.etag, lastmod: file.lastmod, maxAge: 600, tags: pageTags.sitemap(params.name) });
};
