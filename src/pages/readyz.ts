// Readiness: 200 when this instance should get traffic, 503 with the failing checks named otherwise.
import type { APIRoute } from 'astro';
import { config } from '../server/config.ts';
import { getDb } from '../server/db.ts';
import { readiness } from '../server/observability/health.ts';

export const GET: APIRoute = async () => {
  const result = await readiness(getDb(), config());
  return Response.json(result, { status: result.ready ? 200 : 503, headers: { 'cache-control': 'no-store' } });
};
