import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/server/errors.ts';
import { placeFilter, placeListing } from '../../src/server/listings/placement.ts';
import { buildTaxonomy, type Category, type Region } from '../../src/server/taxonomy/taxonomy.ts';

const region = (id: number, parentId: number | null, level: number, slug: string): Region => ({
  id, parentId, level, slug, nameZh: slug, shortZh: slug, nameEn: slug,
});
const category = (id: number, parentId: number | null, slug: string): Category => ({
  id, parentId, slug, nameZh: slug, nameEn: slug, position: 0, attributes: [],
});
const taxonomy = buildTaxonomy(
  [region(360000, null, 1, 'jiangxi'), region(360700, 360000, 2, 'ganzhou'), region(360781, 360700, 3, 'ruijin')],
  [category(1, null, 'steel'), category(2, 1, 'rebar')],
);
const at = (slug: string) => taxonomy.regions.bySlug.get(slug)!;

describe('placeListing', () => {
  it('adds the city and the industry of a county and a subcategory', () => {
    expect(placeListing(taxonomy, 360781, 2)).toEqual({ regionId: 360781, cityId: 360700, categoryId: 2, topCategoryId: 1 });
  });

  it('places a listing in a city itself and an industry itself', () => {
    expect(placeListing(taxonomy, 360700, 1)).toEqual({ regionId: 360700, cityId: 360700, categoryId: 1, topCategoryId: 1 });
  });

  it('refuses the province as a place, and unknown ids, naming the fields', () => {
    expect(() => placeListing(taxonomy, 360000, 2)).toThrow(InvalidError);
    try {
      placeListing(taxonomy, 999, 999);
    } catch (e) {
      expect((e as InvalidError).fields).toEqual({ regionId: 'invalid.region', categoryId: 'invalid.category' });
    }
  });
});

describe('placeFilter', () => {
  it('reads the narrowest column for each level', () => {
    expect(placeFilter(taxonomy, at('jiangxi'), null)).toEqual({});
    expect(placeFilter(taxonomy, at('ganzhou'), null)).toEqual({ cityId: 360700 });
    expect(placeFilter(taxonomy, at('ruijin'), null)).toEqual({ regionId: 360781 });
    expect(placeFilter(taxonomy, at('ganzhou'), taxonomy.categories.byId.get(1)!)).toEqual({ cityId: 360700, topCategoryId: 1 });
    expect(placeFilter(taxonomy, at('jiangxi'), taxonomy.categories.byId.get(2)!)).toEqual({ categoryId: 2 });
  });
});
