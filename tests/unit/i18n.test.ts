import { describe, expect, it } from 'vitest';
import { en } from '../../src/server/i18n/en.ts';
import { formatDate, translator } from '../../src/server/i18n/index.ts';
import { zhCN } from '../../src/server/i18n/zh-CN.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

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
