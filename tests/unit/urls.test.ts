import { describe, expect, it } from 'vitest';
import { MAX_PAGE, pageCount, parsePage } from '../../src/server/pagination.ts';
import { categoryPath, companyPath, listingPath, parseListingParam, regionPath } from '../../src/server/urls.ts';

describe('listing URLs', () => {
  it('round-trips id and slug', () => {
    const path = listingPath({ id: 42, slug: 'gong-ying-luo-wen-gang' });
    expect(path).toBe('/listing/42-gong-ying-luo-wen-gang');
    expect(parseListingParam(path.slice('/listing/'.length))).toEqual({ id: 42, slug: 'gong-ying-luo-wen-gang' });
  });

  it('accepts a bare id and a stale slug (the page redirects those)', () => {
    expect(parseListingParam('42')).toEqual({ id: 42, slug: '' });
    expect(parseListingParam('42-old-title')).toEqual({ id: 42, slug: 'old-title' });
    expect(listingPath({ id: 7, slug: '' })).toBe('/listing/7');
  });

  it.each(['', 'abc', '0', '-1', '01', '1.5', '1e3', '42_x', '42-Upper', '9999999999999999', "1' or 1=1", undefined])(
    'rejects %j',
    (param) => expect(parseListingParam(param)).toBeNull(),
  );
});

describe('other paths', () => {
  it('builds company, region, region x category and category paths', () => {
    expect(companyPath({ slug: 'nan-chang-hong-da' })).toBe('/company/nan-chang-hong-da');
    expect(regionPath({ slug: 'ganzhou' })).toBe('/region/ganzhou');
    expect(regionPath({ slug: 'ganzhou' }, { slug: 'rare-earth' })).toBe('/region/ganzhou/rare-earth');
    expect(regionPath({ slug: 'ganzhou' }, null)).toBe('/region/ganzhou');
    expect(categoryPath({ slug: 'ceramics' })).toBe('/category/ceramics');
  });
});

describe('parsePage', () => {
  it('reads absent as page 1 and plain positive integers as themselves', () => {
    expect(parsePage(null)).toBe(1);
    expect(parsePage('1')).toBe(1);
    expect(parsePage('37')).toBe(37);
  });

  it.each(['', '0', '-2', '01', '2.5', 'abc', '1e2', ' 3', '3 ', '９', '99999999999999999999'])('refuses %j', (raw) => {
    expect(parsePage(raw)).toBeNull();
  });

  it('refuses pages past the cap', () => {
    expect(parsePage(String(MAX_PAGE))).toBe(MAX_PAGE);
    expect(parsePage(String(MAX_PAGE + 1))).toBeNull();
  });

  it('counts pages, at least one and at most the cap', () => {
    expect(pageCount(0)).toBe(1);
    expect(pageCount(20)).toBe(1);
    expect(pageCount(21)).toBe(2);
    expect(pageCount(1_000_000)).toBe(MAX_PAGE);
  });
});
