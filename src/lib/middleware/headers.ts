// The security headers every response carries, and the charset Astro leaves off HTML.
import { defineMiddleware } from 'astro:middleware';
import { config } from '../../server/config.ts';
import { strictTransportSecurity } from '../hsts.ts';

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};

/**
 * HSTS, decided per request: first in the pipeline, outside the page cache, because one cached page may be served to
 * a visitor on https and to one on http.
 */
export const transportSecurity = defineMiddleware(async (context, next) => {
  const response = await next();
  const { SITE_URL, HSTS_MAX_AGE } = config();
  const hsts = strictTransportSecurity(context.url, SITE_URL, HSTS_MAX_AGE);
  try {
    if (hsts) response.headers.set('Strict-Transport-Security', hsts);
    else response.headers.delete('Strict-Transport-Security');
  } catch {
    // Response.redirect() has immutable headers; a bare redirect is re-asked on the next visit anyway.
  }
  return response;
});

export const headers = defineMiddleware(async (_context, next) => {
  const response = await next();
  // Astro sends bare `text/html`; say the charset so no client guesses wrong about Chinese text.
  if (response.headers.get('content-type') === 'text/html') response.headers.set('content-type', 'text/html; charset=utf-8');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
});
