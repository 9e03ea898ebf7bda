import { describe, expect, it } from 'vitest';
import { slugify, uniqueSlug } from '../../src/server/slug.ts';

describe('slugify', () => {
  it('writes Chinese as toneless pinyin syllables', () => {
    expect(slugify('赣南脐橙')).toBe('gan-nan-qi-cheng');
  });

  it('keeps Latin letters and digits from mixed titles', () => {
    expect(slugify('供应304不锈钢管 DN50')).toBe('gong-ying-304-bu-xiu-gang-guan-dn50');
    expect(slugify('LED灯珠 2835')).toBe('led-deng-zhu-2835');
  });

  it('folds full-width characters and drops punctuation and emoji', () => {
    expect(slugify('ＡＢＣ！！（现货）🙂')).toBe('abc-xian-huo');
  });

  it('writes ü as v (绿 -> lv)', () => {
    expect(slugify('绿茶')).toBe('lv-cha');
  });

  it('cuts long titles at a syllable boundary', () => {
    const slug = slugify('大量供应国标热镀锌钢管焊接钢管无缝钢管方管矩形管螺旋管现货批发厂家直销');
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect('da-liang-gong-ying-guo-biao-re-du-xin-gang-guan-han-jie-gang-guan-wu-feng').toContain(slug);
  });

  it('gives an empty slug for text with nothing to keep', () => {
    expect(slugify('！？…')).toBe('');
  });
});

describe('uniqueSlug', () => {
  it('numbers a taken slug from 2', () => {
    const taken = new Set(['hong-da', 'hong-da-2']);
    expect(uniqueSlug('hong-da', (s) => taken.has(s))).toBe('hong-da-3');
    expect(uniqueSlug('xin-sheng', (s) => taken.has(s))).toBe('xin-sheng');
  });
});
