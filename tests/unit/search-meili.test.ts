import { describe, expect, it } from 'vitest';
import { buildDictionary } from '../../src/server/search/dictionary.ts';
import type { SearchDocument } from '../../src/server/search/documents.ts';
import { documentKey } from '../../src/server/search/fts.ts';
import { buildFilter, buildQueries, desiredSettings, MEILI_MAX_TOTAL_HITS, quote, settingsDiff, sortFor, toMeiliDocument } from '../../src/server/search/meili.ts';
import { parseQuery } from '../../src/server/search/text.ts';
import type { EngineRequest } from '../../src/server/search/types.ts';

const dict = buildDictionary({ synonyms: [['SUS304', '304不锈钢']], words: ['热镀锌钢管'] });
const NOW = 1_800_000_000_000;

describe('filter values', () => {
  it('quotes strings and escapes quotes and backslashes', () => {
    expect(quote('一级')).toBe('"一级"');
    expect(quote('a" OR kind = "demand')).toBe('"a\\" OR kind = \\"demand"');
    expect(quote('back\\slash')).toBe('"back\\\\slash"');
  });

  it('builds every filter, a city covering its counties by cityId', () => {
    expect(
      buildFilter(
        {
          kind: 'supply',
          cityId: 360100,
          topCategoryId: 5,
          priceMin: 100,
          priceMax: 500,
          hasImages: true,
          verified: true,
          publishedAfter: NOW - 7 * 86_400_000,
          attributes: { grade: '一级' },
          attributeRanges: { thickness: { min: 1.5, max: 3 } },
        },
        NOW,
      ),
    ).toEqual([
      `expiresAt > ${NOW}`,
      'kind = "supply"',
      'cityId = 360100',
      'topCategoryId = 5',
      'priceHigh >= 100',
      'priceLow <= 500',
      'hasImages = true',
      'verified = true',
      `publishedAt >= ${NOW - 7 * 86_400_000}`,
      'attrs.grade = "一级"',
      'attrs.thickness >= 1.5',
      'attrs.thickness <= 3',
    ]);
  });

  it('leaves out the facet group being counted', () => {
    const f = buildFilter({ kind: 'demand', regionId: 360102, categoryId: 9 }, NOW, 'region');
    expect(f).toContain('kind = "demand"');
    expect(f.some((x) => x.startsWith('regionId'))).toBe(false);
  });

  it('refuses attribute keys that could inject a field path', () => {
    expect(() => buildFilter({ attributes: { 'grade = 1 OR kind': 'x' } }, NOW)).toThrow();
    expect(() => buildFilter({ attributeRanges: { x: { min: Number.NaN } } }, NOW)).toThrow();
  });
});

describe('settings', () => {
  it('treats Chinese as Chinese and carries the dictionary', () => {
    const s = desiredSettings(dict);
    expect(s.localizedAttributes).toEqual([{ attributePatterns: expect.arrayContaining(['title', 'description']), locales: ['cmn'] }]);
    expect(s.synonyms).toEqual({ sus304: ['304不锈钢'], '304不锈钢': ['sus304'] });
    // Synonyms are words too: Meilisearch keeps each whole when it segments.
    expect(s.dictionary).toEqual(['304不锈钢', 'sus304', '热镀锌钢管']);
    expect(s.sortableAttributes).toEqual(expect.arrayContaining(['publishedAt', 'priceLow', 'priceHigh']));
    expect(s.filterableAttributes).toEqual(expect.arrayContaining(['kind', 'cityId', 'regionId', 'attrs', 'expiresAt']));
  });

  it('sends nothing when the index already has them, in any list order', () => {
    const want = desiredSettings(dict);
    const have = {
      ...want,
      filterableAttributes: [...(want.filterableAttributes as string[])].reverse(),
      synonyms: { '304不锈钢': ['sus304'], sus304: ['304不锈钢'] },
      typoTolerance: { ...want.typoTolerance, disableOnAttributes: [], disableOnWords: [] },
      pagination: { maxTotalHits: MEILI_MAX_TOTAL_HITS },
      faceting: { maxValuesPerFacet: 200, sortFacetValuesBy: { '*': 'alpha' as const } },
      stopWords: [],
    };
    expect(settingsDiff(have, want)).toEqual({});
  });

  it('sends only what differs', () => {
    const want = desiredSettings(dict);
    const diff = settingsDiff({ ...want, rankingRules: ['words'], localizedAttributes: null }, want);
    expect(Object.keys(diff).sort()).toEqual(['localizedAttributes', 'rankingRules']);
  });
});

