import { describe, expect, it } from 'vitest';
import { en } from '../../src/server/i18n/en.ts';
import { fillPlaceholders, formatDate, placeName, translator } from '../../src/server/i18n/index.ts';
import { localUnit } from '../../src/server/i18n/units.ts';
import { zhCN } from '../../src/server/i18n/zh-CN.ts';

// `{n}` and the plural form `{n|one|other}` name the same placeholder.
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)(?:\|[^|{}]*\|[^|{}]*)?\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
    }
  });

  it('fill placeholders and leave unknown ones visible', () => {
    const t = translator('zh-CN');
    expect(t('list.total', { n: 12 })).toBe('共 12 条');
    expect(t('pagination.page', { page: 2 })).toBe('第 2 / {pages} 页');
    expect(translator('en')('kind.demand')).toBe('Buying lead');
  });

  it('writes number parameters with digit grouping and strings as given', () => {
    expect(translator('zh-CN')('list.total', { n: 51780 })).toBe('共 51,780 条');
    expect(translator('en')('footer.copyright', { year: '2026', site: 'X' })).toBe('© 2026 X');
  });
});

describe('formatDate', () => {
  it('gives the calendar date in China (UTC+8)', () => {
    expect(formatDate(Date.UTC(2026, 10, 24, 15, 59))).toBe('2026-11-24');
    expect(formatDate(Date.UTC(2026, 10, 24, 16, 0))).toBe('2026-11-25');
  });
});

describe('English the English way', () => {
  it('picks the singular or the plural form by the number', () => {
    const t = translator('en');
    expect(t('analytics.days', { n: 1 })).toBe('Last day');
    expect(t('analytics.days', { n: 7 })).toBe('Last 7 days');
    expect(t('dashboard.views', { n: 1 })).toBe('1 view');
    expect(t('dashboard.views', { n: 12500 })).toBe('12,500 views');
    expect(t('search.total', { n: 0 })).toBe('0 listings found');
    expect(fillPlaceholders('{n|a day|# days} ago, {x}', { n: 2 })).toBe('2 days ago, {x}');
    expect(translator('zh-CN')('analytics.days', { n: 1 })).toBe('近 1 天');
  });

  it('names units in English on English pages and keeps them as typed otherwise', () => {
    expect(localUnit('en', '吨')).toBe('t');
    expect(localUnit('en', '公斤/小时')).toBe('kg/hour');
    expect(localUnit('en', '平方米·月')).toBe('m²·month');
    expect(localUnit('en', '万张')).toBe('10,000 sheet');
    expect(localUnit('en', '坨')).toBe('坨');
    expect(localUnit('en', 'mm')).toBe('mm');
    expect(localUnit('zh-CN', '吨')).toBe('吨');
  });

  it('writes a place with spaces in English, narrowest first', () => {
    const places = [{ nameZh: '南昌', nameEn: 'Nanchang' }, { nameZh: '青云谱区', nameEn: 'Qingyunpu District' }];
    expect(placeName('en', places)).toBe('Qingyunpu District, Nanchang');
    expect(placeName('zh-CN', places)).toBe('南昌青云谱区');
  });
});
