import { describe, expect, it } from 'vitest';
import { rssXml } from '../../src/server/seo/feed.ts';
import { coalesce, MAX_URLS, parseSitemapName, sitemapIndexXml, urlsetXml } from '../../src/server/seo/sitemap.ts';
import { escapeXml, w3cDate } from '../../src/server/seo/xml.ts';
import { checkXml, xmlTexts } from '../helpers/xml.ts';

const join = (pieces: Iterable<string>) => [...pieces].join('');

describe('urlset writer', () => {
  it('writes a UTF-8 urlset in the sitemaps.org namespace with escaped absolute URLs and W3C dates', () => {
    const xml = join(
      urlsetXml([
        { loc: 'https://example.cn/search?q=钢&region=nanchang', lastmod: Date.UTC(2026, 10, 24, 8, 30) },
        { loc: "https://example.cn/company/o'neil" },
      ]),
    );
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const { errors, root, elements } = checkXml(xml);
    expect(errors).toEqual([]);
    expect(root).toBe('urlset');
    expect(xml).toContain('xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"');
    expect(elements.filter((e) => e === 'url')).toHaveLength(2);
    expect(xml).toContain('q=钢&amp;region=nanchang');
    expect(xml).toContain('o&apos;neil');
    expect(xmlTexts(xml, 'loc')).toEqual(['https://example.cn/search?q=钢&region=nanchang', "https://example.cn/company/o'neil"]);
    expect(xmlTexts(xml, 'lastmod')).toEqual(['2026-11-24T08:30:00Z']);
    expect(Buffer.from(xml, 'utf8').toString('utf8')).toBe(xml);
  });

  it('refuses relative URLs', () => {
    expect(() => join(urlsetXml([{ loc: '/listing/1' }]))).toThrow(/absolute/);
    expect(() => join(urlsetXml([{ loc: 'ftp://example.cn/x' }]))).toThrow(/absolute/);
  });

  it('holds at most 50,000 URLs', () => {
    const many = function* (n: number) {
      for (let i = 1; i <= n; i++) yield { loc: `https://example.cn/listing/${i}` };
    };
    const full = join(urlsetXml(many(MAX_URLS)));
    expect(full.match(/<url>/g)).toHaveLength(50_000);
    expect(Buffer.byteLength(full)).toBeLessThan(50 * 1024 * 1024);
    expect(() => join(urlsetXml(many(MAX_URLS + 1)))).toThrow(/50000/);
  });

  it('streams in pieces of about 64 KB', () => {
    const pieces = [...coalesce(urlsetXml(Array.from({ length: 3000 }, (_, i) => ({ loc: `https://example.cn/listing/${i + 1}` }))))];
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.slice(0, -1).every((p) => p.length >= 64 * 1024)).toBe(true);
    expect(checkXml(pieces.join('')).errors).toEqual([]);
  });
});

describe('sitemap index', () => {
  it('lists sitemaps with their last change', () => {
    const xml = sitemapIndexXml([
      { loc: 'https://example.cn/sitemaps/listings-0.xml', lastmod: Date.UTC(2026, 0, 2) },
      { loc: 'https://example.cn/sitemaps/regions.xml' },
    ]);
    const { errors, root, elements } = checkXml(xml);
    expect(errors).toEqual([]);
    expect(root).toBe('sitemapindex');
    expect(elements.filter((e) => e === 'sitemap')).toHaveLength(2);
    expect(xmlTexts(xml, 'lastmod')).toEqual([w3cDate(Date.UTC(2026, 0, 2))]);
  });

  it('writes W3C dates in UTC to the second, as the Date itself does', () => {
    for (const ms of [Date.UTC(2026, 0, 2), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 8, 5, 9, 1), Date.UTC(1969, 6, 20, 20, 17, 40), 0, -1]) {
      expect(w3cDate(ms)).toBe(new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
    expect(w3cDate(Date.UTC(2026, 5, 1, 7, 8, 9, 500))).toBe('2026-06-01T07:08:09Z');
    expect(w3cDate(Date.UTC(10_000, 0, 1))).toBe('+010000-01-01T00:00:00Z');
  });

  it('knows its file names and nothing else', () => {
    expect(parseSitemapName('listings-0')).toEqual({ type: 'listings', chunk: 0 });
    expect(parseSitemapName('companies-12')).toEqual({ type: 'companies', chunk: 12 });
    expect(parseSitemapName('region-categories')).toEqual({ type: 'region-categories' });
    for (const bad of ['listings', 'listings-01', 'listings--1', 'listings-1.5', 'users-0', '../etc', undefined]) {
      expect(parseSitemapName(bad)).toBeNull();
    }
  });
});

describe('escapeXml', () => {
  it('escapes the five entities and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
    expect(escapeXml('ok\u0000\u0008\u000b\uffffend\t\n')).toBe('okend\t\n');
    expect(escapeXml('钢材 😀')).toBe('钢材 😀');
  });
});

describe('RSS writer', () => {
  it('writes a well-formed RSS 2.0 channel whose text survives anything a poster types', () => {
    const nasty = '</title><script>x</script> & ]]> \u0001 钢材';
    const xml = rssXml({
      title: '南昌市最新供求信息 - 江西供求信息网',
      link: 'https://example.cn/region/nanchang',
      selfUrl: 'https://example.cn/feeds/region/nanchang.xml',
      description: '南昌市最新发布的企业供应与求购信息。',
      language: 'zh-cn',
      items: [
        { title: nasty, url: 'https://example.cn/listing/1-a?x=1&y=2', description: nasty, publishedAt: Date.UTC(2026, 10, 24), categories: ['钢材'], author: 'A & B 公司' },
      ],
    });
    const { errors, root, elements } = checkXml(xml);
    expect(errors).toEqual([]);
    expect(root).toBe('rss');
    expect(elements).toEqual(expect.arrayContaining(['channel', 'item', 'guid', 'pubDate', 'atom:link']));
    expect(xmlTexts(xml, 'title')[1]).toBe('</title><script>x</script> & ]]>  钢材');
    expect(xmlTexts(xml, 'pubDate')).toEqual(['Tue, 24 Nov 2026 00:00:00 GMT']);
    expect(xmlTexts(xml, 'link')[1]).toBe('https://example.cn/listing/1-a?x=1&y=2');
  });
});

describe('the XML checker itself', () => {
  it.each([
    ['<a><b></a></b>', /closes/],
    ['<a>x & y</a>', /entity/],
    ['<a></a><b></b>', /second root/],
    ['<a x="1" x="2"></a>', /duplicate/],
    ['<a>', /unclosed/],
    ['<a>1 < 2</a>', /./],
  ])('rejects %s', (xml, problem) => {
    expect(checkXml(xml).errors.join('\n')).toMatch(problem);
  });
});
