import { describe, expect, it } from 'vitest';
import { chooseEncoding, etagMatches, etagOf, hasSessionCookie } from '../../src/lib/http-cache.ts';
import { alternates, clip } from '../../src/server/seo/meta.ts';
import { robotsTxt } from '../../src/server/seo/robots.ts';
import { categoryPath, companyPath, listingPath, localePath, pagedPath, regionPath, splitLocale } from '../../src/server/urls.ts';

describe('locale paths', () => {
  it('puts English pages under /en and leaves Chinese at the root', () => {
    expect(localePath('en', '/')).toBe('/en');
    expect(localePath('en', '/region/ganzhou?page=2')).toBe('/en/region/ganzhou?page=2');
    expect(localePath('zh-CN', '/region/ganzhou')).toBe('/region/ganzhou');
    expect(localePath(undefined, '/categories')).toBe('/categories');
  });

  it('every path builder takes the locale and keeps its old signature', () => {
    expect(listingPath({ id: 42, slug: 'gang-cai' }, 'en')).toBe('/en/listing/42-gang-cai');
    expect(listingPath({ id: 42, slug: 'gang-cai' })).toBe('/listing/42-gang-cai');
    expect(companyPath({ slug: 'hong-da' }, 'en')).toBe('/en/company/hong-da');
    expect(regionPath({ slug: 'ganzhou' }, { slug: 'rare-earth' }, 'en')).toBe('/en/region/ganzhou/rare-earth');
    expect(regionPath({ slug: 'ganzhou' }, null, 'en')).toBe('/en/region/ganzhou');
    expect(categoryPath({ slug: 'ceramics' }, 'en')).toBe('/en/category/ceramics');
    expect(pagedPath('/en/category/ceramics', 1)).toBe('/en/category/ceramics');
    expect(pagedPath('/en/category/ceramics', 3)).toBe('/en/category/ceramics?page=3');
  });

  it('keeps the console, the API, media, feeds and sitemaps in one language', () => {
    for (const p of ['/admin', '/admin/reports', '/api/v1/listings', '/media/abc-800.webp', '/feed.xml', '/feeds/region/x.xml', '/sitemap.xml', '/sitemaps/listings-0.xml', '/robots.txt']) {
      expect(localePath('en', p), p).toBe(p);
    }
    expect(localePath('en', '/apiary-supplies')).toBe('/en/apiary-supplies');
    // The member area follows the reader: a member who came in through /en stays in English.
    expect(localePath('en', '/dashboard/listings/3/edit')).toBe('/en/dashboard/listings/3/edit');
    expect(localePath('en', '/account/password')).toBe('/en/account/password');
    expect(localePath('en', '//evil.example/x')).toBe('//evil.example/x');
  });

  it('splits a request path into its locale and the page path', () => {
    expect(splitLocale('/en')).toEqual({ locale: 'en', path: '/' });
    expect(splitLocale('/en/listing/1-a')).toEqual({ locale: 'en', path: '/listing/1-a' });
    expect(splitLocale('/listing/1-a')).toEqual({ locale: 'zh-CN', path: '/listing/1-a' });
    expect(splitLocale('/english')).toEqual({ locale: 'zh-CN', path: '/english' });
  });

  it('lists both languages and x-default as absolute alternates', () => {
    expect(alternates('https://example.cn', '/region/ganzhou?page=2')).toEqual([
      { hreflang: 'zh-CN', href: 'https://example.cn/region/ganzhou?page=2' },
      { hreflang: 'en', href: 'https://example.cn/en/region/ganzhou?page=2' },
      { hreflang: 'x-default', href: 'https://example.cn/region/ganzhou?page=2' },
    ]);
    expect(alternates('https://example.cn', '/')[1]).toEqual({ hreflang: 'en', href: 'https://example.cn/en' });
    expect(alternates('https://example.cn', '/admin')).toEqual([]);
  });
});

describe('clip', () => {
  it('keeps short text whole, collapsing whitespace', () => {
    expect(clip('  供应  钢材\n现货 ', 20)).toBe('供应 钢材 现货');
  });

  it('cuts long text to the limit in characters (not bytes), at a clause where one is near, with an ellipsis', () => {
    const text = '本公司长期供应各类钢材，品质稳定，价格优惠，欢迎来电洽谈。'.repeat(10);
    const out = clip(text, 78);
    expect([...out].length).toBeLessThanOrEqual(78);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(/[，。]…$/);
    const english = clip('word '.repeat(60), 50);
    expect(english.length).toBeLessThanOrEqual(50);
    expect(english).toMatch(/word…$/);
  });
});

describe('HTTP caching helpers', () => {
  it('recognises the session cookie among others, not a look-alike or an empty one', () => {
    expect(hasSessionCookie('a=1; session=abc; b=2')).toBe(true);
    expect(hasSessionCookie('session=abc')).toBe(true);
    expect(hasSessionCookie('mysession=abc; session_x=1')).toBe(false);
    expect(hasSessionCookie('session=')).toBe(false);
    expect(hasSessionCookie(null)).toBe(false);
  });

  it('prefers brotli, then gzip, honours q=0', () => {
    expect(chooseEncoding('gzip, deflate, br')).toBe('br');
    expect(chooseEncoding('gzip')).toBe('gzip');
    expect(chooseEncoding('br;q=0, gzip;q=0.8')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('br');
    expect(chooseEncoding('identity')).toBe('identity');
    expect(chooseEncoding(null)).toBe('identity');
  });

  it('compares ETags weakly and in lists', () => {
    const tag = etagOf(Buffer.from('<p>hi</p>'));
    expect(tag).toMatch(/^W\/"[\w-]+"$/);
    expect(etagOf(Buffer.from('<p>hi</p>'))).toBe(tag);
    expect(etagOf(Buffer.from('<p>ho</p>'))).not.toBe(tag);
    expect(etagMatches(tag, tag)).toBe(true);
    expect(etagMatches(`"x", ${tag.slice(2)}`, tag)).toBe(true);
    expect(etagMatches('*', tag)).toBe(true);
    expect(etagMatches('"other"', tag)).toBe(false);
    expect(etagMatches(null, tag)).toBe(false);
  });
});

describe('robots.txt', () => {
  const txt = robotsTxt('https://example.cn');
  const rules = txt.split('\n');

  it('opens the site, closes private pages, the API, auth and filtered search in both languages', () => {
    expect(rules[0]).toBe('User-agent: *');
    expect(rules).toContain('Allow: /');
    for (const p of ['/dashboard', '/account', '/api/', '/login', '/register', '/search?*&']) {
      expect(rules).toContain(`Disallow: ${p}`);
      expect(rules).toContain(`Disallow: /en${p}`);
    }
    expect(rules.filter((r) => r.startsWith('Disallow:')).some((r) => /Disallow: \/(region|category|listing|company)/.test(r))).toBe(false);
  });

  it('points to the sitemap index by absolute URL', () => {
    expect(rules).toContain('Sitemap: https://example.cn/sitemap.xml');
  });
});
