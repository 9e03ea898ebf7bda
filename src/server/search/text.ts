// Text analysis shared by both engines: normalising, the tokens the FTS5 index stores, parsing a query (with
// synonyms) into terms, and highlighting. Pure functions, no database.
//
// Why bigrams and not jieba words in FTS5: jieba's search mode does not index single characters and segments a query
// differently from the text it was indexed with (`LED灯珠`), so words it split differently are never found. Indexing
// every pair of adjacent Han characters (plus the last character of each run) makes a Han query of n characters a
// phrase of n-1 bigrams, which finds it anywhere inside a longer word (`钢管` in `无缝钢管`): recall is exactly
// "contains", whatever the segmenter thinks. See tests/unit/search-text.test.ts and the note's recall figures.
// A query, on the other hand, is segmented into words (jieba plus the dictionary's industry words) that are each
// required but may stand apart, so "铝合金门窗" finds "铝合金断桥门窗"; the query as typed ranks first (fts.ts tiers).
import { jiebaWithDefaultDict } from '../jieba.ts';
import type { Dictionary } from './dictionary.ts';

// Control characters and the private-use area never mean anything in a listing or a query.
// eslint-disable-next-line no-control-regex
const JUNK = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ue000-\uf8ff]/g;

/** NFKC (full-width Ａ１ -> A1), lower case, no control characters. */
export function normalize(text: string): string {
  return text.normalize('NFKC').replace(JUNK, ' ').toLowerCase();
}

// Character classes, decided by code point: a regex with \p{Script=Han} per run made indexing a million listings
// take minutes. Han is the Unicode Script=Han blocks (after NFKC, which folds the compatibility ideographs).
const SEP = 0;
const HAN_CLASS = 1;
const LETTER = 2;
const DIGIT = 3;
const LETTER_RE = /^\p{L}$/u;
const DIGIT_RE = /^\p{N}$/u;
const otherClass = new Map<number, number>();

function isHanCode(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x20000 && c <= 0x323af) ||
    (c >= 0x2e80 && c <= 0x2fdf) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    c === 0x3005 ||
    c === 0x3007 ||
    (c >= 0x3021 && c <= 0x3029) ||
    (c >= 0x3038 && c <= 0x303b)
  );
}

function classOf(c: number): number {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? LETTER : c >= 48 && c <= 57 ? DIGIT : SEP;
  if (isHanCode(c)) return HAN_CLASS;
  let k = otherClass.get(c);
  if (k === undefined) {
    const ch = String.fromCodePoint(c);
    otherClass.set(c, (k = LETTER_RE.test(ch) ? LETTER : DIGIT_RE.test(ch) ? DIGIT : SEP));
  }
  return k;
}

/** Han runs and letter/number runs of normalised text, in order. */
export function runs(normalized: string): string[] {
  const out: string[] = [];
  let start = -1;
  let han = false;
  for (let i = 0; i < normalized.length; ) {
    const c = normalized.codePointAt(i)!;
    const size = c > 0xffff ? 2 : 1;
    const k = classOf(c);
    const isH = k === HAN_CLASS;
    if (k === SEP || (start >= 0 && isH !== han)) {
      if (start >= 0) out.push(normalized.slice(start, i));
      start = -1;
    }
    if (k !== SEP && start < 0) {
      start = i;
      han = isH;
    }
    i += size;
  }
  if (start >= 0) out.push(normalized.slice(start));
  return out;
}

export const isHan = (run: string) => classOf(run.codePointAt(0) ?? 0) === HAN_CLASS;

/** Splits "dn110" into "dn" and "110", so a search for 110 finds DN110; single-script runs give nothing. */
function alnumParts(run: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let prev = -1;
  for (let i = 0; i < run.length; ) {
    const c = run.codePointAt(i)!;
    const k = classOf(c);
    if (prev !== -1 && k !== prev) {
      parts.push(run.slice(start, i));
      start = i;
    }
    prev = k;
    i += c > 0xffff ? 2 : 1;
  }
  if (parts.length === 0) return [];
  parts.push(run.slice(start));
  return parts;
}

function hanBigrams(run: string, out: string[]): void {
  if (run.length === 1) {
    out.push(run);
    return;
  }
  // Most Han text is in the BMP: pairs of UTF-16 units, no array of characters needed.
  const chars = /[\ud800-\udbff]/.test(run) ? Array.from(run) : null;
  const n = chars ? chars.length : run.length;
  if (n === 1) {
    out.push(run);
    return;
  }
  for (let i = 0; i < n - 1; i++) out.push(chars ? chars[i]! + chars[i + 1]! : run.slice(i, i + 2));
  // The last character as its own token, so a one-character query (`钢*`) finds it at the end of a run too.
  out.push(chars ? chars[n - 1]! : run.slice(n - 1));
}

/**
 * Light English stemming, the same on both sides, so "pipe" finds "Steel Pipes" and "boxes" finds "box": plural
 * endings only (the English text we index is category and attribute names, not prose).
 */
