// The pure parts of the content rules: the word normal form (its evasions), contact details in titles, and the
// near-duplicate fingerprints measured on a labelled fixture.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contactInTitle } from '../../src/server/content-rules/contact.ts';
import { normalizeText } from '../../src/server/content-rules/normalize.ts';
import { BANDS, fingerprint, isNearDuplicate, shareBand } from '../../src/server/content-rules/minhash.ts';

describe('normalizeText', () => {
  it('reads disguised spellings of a word the same', () => {
    for (const evasion of ['枪支', '枪 支', '槍支', '枪_支', '枪.支', '枪　支', '枪\u200b支', '枪★支']) expect(normalizeText(evasion), evasion).toBe('枪支');
    expect(normalizeText('ＱＱ　ＡＢＣ１２３')).toBe('qqabc123');
    expect(normalizeText('監聽器')).toBe(normalizeText('监听器'));
  });
});

describe('contactInTitle', () => {
  it('finds phone numbers, IM ids and web addresses however they are spaced', () => {
    expect(contactInTitle('供应大米 13812345678')).toBe('phone');
    expect(contactInTitle('供应大米 138-1234-5678')).toBe('phone');
    expect(contactInTitle('供应大米 １３８ １２３４ ５６７８')).toBe('phone');
    expect(contactInTitle('供应大米 电话0791-86123456')).toBe('phone');
    expect(contactInTitle('供应大米 微信:ganjiang88')).toBe('im');
    expect(contactInTitle('供应大米 Q Q 123456')).toBe('im');
    expect(contactInTitle('供应大米 加V rice_2026')).toBe('im');
    expect(contactInTitle('供应大米 www.rice.cn')).toBe('url');
    expect(contactInTitle('供应大米 https://example.com/x')).toBe('url');
  });

  it('leaves specifications, sizes and years alone', () => {
    for (const title of ['无缝钢管 Φ89×4', '304不锈钢板 2mm×1219×2438', '2026年新米 500吨', '合力3吨叉车 2019年', '镀锌角钢 50×5 6米', '电缆 YJV 3×185+1×95']) {
      expect(contactInTitle(title), title).toBeNull();
    }
  });
});

describe('near-duplicate fingerprints', () => {
  const fixture = JSON.parse(fs.readFileSync('tests/fixtures/duplicates.json', 'utf8')) as { pairs: { duplicate: boolean; a: string[]; b: string[] }[] };

  it('gives equal texts equal band keys, however they are spaced', () => {
    const f = fingerprint(['供应大米', '五常稻花香']);
    expect(f.bands).toEqual(fingerprint(['供应 大米！', '五常稻花香']).bands);
    expect(f.bands).toHaveLength(BANDS);
  });

  it('tells catalogue variants (different specification) from re-posts', () => {
    const a = fingerprint(['无缝钢管 Φ89×4', '20#无缝钢管，现货']);
    const b = fingerprint(['无缝钢管 Φ108×5', '20#无缝钢管，现货']);
    expect(isNearDuplicate(a, b)).toBe(false);
    expect(shareBand(a, b)).toBe(false);
  });

  it('finds every labelled duplicate of the fixture through a shared band, and no labelled non-duplicate', () => {
    const found = (p: { a: string[]; b: string[] }) => {
      const a = fingerprint(p.a);
      const b = fingerprint(p.b);
      return shareBand(a, b) && isNearDuplicate(a, b);
    };
    expect(fixture.pairs.filter((p) => found(p) !== p.duplicate).map((p) => [p.a[0], p.b[0]])).toEqual([]);
  });
});
