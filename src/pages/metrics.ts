// Prometheus metrics: not there at all unless METRICS_TOKEN is set, and then only for `Authorization: Bearer <it>`.
import type { APIRoute } from 'astro';
import { bearer } from '../lib/api.ts';
import { config } from '../server/config.ts';
import { getDb } from '../server/db.ts';
import { metricsText } from '../server/observability/metrics.ts';
import { sameSecret } from '../server/tokens.ts';

export const GET: APIRoute = async ({ request }) => {
  const cfg = config();
  if (!cfg.METRICS_TOKEN) return new Response('Not found\n', { status: 404, headers: { 'cache-control': 'no-store' } });
  let presented = '';
  try {
    presented = bearer(request);
  } catch {
    // missing or malformed: refused below like a wrong token
  }
  if (!sameSecret(presented, cfg.METRICS_TOKEN)) {
    return new Response('A bearer token is required.\n', { status: 401, headers: { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' } });
  }
  const { contentType, body } = await metricsText(getDb(), cfg.dbFile);
  return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
};