export function stem(word: string): string {
  if (!/^[a-z]{4,}$/.test(word)) return word;
  if (word.endsWith('ies')) return word.slice(0, -3) + 'y';
  if (/(?:ss|x|ch|sh|zz)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The space-separated tokens FTS5 stores for a text (its tokenizer then only splits on the spaces). */
export function indexTokens(text: string): string {
  const out: string[] = [];
  for (const run of runs(normalize(text))) {
    if (isHan(run)) hanBigrams(run, out);
    else out.push(stem(run), ...alnumParts(run));
  }
  return out.join(' ');
}

/** One required word of a query: as typed (its runs), or any of its synonyms. */
export interface QueryWord {
  typed: string[];
  /** Other words of its synonym group; each is no match inside the longer dictionary words of `notInside`. */
  synonyms: { runs: string[]; notInside: string[] }[];
}

/** A parsed query: every word must match (AND), each as typed or as one of its synonyms. */
export interface ParsedQuery {
  /** The runs of the query as typed: a listing holding each whole ranks above one holding its words apart. */
  phrase: string[];
  words: QueryWord[];
  /** Every run of every word and synonym: what highlighting marks. */
  terms: string[];
}

export const MAX_QUERY_CHARS = 100;
const MAX_WORDS = 12;

type Segmenter = (run: string) => string[];
const segmenters = new WeakMap<Dictionary, Segmenter>();

/**
 * Words of a Han run: jieba with our industry words (kept whole), and a word jieba keeps whole split further into
 * the two-character-or-longer words it is made of, so "有机肥料" also finds "有机生物肥料" ("有机" and "肥料"
 * apart). A word that cannot be split that way ("铝合金") stays whole.
 */
function segmenterFor(dictionary: Dictionary): Segmenter {
  let seg = segmenters.get(dictionary);
  if (seg) return seg;
  // Built on the first query, not at import: every script and test process that imports this module would pay for it.
  const jieba = jiebaWithDefaultDict();
  const han = dictionary.words.filter((w) => /^\p{Script=Han}+$/u.test(w));
  if (han.length > 0) jieba.loadDict(Buffer.from(han.map((w) => `${w} 100000`).join('\n')));
  const keep = new Set(dictionary.words);
  const split = (word: string): string[] => {
    const chars = [...word];
    if (chars.length <= 2 || keep.has(word)) return [word];
    const parts = new Set(jieba.cutForSearch(word, false).filter((p) => p !== word && [...p].length >= 2));
    // The tiling with the fewest parts, from the end backwards (few words: longest pieces).
    const best: (string[] | null)[] = Array.from({ length: chars.length + 1 }, () => null);
    best[chars.length] = [];
    for (let i = chars.length - 1; i >= 0; i--) {
      for (let j = chars.length; j > i + 1; j--) {
        const piece = chars.slice(i, j).join('');
        const rest = best[j];
        if (rest && parts.has(piece) && (!best[i] || best[i]!.length > rest.length + 1)) best[i] = [piece, ...rest];
      }
    }
    return best[0] ?? [word];
  };
  seg = (run) => {
    // Characters jieba leaves single (a word it does not know, 灯珠) stay together: one character alone matches far
    // too much.
    const words: string[] = [];
    let single = '';
    for (const w of jieba.cut(run, false)) {
      if (!/\p{Script=Han}/u.test(w)) continue;
      if ([...w].length === 1) single += w;
      else {
        if (single) words.push(single);
        single = '';
        words.push(...split(w));
      }
    }
    if (single) words.push(single);
    return words;
  };
  segmenters.set(dictionary, seg);
  return seg;
}

/** Segments a query into words and expands synonyms from the dictionary; any input at all gives a valid result. */
export function parseQuery(raw: string, dictionary: Dictionary): ParsedQuery {
  // Long pastes are cut, not refused: the first hundred characters say what the buyer wants.
  let text = normalize(raw.slice(0, MAX_QUERY_CHARS * 4)).slice(0, MAX_QUERY_CHARS);
  const phrase = runs(text).map((r) => (isHan(r) ? r : stem(r)));
  const words: QueryWord[] = [];
  // Synonym phrases first, longest first, so `304不锈钢管` reads as 304不锈钢 + 管 when 304不锈钢 has synonyms.
  for (const p of dictionary.phrases) {
    if (!text.includes(p)) continue;
    const [, ...others] = dictionary.synonymsOf.get(p)!;
    words.push({
      typed: wordRuns(p),
      synonyms: others.map((o) => ({ runs: wordRuns(o), notInside: dictionary.notInside.get(o) ?? [] })).filter((s) => s.runs.length > 0),
    });
    text = text.split(p).join(' ');
  }
  const segment = segmenterFor(dictionary);
  for (const run of runs(text)) {
    if (!isHan(run)) words.push({ typed: [stem(run)], synonyms: [] });
    else for (const w of segment(run)) words.push({ typed: [w], synonyms: [] });
  }
  const seen = new Set<string>();
  const kept = words
    .filter((w) => {
      const key = w.typed.join(' ');
      if (w.typed.length === 0 || seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, MAX_WORDS);
  const terms = [...new Set([...phrase, ...kept.flatMap((w) => [...w.typed, ...w.synonyms.flatMap((s) => s.runs)])])].sort(
    (a, b) => b.length - a.length,
  );
  return { phrase: kept.length > 0 ? phrase.slice(0, MAX_WORDS) : [], words: kept, terms };
}

const wordRuns = (word: string) => runs(word).map((r) => (isHan(r) ? r : stem(r)));

/** One run as an FTS5 expression over our tokens; only Han characters, letters and digits ever reach it. */
function runExpression(run: string, prefix: boolean): string {
  if (isHan(run)) {
    const chars = [...run];
    if (chars.length === 1) return `"${run}"*`;
    const bigrams: string[] = [];
    for (let i = 0; i < chars.length - 1; i++) bigrams.push(chars[i]! + chars[i + 1]!);
    return `"${bigrams.join(' ')}"`;
  }
  return prefix ? `"${run}"*` : `"${run}"`;
}

const and = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
const or = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`);

function runsExpression(runList: string[], prefixLast: boolean): string {
  return and(runList.map((run, i) => runExpression(run, prefixLast && i === runList.length - 1)));
}

/** Which form of the words an expression asks for: the whole query as typed, its words as typed, or synonyms too. */
export type Reading = 'phrase' | 'typed' | 'synonyms';

/** Whether a reading finds anything the previous one does not (so it is worth a ranking tier of its own). */
export function readingAdds(q: ParsedQuery, reading: Reading): boolean {
  if (reading === 'synonyms') return q.words.some((w) => w.synonyms.length > 0);
  if (reading === 'typed') {
    const typed = new Set(q.words.flatMap((w) => w.typed));
    return !(q.phrase.length === typed.size && q.phrase.every((r) => typed.has(r)));
  }
  return true;
}

/**
 * The FTS5 MATCH expression of a parsed query, or null when it has no terms. With `prefix`, the last word matches as
 * a prefix (what a person is still typing); `reading` chooses the phrase as typed, the typed words, or synonyms too.
 */
export function ftsExpression(q: ParsedQuery, { prefix = false, reading = 'synonyms' as Reading } = {}): string | null {
  if (q.words.length === 0) return null;
  if (reading === 'phrase') return q.phrase.map((run, i) => runExpression(run, prefix && i === q.phrase.length - 1)).join(' AND ');
  const last = q.words.length - 1;
  return q.words
    .map((w, wi) => {
      const typed = runsExpression(w.typed, prefix && wi === last);
      if (reading === 'typed' || w.synonyms.length === 0) return typed;
      const alternatives = w.synonyms.map((s) => {
        const expr = runsExpression(s.runs, false);
        return s.notInside.length === 0 ? expr : `(${expr} NOT ${or(s.notInside.map((n) => runsExpression(wordRuns(n), false)))})`;
      });
      return or([typed, ...alternatives]);
    })
    .join(' AND ');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * Character ranges of `text` where any term occurs, compared after normalising each character (so Ａ matches a),
 * merged where they touch.
 */
function matchRanges(text: string, terms: readonly string[]): [number, number][] {
  if (terms.length === 0) return [];
  // Normalise character by character to keep positions in the original text.
  const chars = [...text];
  const norm = chars.map((c) => normalize(c));
  const flat = norm.join('');
  const starts: number[] = [];
  let pos = 0;
  for (const n of norm) {
    starts.push(pos);
    pos += n.length;
  }
  const charAt = (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const ranges: [number, number][] = [];
  for (const term of terms) {
    for (let i = flat.indexOf(term); i !== -1; i = flat.indexOf(term, i + term.length)) {
      ranges.push([charAt(i), charAt(i + term.length - 1) + 1]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const prev = merged[merged.length - 1];
    if (prev && r[0] <= prev[1]) prev[1] = Math.max(prev[1], r[1]);
    else merged.push([...r]);
  }
  return merged;
}

function markRanges(chars: string[], ranges: [number, number][], from: number, to: number): string {
  let out = '';
  let at = from;
  for (const [s, e] of ranges) {
    if (e <= from || s >= to) continue;
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    out += escapeHtml(chars.slice(at, a).join('')) + '<mark>' + escapeHtml(chars.slice(a, b).join('')) + '</mark>';
    at = b;
  }
  return out + escapeHtml(chars.slice(at, to).join(''));
}

/** The text as safe HTML: everything escaped, the query's terms wrapped in our own <mark> tags. */
export function highlight(text: string, terms: readonly string[]): string {
  const chars = [...text];
  return markRanges(chars, matchRanges(text, terms), 0, chars.length);
}

/** About `length` characters of the text around its first match (or its start), as highlighted safe HTML. */
export function snippet(text: string, terms: readonly string[], length = 80): string {
  const chars = [...text];
  const ranges = matchRanges(text, terms);
  const first = ranges[0]?.[0] ?? 0;
  const from = Math.max(0, Math.min(first - Math.floor(length / 4), chars.length - length));
  const to = Math.min(chars.length, from + length);
  return (from > 0 ? '…' : '') + markRanges(chars, ranges, from, to) + (to < chars.length ? '…' : '');
}
