// The edge between pages and the domain: typed domain errors become HTTP answers here and nowhere else.
import { getDb, type Db } from '../server/db.ts';
import { ForbiddenError, GoneError, NotFoundError, RateLimitedError, UnauthorizedError } from '../server/errors.ts';
import { translator, DEFAULT_LOCALE, type MessageKey, type Params } from '../server/i18n/index.ts';
import type { BodyError, BodyLimits } from './body.ts';
import { parsePage } from '../server/pagination.ts';
import { LISTING_KINDS, type ListingKind } from '../../db/schema.ts';

/**
 * Runs one domain call. A NotFoundError becomes an empty 404, which Astro answers with the 404 page; a GoneError an
 * empty 410, which the page itself dresses. UnauthorizedError, ForbiddenError and RateLimitedError become 401, 403
 * and 429 (with Retry-After) pages saying what happened (Astro dresses only 404 and 500, so these carry their body).
 */
export function load<T>(call: (db: Db, now: number) => T): T | Response {
  try {
    return call(getDb(), Date.now());
  } catch (e) {
    return errorResponse(e);
  }
}

/** load() for a domain call that returns a promise. */
export async function loadAsync<T>(call: (db: Db, now: number) => Promise<T>): Promise<T | Response> {
  try {
    return await call(getDb(), Date.now());
  } catch (e) {
    return errorResponse(e);
  }
}

/** The page answer for a typed domain error; any other error is rethrown (Astro answers 500). */
export function errorResponse(e: unknown): Response {
  if (e instanceof NotFoundError) return new Response(null, { status: 404 });
  if (e instanceof GoneError) return new Response(null, { status: 410 });
  if (e instanceof UnauthorizedError) return messagePage(401, 'account.unauthorizedTitle', 'account.unauthorizedBody', { href: '/login', label: 'header.login' });
  if (e instanceof ForbiddenError) return messagePage(403, 'account.forbiddenTitle', 'account.forbiddenBody');
  if (e instanceof RateLimitedError) {
    const minutes = Math.max(1, Math.ceil(e.retryAfterSeconds / 60));
    return messagePage(429, 'account.rateLimitedTitle', 'account.rateLimited', undefined, { minutes }, { 'Retry-After': String(e.retryAfterSeconds) });
  }
  throw e;
}

/** The page for a body refused at the edge: 413 saying the route's limit, or 400. */
export function bodyErrorResponse(e: BodyError, limits: BodyLimits): Response {
  if (e.status === 400) return messagePage(400, 'security.bodyMalformedTitle', 'security.bodyMalformed');
  const size = limits.maxBytes >= 1024 * 1024 ? `${Math.round(limits.maxBytes / 1024 / 1024)} MB` : `${Math.ceil(limits.maxBytes / 1024)} KB`;
  const { key, params } = limits.tooLarge ?? { key: 'security.bodyTooLarge' as MessageKey, params: { max: size } };
  return messagePage(413, 'security.bodyTooLargeTitle', key, undefined, params);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// A small self-contained page: these answers come from deep inside a page's frontmatter, before its layout renders.
function messagePage(
  status: number,
  title: MessageKey,
  body: MessageKey,
  link?: { href: string; label: MessageKey },
  params?: Params,
  headers: Record<string, string> = {},
): Response {
  const t = translator(DEFAULT_LOCALE);
  const home = { href: '/', label: 'notFound.home' as MessageKey };
  const links = [link, home]
    .filter((l) => l !== undefined)
    .map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(t(l.label))}</a>`)
    .join(' · ');
  const html =
    `<!doctype html><html lang="${DEFAULT_LOCALE}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(t(title))}</title></head>` +
    `<body style="font-family:system-ui,sans-serif;text-align:center;padding:48px 16px">` +
    `<h1>${escapeHtml(t(title))}</h1><p>${escapeHtml(t(body, params))}</p><p>${links}</p></body></html>`;
  return new Response(html, { status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...headers } });
}

/** The client's address (for per-IP limits), as the Node adapter sees it. */
export function clientIp(context: { clientAddress: string }): string {
  try {
    return context.clientAddress || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `?kind=supply|demand` of a browse list (the 供应 / 求购 tabs); absent is both; anything else is no page. */
export function kindParam(url: URL): ListingKind | undefined | Response {
  const raw = url.searchParams.get('kind');
  if (raw === null) return undefined;
  return (LISTING_KINDS as readonly string[]).includes(raw) ? (raw as ListingKind) : new Response(null, { status: 404 });
}

/** `?page=N` of a list; `?page=1` redirects to the bare URL so one page has one address. */
export function pageParam(url: URL): number | Response {
  const raw = url.searchParams.get('page');
  const page = parsePage(raw);
  if (page === null) return new Response(null, { status: 404 });
  if (raw === '1') {
    const bare = new URL(url);
    bare.searchParams.delete('page');
    return new Response(null, { status: 301, headers: { Location: bare.pathname + bare.search } });
  }
  return page;
}
