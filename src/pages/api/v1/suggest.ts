// GET /api/v1/suggest?q= : categories, listing titles and companies for what has been typed so far.
import type { APIRoute } from 'astro';
import { getDb } from '../../../server/db.ts';
import { suggestApi } from '../../../server/search/api.ts';

export const GET: APIRoute = ({ url, locals }) =>
  new Response(JSON.stringify(suggestApi(getDb(), url.searchParams.get('q'), locals.locale)), {
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=60' },
  });
