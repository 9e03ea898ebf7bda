// GET /api/v1/suggest?q= : categories, listing titles and companies for what has been typed so far; `lang=en` (the
// header search of English pages) names categories in English and links to the English pages.
import type { APIRoute } from 'astro';
import { getDb } from '../../../server/db.ts';
import { suggestApi } from '../../../server/search/api.ts';

export const GET: APIRoute = ({ url, locals }) =>
  new Response(JSON.stringify(suggestApi(getDb(), url.searchParams.get('q'), url.searchParams.get('lang') === 'en' ? 'en' : locals.locale)), {
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=60' },
  });
