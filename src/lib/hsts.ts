// Strict-Transport-Security, decided per request. Used by the headers middleware for pages Astro renders, and by
// scripts/start.ts for every answer of the node:http server, page-cache hits included (the cache in front of Astro
// replays a page stored for one visitor to the next, who may have come over https when the first did not).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * The header for an https answer: the request came over https (TLS here, or X-Forwarded-Proto from a trusted proxy,
 * which Astro folds into the URL), or the site says its public origin is https. Never over plain http to a site that
 * is http: that would lock its visitors out.
 */
export function strictTransportSecurity(url: URL, siteUrl: string, maxAgeSeconds: number): string | null {
  if (maxAgeSeconds <= 0) return null;
  if (url.protocol !== 'https:' && !siteUrl.startsWith('https:')) return null;
  return `max-age=${maxAgeSeconds}`;
}

/** Sets HSTS on every https answer of the server before anything else writes it. */
export function sendHstsOverHttps(server: Server, cfg: { SITE_URL: string; HSTS_MAX_AGE: number; TRUST_PROXY: boolean }): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const tls = 'encrypted' in req.socket && Boolean(req.socket.encrypted);
    const forwarded = cfg.TRUST_PROXY && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() === 'https';
    const hsts = strictTransportSecurity(new URL(tls || forwarded ? 'https://site/' : 'http://site/'), cfg.SITE_URL, cfg.HSTS_MAX_AGE);
    if (hsts) res.setHeader('Strict-Transport-Security', hsts);
  });
}
