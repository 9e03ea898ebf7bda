// CSRF protection: a state-changing request from another site is refused. The rule is Astro's own checkOrigin
// (a write that a plain HTML form on another site could send must carry our Origin), with one exception: a JSON
// API call that authenticates with `Authorization: Bearer`. Those never use the session cookie, so another site
// gains nothing by sending one, and scripts (curl, ERP integrations) send no Origin and often no Content-Type.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export function isForbiddenCrossSiteWrite(request: Request, url: URL): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  if (url.pathname.startsWith('/api/') && /^Bearer\s/i.test(request.headers.get('authorization') ?? '')) return false;
  if (request.headers.get('origin') === url.origin) return false;
  const contentType = request.headers.get('content-type');
  // Without a content type, or with one a form can send, this could be a form on another site.
  return contentType === null || FORM_CONTENT_TYPES.some((type) => contentType.toLowerCase().includes(type));
}
