// Text analysis shared by both engines: normalising, the tokens the FTS5 index stores, parsing a query (with
// synonyms) into terms, and highlighting. Pure functions, no database.
//
// Why bigrams and not jieba words in FTS5: jieba's search mode does not index single characters and segments a query
// differently from the text it was indexed with (`LED灯珠`), so words it split differently are never found. Indexing
// every pair of adjacent Han characters (plus the last character of each run) makes a Han query of n characters a
// phrase of n-1 bigrams, which finds it anywhere inside a longer word (`钢管` in `无缝钢管`): recall is exactly
// "contains", whatever the segmenter thinks. See tests/unit/search-text.test.ts and the note's recall figures.
import type { Dictionary } from './dictionary.ts';

// Control characters and the private-use area never mean anything in a listing or a query.
// eslint-disable-next-line no-control-regex
const JUNK = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ue000-\uf8ff]/g;

/** NFKC (full-width Ａ１ -> A1), lower case, no control characters. */
export function normalize(text: string): string {
  return text.normalize('NFKC').replace(JUNK, ' ').toLowerCase();
}

const RUN = /\p{Script=Han}+|(?:(?!\p{Script=Han})[\p{L}\p{N}])+/gu;
const HAN = /^\p{Script=Han}/u;
const PARTS = /\p{L}+|\p{N}+/gu;

/** Han runs and letter/number runs of normalised text, in order. */
export function runs(normalized: string): string[] {
  return normalized.match(RUN) ?? [];
}

export const isHan = (run: string) => HAN.test(run);

/** Splits "dn110" into "dn" and "110", so a search for 110 finds DN110; single-script runs give nothing. */
function alnumParts(run: string): string[] {
  const parts = run.match(PARTS) ?? [];
  return parts.length > 1 ? parts : [];
}

function hanBigrams(run: string): string[] {
  const chars = [...run];
  if (chars.length === 1) return chars;
  const out: string[] = [];
  for (let i = 0; i < chars.length - 1; i++) out.push(chars[i]! + chars[i + 1]!);
  // The last character as its own token, so a one-character query (`钢*`) finds it at the end of a run too.
  out.push(chars[chars.length - 1]!);
  return out;
}

/** The space-separated tokens FTS5 stores for a text (its unicode61 tokenizer then only splits on the spaces). */
export function indexTokens(text: string): string {
  const out: string[] = [];
  for (const run of runs(normalize(text))) {
    if (isHan(run)) out.push(...hanBigrams(run));
    else out.push(run, ...alnumParts(run));
  }
  return out.join(' ');
}

/**
 * A parsed query: every group must match (AND); a group matches when any of its alternatives does (synonyms); an
 * alternative matches when all of its runs do.
 */
export interface ParsedQuery {
  groups: string[][][];
  /** Every run of every alternative: what highlighting marks. */
  terms: string[];
}

export const MAX_QUERY_CHARS = 100;
const MAX_GROUPS = 12;

/** Splits a query into runs and expands synonyms from the dictionary; any input at all gives a valid result. */
export function parseQuery(raw: string, dictionary: Dictionary): ParsedQuery {
  // Long pastes are cut, not refused: the first hundred characters say what the buyer wants.
  let text = normalize(raw.slice(0, MAX_QUERY_CHARS * 4)).slice(0, MAX_QUERY_CHARS);
  const groups: string[][][] = [];
  // Synonym phrases first, longest first, so `304不锈钢管` reads as 304不锈钢 + 管 when 304不锈钢 has synonyms.
  for (const phrase of dictionary.phrases) {
    if (!text.includes(phrase)) continue;
    const alternatives = dictionary.synonymsOf.get(phrase)!;
    groups.push(alternatives.map((alt) => runs(alt)).filter((r) => r.length > 0));
    text = text.split(phrase).join(' ');
  }
  for (const run of runs(text)) groups.push([[run]]);
  const kept = dedupe(groups).slice(0, MAX_GROUPS);
  const terms = [...new Set(kept.flat(2))].sort((a, b) => b.length - a.length);
  return { groups: kept, terms };
}

function dedupe(groups: string[][][]): string[][][] {
  const seen = new Set<string>();
  return groups.filter((g) => {
    const key = JSON.stringify(g);
    if (seen.has(key)) return false;
    seen.add(key);
    return g.length > 0;
  });
}

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

/**
 * The FTS5 MATCH expression of a parsed query, or null when it has no terms. With `prefix`, the last Latin or number
 * run matches as a prefix (what a person is still typing).
 */
export function ftsExpression(q: ParsedQuery, { prefix = false } = {}): string | null {
  if (q.groups.length === 0) return null;
  const last = q.groups.length - 1;
  return q.groups
    .map((alternatives, gi) => {
      const alts = alternatives.map((alt) => {
        const parts = alt.map((run, ri) => runExpression(run, prefix && gi === last && ri === alt.length - 1));
        return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
      });
      return alts.length === 1 ? alts[0]! : `(${alts.join(' OR ')})`;
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
