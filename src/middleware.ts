// Every request: the reader's locale and translator, and the security headers every response carries.
import { defineMiddleware } from 'astro:middleware';
import { DEFAULT_LOCALE, translator } from './server/i18n/index.ts';

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};

export const onRequest = defineMiddleware(async (context, next) => {
  context.locals.locale = DEFAULT_LOCALE;
  context.locals.t = translator(DEFAULT_LOCALE);
  const response = await next();
  // Astro sends bare `text/html`; say the charset so no client guesses wrong about Chinese text.
  if (response.headers.get('content-type') === 'text/html') response.headers.set('content-type', 'text/html; charset=utf-8');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
});
