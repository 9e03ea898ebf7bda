// Names and values as people type them: the one resolver behind the posting form, the JSON API and the CSV import.
import { describe, expect, it } from 'vitest';
import { kindValue, parsePriceText, priceTypeValue } from '../../src/server/listings/values.ts';
import { resolveCategory, resolveRegion } from '../../src/server/taxonomy/names.ts';
import { buildTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { referenceTaxonomy } from '../helpers/taxonomy.ts';

const { regions, categories, taxonomy } = referenceTaxonomy();

const regionSlug = (text: string) => {
  const r = resolveRegion(taxonomy, text);
  return 'node' in r ? r.node.slug : r.problem.key;
};
const categorySlug = (text: string) => {
  const r = resolveCategory(taxonomy, text);
  return 'node' in r ? r.node.slug : r.problem.key;
};

describe('region names', () => {
  it('takes an id, a slug, a Chinese name with or without its suffix, and an English name', () => {
    expect(regionSlug('360121')).toBe('nanchang-xian');
    expect(regionSlug('NANCHANG-XIAN')).toBe('nanchang-xian');
    expect(regionSlug('南昌县')).toBe('nanchang-xian');
    expect(regionSlug('南昌市')).toBe('nanchang');
    expect(regionSlug('东湖')).toBe('donghu');
    expect(regionSlug('东湖区')).toBe('donghu');
    expect(regionSlug('Donghu District')).toBe('donghu');
    expect(regionSlug('donghu district')).toBe('donghu');
    expect(regionSlug('Nanchang County')).toBe('nanchang-xian');
    expect(regionSlug('江西省南昌市')).toBe('nanchang');
    expect(regionSlug('南昌市 南昌县')).toBe('nanchang-xian');
  });

  it('reads a bare name shared by a city and its county as the city, and says so', () => {
    const r = resolveRegion(taxonomy, '南昌');
    expect('node' in r && r.node.slug).toBe('nanchang');
    expect('node' in r && r.note).toMatchObject({ key: 'posting.regionChoseCity', params: { value: '南昌' } });
    expect('node' in r && String(r.note?.params.others)).toContain('南昌县');
    expect(regionSlug('吉安')).toBe('jian');
    expect(regionSlug('Nanchang')).toBe('nanchang');
  });

  it('refuses the province, an unknown name, and lists the candidates of another ambiguous name', () => {
    expect(regionSlug('江西')).toBe('posting.regionTooWide');
    expect(regionSlug('360000')).toBe('posting.regionTooWide');
    expect(regionSlug('南昌镇')).toBe('posting.regionUnknown');
    // Two counties of different cities with one bare name: no city among them, so no guess.
    const twin = buildTaxonomy(
      [
        { id: 1, parentId: null, level: 1, slug: 'p', nameZh: '某省', shortZh: '某', nameEn: 'P' },
        { id: 10, parentId: 1, level: 2, slug: 'a', nameZh: '甲市', shortZh: '甲', nameEn: 'A' },
        { id: 20, parentId: 1, level: 2, slug: 'b', nameZh: '乙市', shortZh: '乙', nameEn: 'B' },
        { id: 11, parentId: 10, level: 3, slug: 'x-a', nameZh: '新城区', shortZh: '新城', nameEn: 'Xincheng District' },
        { id: 21, parentId: 20, level: 3, slug: 'x-b', nameZh: '新城县', shortZh: '新城', nameEn: 'Xincheng County' },
      ],
      categories,
    );
    const r = resolveRegion(twin, '新城');
    expect('problem' in r && r.problem.key).toBe('posting.regionAmbiguous');
    expect('problem' in r && String(r.problem.params.candidates)).toMatch(/甲市 新城区 \(x-a\)、乙市 新城县 \(x-b\)/);
    expect('node' in resolveRegion(twin, '新城县') && resolveRegion(twin, '新城县')).toMatchObject({ node: { slug: 'x-b' } });
  });
});

describe('category names', () => {
  it('takes an id, a slug, a Chinese or English name, or industry/subcategory', () => {
    expect(categorySlug('钢管')).toBe('steel-pipe');
    expect(categorySlug('steel pipe')).toBe('steel-pipe');
    expect(categorySlug('Steel-Pipe')).toBe('steel-pipe');
    expect(categorySlug('钢材与金属制品/钢管')).toBe('steel-pipe');
    expect(categorySlug('led照明')).toBe('led-lighting');
  });

  it('refuses an industry with its subcategories listed, and an unknown name', () => {
    const r = resolveCategory(taxonomy, '陶瓷');
    expect('problem' in r && r.problem.key).toBe('posting.categoryIsIndustry');
    expect('problem' in r && String(r.problem.params.candidates)).toContain('日用陶瓷 (daily-ceramics)');
    expect(categorySlug('钢铁侠')).toBe('posting.categoryUnknown');
  });
});

describe('values as typed', () => {
  it('reads the kind in either language', () => {
    expect(kindValue('供应')).toBe('supply');
    expect(kindValue('求购')).toBe('demand');
    expect(kindValue('Demand')).toBe('demand');
    expect(kindValue('卖')).toBe('卖');
    expect(priceTypeValue('区间')).toBe('range');
  });

  it('reads a price string the way people write it', () => {
    expect(parsePriceText('18500元/吨')).toEqual({ priceType: 'single', price: '18500', priceUnit: '吨' });
    expect(parsePriceText('1.2万元/吨')).toEqual({ priceType: 'single', price: '12000', priceUnit: '吨' });
    expect(parsePriceText('0.05万')).toEqual({ priceType: 'single', price: '500' });
    expect(parsePriceText('3800-4200 元/吨')).toEqual({ priceType: 'range', priceMin: '3800', priceMax: '4200', priceUnit: '吨' });
    expect(parsePriceText('3800元～4200元/吨')).toEqual({ priceType: 'range', priceMin: '3800', priceMax: '4200', priceUnit: '吨' });
    expect(parsePriceText('¥18,500.50 每吨')).toEqual({ priceType: 'single', price: '18500.50', priceUnit: '吨' });
    expect(parsePriceText('面议')).toEqual({ priceType: 'negotiable' });
    expect(parsePriceText('很便宜')).toBeNull();
  });
});
