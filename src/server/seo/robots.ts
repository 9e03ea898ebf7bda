// robots.txt: public pages are open; private pages, the API, auth forms and search with filters (endless
// combinations of the same listings) are not. Both languages: the English pages live under /en.
const PRIVATE = ['/dashboard', '/account', '/admin', '/api/', '/login', '/register', '/logout', '/password'];
// `/search?q=...` alone is fine; any second parameter (a filter, a sort, a page of a filtered search) is not.
const FILTERED_SEARCH = ['/search?*&', '/search?*%26'];

export function robotsTxt(siteUrl: string): string {
  const paths = [...PRIVATE, ...FILTERED_SEARCH];
  const lines = ['User-agent: *', 'Allow: /', ...paths.flatMap((p) => [`Disallow: ${p}`, `Disallow: /en${p}`]), '', `Sitemap: ${siteUrl}/sitemap.xml`, ''];
  return lines.join('\n');
}
