// GET /api/v1/search?q=&kind=&region=&category=&price_min=&price_max=&sort=&page= : one page of live listings,
// with facet counts. Bad parameters are a JSON 400 with a message per field.
import type { APIRoute } from 'astro';
import { getDb } from '../../../server/db.ts';
import { InvalidError } from '../../../server/errors.ts';
import { apiError, searchApi } from '../../../server/search/api.ts';
import { rawParams } from '../../../server/search/params.ts';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' } });

export const GET: APIRoute = async ({ url, locals }) => {
  try {
    return json(await searchApi(getDb(), rawParams(url.searchParams), Date.now(), locals.locale));
  } catch (e) {
    if (e instanceof InvalidError) return json(apiError(e, locals.locale), 400);
    throw e;
  }
};
