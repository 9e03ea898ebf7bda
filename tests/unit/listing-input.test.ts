import { describe, expect, it } from 'vitest';
import { fenToYuan } from '../../src/server/listings/form.ts';
import { checkAttributes, listingInputSchema, priceTypeOf, yuanToFen } from '../../src/server/listings/input.ts';
import { isBot } from '../../src/server/listings/views.ts';
import type { CategoryAttribute } from '../../db/schema.ts';

describe('money', () => {
  it('turns typed yuan into exact fen and back', () => {
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('12.05')).toBe(1205);
    expect(yuanToFen('19.99')).toBe(1999);
    expect(yuanToFen('100000000')).toBe(10_000_000_000);
    expect([385, 1200, 1205, 10].map(fenToYuan)).toEqual(['3.85', '12', '12.05', '0.10']);
  });

  it('reads the price type of stored values', () => {
    expect(priceTypeOf({ priceMin: 100, priceMax: 100, negotiable: false })).toBe('single');
    expect(priceTypeOf({ priceMin: 100, priceMax: 200, negotiable: false })).toBe('range');
    expect(priceTypeOf({ priceMin: null, priceMax: null, negotiable: true })).toBe('negotiable');
  });
});

describe('listingInputSchema', () => {
  it('coerces form strings, drops blanks and strips the 元/ of a unit', () => {
    expect(
      listingInputSchema.parse({ price: ' 3.5 ', quantity: '12', moq: '', validityDays: '90', priceUnit: '元/吨', title: ' 供应\t大米  一批 ' }),
    ).toEqual({ price: 350, quantity: 12, validityDays: 90, priceUnit: '吨', title: '供应 大米 一批' });
  });

  it('takes JSON numbers as well', () => {
    expect(listingInputSchema.parse({ price: 0.1, priceMin: 19.99, quantity: 3, validityDays: 7 })).toEqual({ price: 10, priceMin: 1999, quantity: 3, validityDays: 7 });
  });

  it('uses message keys for every field', () => {
    const r = listingInputSchema.safeParse({ kind: 'x', price: '1.234', quantity: '-1', validityDays: 14, title: 'ab' });
    expect(r.success).toBe(false);
    expect(Object.fromEntries(r.error!.issues.map((i) => [i.path.join('.'), i.message]))).toEqual({
      kind: 'posting.kindInvalid',
      price: 'posting.priceInvalid',
      quantity: 'posting.quantityInvalid',
      validityDays: 'posting.validityInvalid',
      title: 'posting.titleTooShort',
    });
  });
});

describe('checkAttributes', () => {
  const defs: CategoryAttribute[] = [
    { key: 'grade', zh: '等级', en: 'Grade', type: 'choice', options: ['一级', '二级'] },
    { key: 'purity', zh: '纯度', en: 'Purity', type: 'number', unit: '%' },
    { key: 'origin', zh: '产地', en: 'Origin', type: 'text' },
  ];

  it('keeps valid values, numbers as numbers, and skips blanks', () => {
    const fields = {};
    expect(checkAttributes(defs, { grade: '一级', purity: '99.5', origin: ' 赣州 ', other: undefined as never }, fields)).toEqual({
      grade: '一级',
      purity: 99.5,
      origin: '赣州',
    });
  });

  it('names each bad value', () => {
    const fields: Record<string, string> = {};
    checkAttributes(defs, { grade: '三级', purity: '高', colour: '红', origin: '' }, fields);
    expect(fields).toEqual({
      'attributes.grade': 'posting.attributeChoice',
      'attributes.purity': 'posting.attributeNumber',
      'attributes.colour': 'posting.attributeUnknown',
    });
  });
});

describe('isBot', () => {
  it('tells crawlers and tools from browsers', () => {
    for (const ua of ['Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)', 'Sogou web spider/4.0', 'curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0', '']) {
      expect(isBot(ua), ua).toBe(true);
    }
    expect(isBot('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36')).toBe(false);
  });
});
