// Search URLs: one state, one address. (Needs the seeded taxonomy, hence integration.)
import { describe, expect, it } from 'vitest';
import { filtersOf, isPlainQuery, parseSearchState, rawParams, searchQuery } from '../../src/server/search/params.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { freshDb } from '../helpers/db.ts';

const taxonomy = getTaxonomy(freshDb());
const NOW = 1_800_000_000_000;
const parse = (qs: string) => parseSearchState(taxonomy, rawParams(new URLSearchParams(qs)));

describe('search state and its URL', () => {
  it('round-trips every filter through the query string', () => {
    const qs = 'q=钢管&kind=supply&region=nanchang&category=stainless-steel&price_min=10.5&price_max=200&images=1&verified=1&days=7&sort=price_asc&a.grade=304&a.thickness.min=1&a.thickness.max=3&page=2';
    const s = parse(qs);
    expect(s).toMatchObject({ q: '钢管', kind: 'supply', priceMin: 1050, priceMax: 20000, images: true, verified: true, days: 7, sort: 'price_asc', page: 2 });
    expect(parse(searchQuery(s, { page: '2' }).slice(1))).toEqual(s);
  });

  it('accepts ids as well as slugs for places', () => {
    expect(parse('region=360100&category=45').region?.slug).toBe('nanchang');
  });

  it('goes back to page 1 and drops the old attributes when a filter changes', () => {
    const s = parse('q=茶&category=tea&a.type=绿茶&page=3');
    expect(searchQuery(s, { kind: 'demand' })).toBe('?q=%E8%8C%B6&kind=demand&category=tea&a.type=%E7%BB%BF%E8%8C%B6');
    expect(searchQuery(s, { category: 'fruit' })).toBe('?q=%E8%8C%B6&category=fruit');
  });

  it('ignores attribute names the chosen category does not have', () => {
    expect(parse('category=tea&a.nonsense=1&a.type=绿茶').attributes).toEqual({ type: '绿茶' });
  });

  it('knows a plain query (indexable) from a filter combination (noindex)', () => {
    expect(isPlainQuery(parse('q=钢管'))).toBe(true);
    expect(isPlainQuery(parse('q=钢管&page=3'))).toBe(true);
    expect(isPlainQuery(parse('q=钢管&kind=supply'))).toBe(false);
    expect(isPlainQuery(parse('q=钢管&sort=newest'))).toBe(false);
  });

  it('widens a city to its counties and an industry to its subcategories', () => {
    expect(filtersOf(taxonomy, parse('region=nanchang&category=steel&days=7'), NOW)).toEqual({
      cityId: 360100,
      topCategoryId: taxonomy.categories.bySlug.get('steel')!.id,
      publishedAfter: NOW - 7 * 86_400_000,
    });
    expect(filtersOf(taxonomy, parse('region=donghu&category=steel-pipe'), NOW)).toEqual({
      cityId: 360100,
      regionId: 360102,
      topCategoryId: taxonomy.categories.bySlug.get('steel')!.id,
      categoryId: taxonomy.categories.bySlug.get('steel-pipe')!.id,
    });
  });

  it('refuses the province itself as a region filter', () => {
    expect(() => parse('region=jiangxi')).toThrow();
  });
});
