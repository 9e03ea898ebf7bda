// Liveness: the process answers. Nothing else is checked, so a slow database never gets a healthy process restarted.
import type { APIRoute } from 'astro';

export const GET: APIRoute = () => Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
