import type { APIRoute } from 'astro';
import { config } from '../server/config.ts';
import { robotsTxt } from '../server/seo/robots.ts';

export const GET: APIRoute = () =>
  new Response(robotsTxt(config().SITE_URL), {
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=3600' },
  });
