// Every public URL of a thing, built in one place so links, canonicals, sitemaps and feeds agree.
// Chinese lives at the root; English is the same path under /en. Every builder takes an optional locale so a page
// rendered for an English reader links to English pages; without one it builds the root (Chinese) path.
import { DEFAULT_LOCALE, type Locale } from './i18n/index.ts';

/** The path prefix of each locale's pages; the default locale has none. */
export const LOCALE_PREFIX: Record<Locale, string> = { 'zh-CN': '', en: '/en' };

/**
 * A site-relative path for a reader of `locale`: `/region/x` becomes `/en/region/x` for English. Paths that are not
 * bilingual (private pages, the API, media, feeds and sitemaps) stay as they are.
 */
export function localePath(locale: Locale | undefined, path: string): string {
  const prefix = LOCALE_PREFIX[locale ?? DEFAULT_LOCALE];
  if (!prefix || !path.startsWith('/') || path.startsWith('//') || !isBilingualPath(path)) return path;
  return path === '/' ? prefix : prefix + path;
}

/**
 * Splits a request path into its locale and the path the page files know: `/en/region/x` -> en, `/region/x`.
 * `/en` alone is the English home page.
 */
export function splitLocale(pathname: string): { locale: Locale; path: string } {
  if (pathname === '/en') return { locale: 'en', path: '/' };
  if (pathname.startsWith('/en/')) return { locale: 'en', path: pathname.slice(3) };
  return { locale: DEFAULT_LOCALE, path: pathname };
}

// Machines, files and the admin console: one language, never under /en. The member area (dashboard, account) is
// bilingual like the public pages: a member who came in through /en stays in English (private pages are noindex).
const NOT_BILINGUAL = /^\/(?:api|admin|media|_astro|_image|sitemaps?|feeds?|robots\.txt|favicon)(?:[/.?-]|$)/;

export function isBilingualPath(path: string): boolean {
  return !NOT_BILINGUAL.test(path);
}

export function listingPath(listing: { id: number; slug: string }, locale?: Locale): string {
  return localePath(locale, listing.slug ? `/listing/${listing.id}-${listing.slug}` : `/listing/${listing.id}`);
}

/** A row id as it comes in a path or a form (digits, no leading zero, at most 15 of them); anything else: null. */
export function parseId(raw: string | null | undefined): number | null {
  return raw && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : null;
}

/** `/listing/<id>-<slug>`: the id decides; the slug is only for people and may be stale or missing. */
export function parseListingParam(param: string | undefined): { id: number; slug: string } | null {
  const m = /^([1-9]\d{0,14})(?:-([a-z0-9-]*))?$/.exec(param ?? '');
  return m ? { id: Number(m[1]), slug: m[2] ?? '' } : null;
}

export function companyPath(company: { slug: string }, locale?: Locale): string {
  return localePath(locale, `/company/${company.slug}`);
}

export function regionPath(region: { slug: string }, category?: { slug: string } | null, locale?: Locale): string {
  return localePath(locale, category ? `/region/${region.slug}/${category.slug}` : `/region/${region.slug}`);
}

export function categoryPath(category: { slug: string }, locale?: Locale): string {
  return localePath(locale, `/category/${category.slug}`);
}

/** `?page=N` on a list path; page 1 is the bare path, so each page has exactly one URL. */
export function pagedPath(path: string, page: number): string {
  return page > 1 ? `${path}?page=${page}` : path;
}

/** An absolute URL on this site, for canonicals, sitemaps, feeds and structured data. */
export function absoluteUrl(siteUrl: string, path: string): string {
  return siteUrl.replace(/\/+$/, '') + path;
}
