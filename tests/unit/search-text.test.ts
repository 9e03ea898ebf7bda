import { describe, expect, it } from 'vitest';
import { buildDictionary, readDictionary, DEFAULT_DICTIONARY_FILE } from '../../src/server/search/dictionary.ts';
import { documentKey, idOfKey } from '../../src/server/search/fts.ts';
import { ftsExpression, highlight, indexTokens, normalize, parseQuery, snippet } from '../../src/server/search/text.ts';

const dict = buildDictionary({ synonyms: [['SUS304', '304不锈钢'], ['镀锌管', '热镀锌钢管']], words: ['热镀锌钢管'] });
const none = buildDictionary({});

describe('normalize', () => {
  it('folds full-width characters and case, and drops control characters', () => {
    expect(normalize('ＰＥ管\u0000ＤＮ１１０')).toBe('pe管 dn110');
  });
});

describe('indexTokens', () => {
  it('indexes Han text as overlapping bigrams plus the last character of each run', () => {
    expect(indexTokens('无缝钢管')).toBe('无缝 缝钢 钢管 管');
  });

  it('keeps letter/number runs whole and also their letter and number parts', () => {
    expect(indexTokens('PE管 DN110')).toBe('pe 管 dn110 dn 110');
    expect(indexTokens('304不锈钢管')).toBe('304 不锈 锈钢 钢管 管');
    expect(indexTokens('LED灯珠')).toBe('led 灯珠 珠');
  });

  it('turns punctuation, emoji and FTS syntax into separators', () => {
    expect(indexTokens('"钢*"(OR):^😀')).toBe('钢 or');
  });
});

describe('parseQuery and ftsExpression', () => {
  it('makes a Han word a phrase of bigrams, so it is found inside longer words', () => {
    const q = parseQuery('钢管', none);
    expect(ftsExpression(q)).toBe('"钢管"');
    expect(ftsExpression(parseQuery('不锈钢管', none), { reading: 'phrase' })).toBe('"不锈 锈钢 钢管"');
  });

  it('segments a query into words that may stand apart, the query as typed being its own reading', () => {
    const q = parseQuery('铝合金门窗', none);
    expect(q.words.map((w) => w.typed)).toEqual([['铝合金'], ['门窗']]);
    expect(ftsExpression(q)).toBe('"铝合 合金" AND "门窗"');
    expect(ftsExpression(q, { reading: 'phrase' })).toBe('"铝合 合金 金门 门窗"');
    // A word the segmenter keeps whole is split into the words it is made of...
    expect(parseQuery('有机肥料', none).words.map((w) => w.typed[0])).toEqual(['有机', '肥料']);
    // ...unless the dictionary names it as an industry word.
    expect(parseQuery('有机肥料', buildDictionary({ words: ['有机肥料'] })).words.map((w) => w.typed[0])).toEqual(['有机肥料']);
  });

  it('keeps typed words apart from synonyms, and a synonym out of longer words that mean something else', () => {
    const d = buildDictionary({ synonyms: [['电缆', '电线']], words: ['电线杆'] });
    const q = parseQuery('电缆', d);
    expect(ftsExpression(q, { reading: 'typed' })).toBe('"电缆"');
    expect(ftsExpression(q)).toBe('("电缆" OR ("电线" NOT "电线 线杆"))');
  });

  it('stems English plurals on both sides', () => {
    expect(indexTokens('Steel Pipes')).toBe('steel pipe');
    expect(ftsExpression(parseQuery('pipes', none))).toBe('"pipe"');
    expect(indexTokens('boxes glass')).toBe('box glass');
  });

  it('matches a single Han character as a prefix of the bigrams', () => {
    expect(ftsExpression(parseQuery('钢', none))).toBe('"钢"*');
  });

  it('ANDs the runs of mixed Chinese, Latin and number queries', () => {
    expect(ftsExpression(parseQuery('304不锈钢管', buildDictionary({ words: ['不锈钢管'] })))).toBe('"304" AND "不锈 锈钢 钢管"');
    expect(ftsExpression(parseQuery('PE管 DN110', none))).toBe('"pe" AND "管"* AND "dn110"');
    expect(ftsExpression(parseQuery('LED 灯珠', none))).toBe('"led" AND "灯珠"');
  });

  it('expands synonyms into alternatives, whichever side is typed', () => {
    expect(ftsExpression(parseQuery('SUS304', dict))).toBe('("sus304" OR ("304" AND "不锈钢"))'.replace('"不锈钢"', '"不锈 锈钢"'));
    const q = parseQuery('镀锌管 DN50', dict);
    expect(ftsExpression(q)).toBe('("镀锌 锌管" OR "热镀 镀锌 锌钢 钢管") AND "dn50"');
    expect(q.terms).toContain('热镀锌钢管');
  });

  it('turns hostile input into quoted tokens only, or nothing', () => {
    for (const raw of ['"', '*', 'NEAR(a b)', 'a OR b', 'title:x', '^x', '(((', '😀😀', '\u0001\u0002', "'; DROP TABLE listings; --"]) {
      const expr = ftsExpression(parseQuery(raw, dict));
      if (expr !== null) expect(expr).toMatch(/^("[\p{L}\p{N} ]+"\*?)( AND "[\p{L}\p{N} ]+"\*?)*$/u);
    }
    expect(ftsExpression(parseQuery('😀', dict))).toBeNull();
  });

  it('cuts very long queries to a hundred characters', () => {
    const q = parseQuery('钢'.repeat(5000), none);
    expect(q.phrase[0]!.length).toBe(100);
  });

  it('makes the last Latin run a prefix when suggesting', () => {
    expect(ftsExpression(parseQuery('le', none), { prefix: true })).toBe('"le"*');
  });
});

