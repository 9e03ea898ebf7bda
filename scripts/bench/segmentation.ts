// Which segmentation finds more of the right listings? For a fixed query set over real (demo) listing text, the
// right listings are those whose normalised text contains the query's words as typed (every run of Han, letters or
// digits). Each segmenter tokenises the listings and the queries the same way; a listing is found when it holds every
// query token. Recall = right ones found / right ones; precision = right ones among those found.
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import { indexTokens, normalize, runs } from '../../src/server/search/text.ts';

export const SEGMENTATION_QUERIES = [
  '钢管', '钢', '不锈钢管', '无缝钢管', '镀锌', '304不锈钢', 'PE管', 'LED灯珠', 'LED', '脐橙', '赣南脐橙', '茶油', '山茶油',
  '大米', '米粉', '碳酸锂', '锂电池', '光伏', '瓷砖', '陶瓷', '纸箱', '羽绒', '中药材', '现货', '批发', '厂家直销', '定制',
  '铜', '电缆', '管件',
];

type Tokenize = (text: string) => string[];

function segmenters(): Record<string, Tokenize> {
  const jieba = Jieba.withDict(dict);
  const intl = new Intl.Segmenter('zh-CN', { granularity: 'word' });
  const words = (text: string, cut: (run: string) => string[]) =>
    runs(normalize(text)).flatMap((run) => cut(run)).filter((w) => /[\p{L}\p{N}]/u.test(w));
  return {
    'jieba cutForSearch': (text) => words(text, (run) => jieba.cutForSearch(run, true)),
    'Intl.Segmenter': (text) => words(text, (run) => [...intl.segment(run)].map((s) => s.segment)),
    'bigrams (ours)': (text) => indexTokens(text).split(' '),
  };
}

/** Our query side: a one-character Han run is a prefix of our tokens; others are their tokens, all required. */
function bigramQueryMatches(tokens: Set<string>, sortedTokens: string[], query: string): boolean {
  return runs(normalize(query)).every((run) => {
    const chars = [...run];
    if (chars.length === 1) return sortedTokens.some((t) => t.startsWith(run));
    return indexTokens(run)
      .split(' ')
      .filter((t, i, all) => !(i === all.length - 1 && [...t].length === 1 && chars.length > 1))
      .every((t) => tokens.has(t));
  });
}

export function segmentationRecall(texts: string[]): Record<string, { recall: number; precision: number; found: number; right: number }> {
  const truth = SEGMENTATION_QUERIES.map((q) => {
    const parts = runs(normalize(q));
    return texts.map((t) => {
      const n = normalize(t);
      return parts.every((p) => n.includes(p));
    });
  });
  const out: Record<string, { recall: number; precision: number; found: number; right: number }> = {};
  for (const [name, tokenize] of Object.entries(segmenters())) {
    const docs = texts.map((t) => {
      const tokens = tokenize(t);
      return { set: new Set(tokens), sorted: tokens };
    });
    let right = 0;
    let found = 0;
    let rightFound = 0;
    SEGMENTATION_QUERIES.forEach((q, qi) => {
      const qTokens = tokenize(q);
      docs.forEach((d, di) => {
        const hit = name.startsWith('bigrams') ? bigramQueryMatches(d.set, d.sorted, q) : qTokens.every((t) => d.set.has(t));
        const isRight = truth[qi]![di]!;
        if (isRight) right++;
        if (hit) found++;
        if (hit && isRight) rightFound++;
      });
    });
    out[name] = {
      recall: Number((rightFound / Math.max(1, right)).toFixed(3)),
      precision: Number((rightFound / Math.max(1, found)).toFixed(3)),
      found,
      right,
    };
  }
  return out;
}