const doc: SearchDocument = {
  id: 7,
  kind: 'supply',
  title: '304不锈钢管',
  description: '现货',
  categoryNames: ['钢管', 'Steel Pipe'],
  attributes: { material: '304', od: 32 },
  attributeNames: ['Material', 'Outer Diameter'],
  companyId: 3,
  companyName: '南昌钢管厂',
  verified: true,
  hasImages: false,
  regionId: 360102,
  cityId: 360100,
  categoryId: 48,
  topCategoryId: 45,
  priceMin: 1000,
  priceMax: 1200,
  publishedAt: NOW - 1000,
  expiresAt: NOW + 1000,
};

describe('documents', () => {
  it('maps a listing with its price bounds', () => {
    const m = toMeiliDocument(doc);
    expect(m).toMatchObject({ id: 7, priceLow: 1000, priceHigh: 1200, attrs: { material: '304', od: 32 }, attributeValues: ['304', '32'] });
  });

  it('leaves negotiable listings without a price, so they sort last both ways', () => {
    const m = toMeiliDocument({ ...doc, priceMin: null, priceMax: null });
    expect('priceLow' in m || 'priceHigh' in m).toBe(false);
    expect(sortFor('price_asc', true)![0]).toBe('priceLow:asc');
    expect(sortFor('price_desc', true)![0]).toBe('priceHigh:desc');
    expect(sortFor('relevance', true)).toBeUndefined();
    expect(sortFor('relevance', false)).toEqual(['freshness:desc']);
  });

  it('orders by the same freshness key as FTS5 (minute published, then id)', () => {
    expect(toMeiliDocument(doc).freshness).toBe(documentKey(doc));
    expect(toMeiliDocument({ ...doc, id: 8 }).freshness).toBeGreaterThan(toMeiliDocument(doc).freshness);
  });
});

describe('ranking', () => {
  it('ranks where the words matched (title first) before freshness, and freshness before nothing', () => {
    const rules = desiredSettings(dict).rankingRules!;
    expect(rules.indexOf('attribute')).toBeLessThan(rules.indexOf('freshness:desc'));
    expect(rules.at(-1)).toBe('freshness:desc');
    expect(desiredSettings(dict).searchableAttributes![0]).toBe('title');
    expect(desiredSettings(dict).searchableAttributes!.at(-1)).toBe('description');
  });
});

describe('multi-search', () => {
  it('asks one facet-only query per facet group that has its own filter', () => {
    const req: EngineRequest = {
      query: parseQuery('钢管', dict),
      text: '钢管',
      filters: { kind: 'supply', cityId: 360100 },
      sort: 'relevance',
      page: 2,
      pageSize: 20,
      facetAttributes: [{ key: 'material', zh: '材质', en: 'Material', type: 'choice', options: ['304'] }],
      now: NOW,
    };
    const { queries, groups } = buildQueries('listings', req);
    expect(groups).toEqual([null, 'kind', 'region']);
    expect(queries[0]).toMatchObject({ q: '钢管', page: 2, hitsPerPage: 20, locales: ['cmn'], facets: ['topCategoryId', 'categoryId', 'attrs.material'] });
    expect(queries[1]!.facets).toEqual(['kind']);
    expect(queries[1]!.filter).not.toContain('kind = "supply"');
    expect(queries[2]!.filter).toContain('kind = "supply"');
  });
});