describe('highlight and snippet', () => {
  it('escapes the text and marks the terms', () => {
    expect(highlight('<b>无缝钢管</b> & 钢板', ['钢管'])).toBe('&lt;b&gt;无缝<mark>钢管</mark>&lt;/b&gt; &amp; 钢板');
  });

  it('matches regardless of width and case, keeping the original characters', () => {
    expect(highlight('ＬＥＤ灯珠', ['led'])).toBe('<mark>ＬＥＤ</mark>灯珠');
  });

  it('never lets markup from the listing through', () => {
    const html = snippet('<script>alert(1)</script>钢管', ['script', '钢管']);
    expect(html).not.toContain('<script');
    expect(html.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
  });

  it('cuts a window around the first match with ellipses', () => {
    const text = '甲'.repeat(200) + '钢管' + '乙'.repeat(200);
    const s = snippet(text, ['钢管'], 40);
    expect(s).toContain('<mark>钢管</mark>');
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
  });
});

describe('the shipped dictionary', () => {
  it('parses and maps synonyms both ways', () => {
    const d = readDictionary(DEFAULT_DICTIONARY_FILE);
    expect(d.synonymsOf.get('sus304')).toContain('304不锈钢');
    expect(d.synonymsOf.get('304不锈钢')).toContain('sus304');
    expect(d.synonymsOf.get('镀锌管')).toContain('热镀锌钢管');
  });

  it('refuses a word in two synonym groups (the groups would chain)', () => {
    expect(() => buildDictionary({ synonyms: [['叉车', '铲车'], ['装载机', '铲车']] })).toThrow(/铲车/);
  });

  it('refuses a malformed file with its name in the message', () => {
    expect(() => buildDictionary({ synonyms: [['alone']] })).toThrow();
  });
});

describe('the freshness key', () => {
  it('orders by minute published, then by listing id, and gives the id back', () => {
    const t = Date.UTC(2026, 10, 30, 12, 0, 30);
    const a = documentKey({ id: 500, publishedAt: t });
    expect(documentKey({ id: 7, publishedAt: t + 60_000 })).toBeGreaterThan(a);
    expect(documentKey({ id: 501, publishedAt: t + 10_000 })).toBeGreaterThan(a);
    expect(documentKey({ id: 499, publishedAt: t + 10_000 })).toBeLessThan(a);
    expect(idOfKey(a)).toBe(500);
    expect(Number.isSafeInteger(documentKey({ id: 2 ** 28 - 1, publishedAt: Date.UTC(2080, 0, 1) }))).toBe(true);
    expect(() => documentKey({ id: 2 ** 28, publishedAt: t })).toThrow();
  });
});
