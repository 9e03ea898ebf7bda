// CSRF protection: a state-changing request from another site is refused. Two rules:
// - A request that carries the session cookie must come from our own pages: a same-origin `Origin`, or (browsers that
//   leave Origin off) `Sec-Fetch-Site: same-origin`, whatever its content type. The cookie is what another site would
//   borrow, so the rule must not lean on SameSite or on CORS preflights to stop the rest.
// - Without the cookie, a write that a plain HTML form on another site could send (Astro's own checkOrigin rule) must
//   carry our Origin too, so a sign-in or registration cannot be planted from elsewhere (login CSRF).
// One exception: a JSON API call that authenticates with `Authorization: Bearer`. Those never use the session cookie,
// so another site gains nothing by sending one, and scripts (curl, ERP integrations) send no Origin and often no
// Content-Type.
import { SESSION_COOKIE } from '../server/auth/user.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SIGNED_LINK_PATHS = new Set(['/saved-searches/unsubscribe']);
const FORM_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

function hasSessionCookie(request: Request): boolean {
  const header = request.headers.get('cookie');
  if (!header) return false;
  return header.split(';').some((part) => {
    const [name = '', value = ''] = part.split('=', 2).map((s) => s.trim());
    return name === SESSION_COOKIE && value !== '';
  });
}

function isSameOrigin(request: Request, url: URL): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return origin === url.origin;
  return request.headers.get('sec-fetch-site') === 'same-origin';
}

export function isForbiddenCrossSiteWrite(request: Request, url: URL): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  if (url.pathname.startsWith('/api/') && /^Bearer\s/i.test(request.headers.get('authorization') ?? '')) return false;
  // A mail program's one-click unsubscribe (RFC 8058) POSTs from elsewhere by design; the link's signature is the proof.
  if (SIGNED_LINK_PATHS.has(url.pathname)) return false;
  if (isSameOrigin(request, url)) return false;
  if (hasSessionCookie(request)) return true;
  const contentType = request.headers.get('content-type');
  // Without a content type, or with one a form can send, this could be a form on another site.
  return contentType === null || FORM_CONTENT_TYPES.some((type) => contentType.toLowerCase().includes(type));
}
