import type { APIRoute } from 'astro';
import { pageTags } from '../lib/page-cache.ts';
import { xmlResponse } from '../lib/xml-response.ts';
import { load } from '../lib/route.ts';
import { config } from '../server/config.ts';
import { getSitemapIndex } from '../server/seo/sitemap.ts';

export const GET: APIRoute = ({ request }) => {
  const index = load((db, now) => getSitemapIndex(db, config().SITE_URL, now));
  if (index instanceof Response) return index;
  return xmlResponse(request, index.xml, { lastmod: index.lastmod, maxAge: 600, tags: pageTags.counts() });
};
