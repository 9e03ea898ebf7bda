import type { APIRoute } from 'astro';
import { xmlResponse } from '../../lib/xml-response.ts';
import { load } from '../../lib/route.ts';
import { config } from '../../server/config.ts';
import { leadBoardFeed } from '../../server/leads/board.ts';

export const GET: APIRoute = ({ url, request, locals }) => {
  const { SITE_URL: siteUrl, SITE_NAME: siteName } = config();
  const input = { region: url.searchParams.get('region'), category: url.searchParams.get('category') };
  const xml = load((db, now) => leadBoardFeed(db, input, { siteUrl, siteName, locale: locals.locale, t: locals.t }, now));
  if (xml instanceof Response) return xml;
  return xmlResponse(request, xml, { type: 'application/rss+xml', maxAge: 300 });
};
