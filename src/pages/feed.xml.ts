import type { APIRoute } from 'astro';
import { pageTags } from '../lib/page-cache.ts';
import { xmlResponse } from '../lib/xml-response.ts';
import { load } from '../lib/route.ts';
import { config } from '../server/config.ts';
import { getFeed } from '../server/seo/feed.ts';

export const GET: APIRoute = ({ request, locals }) => {
  const { SITE_URL: siteUrl, SITE_NAME: siteName } = config();
  const feed = load((db, now) => getFeed(db, { siteUrl, siteName, locale: locals.locale, t: locals.t }, now));
  if (feed instanceof Response) return feed;
  return xmlResponse(request, feed.xml, { type: 'application/rss+xml', maxAge: 300, tags: pageTags.list(feed.regionId, feed.categoryId) });
};
