// Pages for signed-in users only: a visitor is sent to sign in and brought back afterwards.
import type { SessionUser } from '../server/auth/user.ts';

export function requireUser(locals: App.Locals, url: URL): SessionUser | Response {
  if (locals.user) return locals.user;
  const next = encodeURIComponent(url.pathname + url.search);
  return new Response(null, { status: 303, headers: { Location: `/login?next=${next}` } });
}

const LOCAL_BASE = 'http://local.invalid';

/**
 * Where to go after signing in: `next` if it is a path on this site, else `fallback`. The one check for every `next=`.
 * The path is normalised first and the result checked again, because a browser reads the normalised form:
 * `/.//evil.example`, `/..//`, `/%2e//` and `/a/..//` all normalise to `//evil.example`, a link to another host.
 * Anything that could leave the site (`//`, `\`, a scheme, control characters, an encoded slash or backslash that
 * decodes to one of those) falls back: never an open redirect.
 */
export function localPath(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || /[\\\p{Cc}]/u.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, LOCAL_BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== LOCAL_BASE) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return fallback;
  }
  // After normalising: a path is `/` then something that is not a second slash or a backslash, in any encoding.
  if (/^\/[\/\\]/.test(decoded) || /[\\\p{Cc}]/u.test(decoded)) return fallback;
  return url.pathname + url.search + url.hash;
}

/**
 * The admin console: anyone but an administrator (a visitor too) gets the plain 404 page, so the console does not
 * admit it exists. The domain functions check the role again from the database (src/server/admin.ts).
 */
export function requireAdmin(locals: App.Locals): SessionUser | Response {
  if (locals.user?.isAdmin) return locals.user;
  return new Response(null, { status: 404 });
}

/** requireAdmin, and the headers every console page sends: private, never cached, never indexed. */
export function adminPage(Astro: { locals: App.Locals; response: { headers: Headers } }): SessionUser | Response {
  const admin = requireAdmin(Astro.locals);
  if (admin instanceof Response) return admin;
  Astro.response.headers.set('Cache-Control', 'private, no-store');
  Astro.response.headers.set('X-Robots-Tag', 'noindex');
  return admin;
}
