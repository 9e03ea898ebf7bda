// The private RSS feed of a saved search (?s=<id>&t=<signature>, linked from the dashboard): never shared or cached.
import type { APIRoute } from 'astro';
import { load } from '../../lib/route.ts';
import { config } from '../../server/config.ts';
import { InvalidError } from '../../server/errors.ts';
import { savedSearchFeed } from '../../server/saved-searches/index.ts';

export const GET: APIRoute = ({ url, locals }) => {
  const input = { s: url.searchParams.get('s') ?? undefined, t: url.searchParams.get('t') ?? undefined };
  const xml = load((db, now) => {
    try {
      return savedSearchFeed(db, input, { siteName: config().SITE_NAME, locale: locals.locale, t: locals.t }, now);
    } catch (e) {
      if (e instanceof InvalidError) return new Response(locals.t('savedSearches.badLink'), { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
      throw e;
    }
  });
  if (xml instanceof Response) return xml;
  return new Response(xml, { headers: { 'Content-Type': 'application/rss+xml; charset=utf-8', 'Cache-Control': 'private, no-store', 'X-Robots-Tag': 'noindex' } });
};
