// Who is signed in: sets locals.user for every request (null for visitors), sends the cookie again when the session
// was extended, and removes a cookie whose session is gone. A visitor without the cookie costs no database query.
import type { AstroCookies } from 'astro';
import { defineMiddleware } from 'astro:middleware';
import { sessionCookie, validateSession, type SessionTicket } from '../../server/auth/sessions.ts';
import { SESSION_COOKIE } from '../../server/auth/user.ts';
import { config } from '../../server/config.ts';
import { getDb } from '../../server/db.ts';

/** Sets (a ticket) or removes (null) the session cookie; Secure whenever the site or this request is https. */
export function writeSessionCookie(context: { cookies: AstroCookies; url: URL }, ticket: SessionTicket | null): void {
  const secure = config().SITE_URL.startsWith('https:') || context.url.protocol === 'https:';
  const cookie = sessionCookie(getDb(), ticket, secure);
  context.cookies.set(cookie.name, cookie.value, cookie.options);
}

/** The session token the browser sent, if any. */
export function sessionToken(cookies: AstroCookies): string | undefined {
  return cookies.get(SESSION_COOKIE)?.value || undefined;
}

export const session = defineMiddleware(async (context, next) => {
  context.locals.user = null;
  const token = sessionToken(context.cookies);
  if (token) {
    const valid = await validateSession(getDb(), token);
    if (!valid) writeSessionCookie(context, null);
    else {
      context.locals.user = valid.user;
      if (valid.extended) writeSessionCookie(context, { token, expiresAt: valid.expiresAt });
    }
  }
  const response = await next();
  try {
    // The same URL differs by who asks (the header's account links): caches must key on the cookie, and a page made
    // for a signed-in member must not be stored by shared caches for the next person.
    if (response.headers.get('content-type')?.startsWith('text/html')) response.headers.append('Vary', 'Cookie');
    if (token && !response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'private, no-store');
  } catch {
    // Response.redirect() has immutable headers; a redirect carries no page to cache.
  }
  return response;
});
