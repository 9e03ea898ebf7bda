// Whether one listing fits one saved search, and the reverse index that keeps a new listing from reading the
// searches it cannot fit. Pure functions over the search engine's own pieces: the query is parsed by parseQuery
// (segmentation, synonyms) and the filters by filtersOf, and the listing's text is cut into the very tokens the FTS5
// index stores (indexTokens), so "fits" means what /search would answer for it. tests/integration/saved-searches.test.ts
// checks that against searchListings on a labelled set.
//
// The index: each search is met through one of its words only (every word must match, so any one will do; the one
// with the fewest synonyms, then the longest), one key per way that word can appear, each key also naming the
// search's kind, narrowest category and narrowest region (0 / '' for any). A listing can have few keys: its kind or
// any, its subcategory, industry or any, its county, city or any, and its distinct text tokens (a few hundred).
import type { ListingKind } from '../../../db/schema.ts';
import type { SearchDocument } from '../search/documents.ts';
import type { SearchState } from '../search/index.ts';
import { attributeNumber } from '../search/fts.ts';
import { indexTokens, isHan, runs, stem, type ParsedQuery, type QueryWord } from '../search/text.ts';
import type { SearchFilters } from '../search/types.ts';

/** One row of the reverse index. */
export interface Anchor {
  token: string;
  kind: ListingKind | '';
  categoryId: number;
  regionId: number;
}

/** A one-character Han word matches any token starting with it (FTS5 `"x"*`): its key is the character so marked. */
const ONE_CHAR = '1:';

/** The key of one run of a word: a Han run by its first bigram, anything else as the token itself. */
function runKey(run: string): string {
  if (!isHan(run)) return run;
  const chars = [...run];
  return chars.length === 1 ? ONE_CHAR + run : chars[0]! + chars[1]!;
}

/** The keys one word can be met by: of each way to write it (as typed, each synonym), its longest run. */
function wordKeys(w: QueryWord): string[] {
  const longest = (runs: string[]) => runs.reduce((a, b) => ([...b].length > [...a].length ? b : a));
  return [...new Set([w.typed, ...w.synonyms.map((s) => s.runs)].map((runs) => runKey(longest(runs))))];
}

/** The reverse-index rows of a saved search. */
export function anchorsOf(state: SearchState, query: ParsedQuery): Anchor[] {
  const base = { kind: state.kind ?? ('' as const), categoryId: state.category?.id ?? 0, regionId: state.region?.id ?? 0 };
  if (query.words.length === 0) return [{ token: '', ...base }];
  const best = [...query.words].sort(
    (a, b) => a.synonyms.length - b.synonyms.length || [...b.typed.join('')].length - [...a.typed.join('')].length,
  )[0]!;
  return wordKeys(best).map((token) => ({ token, ...base }));
}

/** What a listing's text columns hold, as FTS5 stores them (the same columns as the index: fts.ts insertDocument). */
function columnsOf(doc: SearchDocument): string[] {
  return [
    doc.title,
    doc.categoryNames.join(' '),
    [...Object.values(doc.attributes), ...doc.attributeNames].join(' '),
    doc.companyName,
    doc.description,
  ].map((text) => ` ${indexTokens(text)} `);
}

/** The keys a listing can be found by in the reverse index. */
export function listingKeys(doc: SearchDocument): { tokens: string[]; kinds: string[]; categoryIds: number[]; regionIds: number[] } {
  const tokens = new Set<string>(['']);
  for (const col of columnsOf(doc)) {
    for (const token of col.split(' ')) {
      if (!token) continue;
      tokens.add(token);
      if (isHan(token)) tokens.add(ONE_CHAR + [...token][0]!);
    }
  }
  return {
    tokens: [...tokens],
    kinds: ['', doc.kind],
    categoryIds: [...new Set([0, doc.topCategoryId, doc.categoryId])],
    regionIds: [...new Set([0, doc.cityId, doc.regionId])],
  };
}

/** Whether one run of a word is in the text: a Han run as its bigram phrase within one column, others as a token. */
function runIn(columns: string[], run: string): boolean {
  if (!isHan(run)) return columns.some((c) => c.includes(` ${run} `));
  const chars = [...run];
  if (chars.length === 1) return columns.some((c) => c.includes(` ${run}`));
  const phrase = ` ${chars.slice(0, -1).map((ch, i) => ch + chars[i + 1]).join(' ')} `;
  return columns.some((c) => c.includes(phrase));
}

const allIn = (columns: string[], runs: string[]) => runs.every((r) => runIn(columns, r));

/** A dictionary word as runs, as the engine reads it (text.ts wordRuns). */
const wordRuns = (word: string) => runs(word).map((r) => (isHan(r) ? r : stem(r)));

function wordIn(columns: string[], w: QueryWord): boolean {
  if (allIn(columns, w.typed)) return true;
  return w.synonyms.some((s) => allIn(columns, s.runs) && !s.notInside.some((n) => allIn(columns, wordRuns(n))));
}

/** The filters of a search, as the engines apply them (types.ts SearchFilters). */
function passesFilters(doc: SearchDocument, f: SearchFilters): boolean {
  if (f.kind && doc.kind !== f.kind) return false;
  if (f.regionId !== undefined ? doc.regionId !== f.regionId : f.cityId !== undefined && doc.cityId !== f.cityId) return false;
  if (f.categoryId !== undefined ? doc.categoryId !== f.categoryId : f.topCategoryId !== undefined && doc.topCategoryId !== f.topCategoryId) return false;
  if (f.priceMin !== undefined || f.priceMax !== undefined) {
    // Negotiable listings have no price and never meet a price filter.
    if (doc.priceMin === null || doc.priceMax === null) return false;
    if (f.priceMin !== undefined && doc.priceMax < f.priceMin) return false;
    if (f.priceMax !== undefined && doc.priceMin > f.priceMax) return false;
  }
  if (f.hasImages && !doc.hasImages) return false;
  if (f.verified && !doc.verified) return false;
  if (f.publishedAfter !== undefined && doc.publishedAt < f.publishedAfter) return false;
  for (const [key, value] of Object.entries(f.attributes ?? {})) {
    if (doc.attributes[key] === undefined || String(doc.attributes[key]) !== value) return false;
  }
  for (const [key, { min, max }] of Object.entries(f.attributeRanges ?? {})) {
    const n = attributeNumber(doc.attributes[key]);
    if (!Number.isFinite(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) return false;
  }
  return true;
}

/** A listing's text columns, cut once for all the searches it is checked against. */
export type ListingText = string[];
export const listingText = (doc: SearchDocument): ListingText => columnsOf(doc);

/** Whether the listing fits the search: every filter, and every word (as typed or as a synonym) somewhere in it. */
export function fits(doc: SearchDocument, text: ListingText, filters: SearchFilters, query: ParsedQuery): boolean {
  return passesFilters(doc, filters) && query.words.every((w) => wordIn(text, w));
}
