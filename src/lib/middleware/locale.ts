// The reader's locale and translator for this request. Chinese pages live at the root; every public page is also
// served in English under /en by rerouting /en/<path> to the page file of /<path> (one page file, two languages),
// so pages added later are bilingual without doing anything.
import { defineMiddleware } from 'astro:middleware';
import { DEFAULT_LOCALE, translator } from '../../server/i18n/index.ts';
import { isBilingualPath, localePath, splitLocale } from '../../server/urls.ts';

export const locale = defineMiddleware(async (context, next) => {
  const { locale, path } = splitLocale(context.url.pathname);
  context.locals.locale = locale;
  context.locals.t = translator(locale);
  context.locals.href = (path) => localePath(locale, path);
  if (locale === DEFAULT_LOCALE) return next();

  const search = context.url.search;
  // One URL per page: /en/ is /en; the API, files and the console have one language and live at the root only.
  if (context.url.pathname.endsWith('/')) return redirect(context.url.pathname.replace(/\/+$/, '') + search, 301);
  if (!isBilingualPath(path)) return redirect(path + search, 302);

  const response = await next(path + search);
  // Redirects the page files answer (a stale listing slug, ?page=1) name root paths: keep the reader in English.
  const location = response.headers.get('location');
  if (location?.startsWith('/') && !location.startsWith('//') && splitLocale(location).locale !== locale) {
    const moved = new Response(response.body, response);
    moved.headers.set('location', localePath(locale, location));
    return moved;
  }
  return response;
});

function redirect(location: string, status: 301 | 302): Response {
  return new Response(null, { status, headers: { Location: location } });
}
