// Which listings of the other side fit a listing: a demand against live supply, a supply against live demand. The
// text relevance comes from the search engine (searchListings, the interface both engines implement), asked once
// for the listing's key words together and once per word, within the subcategory and then the industry; the rest of
// the score is the subcategory and how close the region is (county > city > province). Pure scoring is kept apart
// from the searching so the quality fixture can measure it.
import { inArray } from 'drizzle-orm';
import { listings, type ListingKind } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { placeNames, titleWords } from '../category-suggest/index.ts';
import { pacer } from '../observability/jobs.ts';
import { searchListings } from '../search/index.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';

export const MAX_LEADS_PER_LISTING = 20;

/** What a listing is matched by. */
export interface MatchSubject {
  id: number;
  companyId: number;
  kind: ListingKind;
  title: string;
  categoryId: number;
  topCategoryId: number;
  regionId: number;
  cityId: number;
  attributes: Record<string, string | number>;
}

export interface Match {
  listingId: number;
  companyId: number;
  /** Relevance x 1000. */
  score: number;
}

/** The words of a title (and its choice attributes) that name the goods, longest (most telling) first. */
export function keyTerms(title: string, attributes: Record<string, string | number>, places: Set<string>): string[] {
  const choices = Object.values(attributes).filter((v): v is string => typeof v === 'string');
  return titleWords([title, ...choices].join(' '), places);
}

/** Region closeness: the same county, the same city, elsewhere in the province. */
export function regionCloseness(a: { regionId: number; cityId: number }, b: { regionId: number; cityId: number }): number {
  if (a.regionId === b.regionId) return 1;
  if (a.cityId === b.cityId) return 0.6;
  return 0.2;
}

interface Candidate {
  id: number;
  companyId: number;
  categoryId: number;
  topCategoryId: number;
  regionId: number;
  cityId: number;
}

/** Hits per query: for each candidate, the weight of the searches that found it and its best rank among them. */
export interface TextEvidence {
  /** Sum of the weights of the searches that returned it (the full key phrase weighs most). */
  weight: number;
  /** 0 for the first hit of the full phrase search, growing with its rank; 1 when only single words found it. */
  rank: number;
}

/** The score of one candidate (higher is better), from the text evidence, the subcategory and the region. */
export function scoreCandidate(subject: MatchSubject, c: Candidate, text: TextEvidence, maxWeight: number): number {
  const textScore = maxWeight > 0 ? text.weight / maxWeight : 0;
  const category = c.categoryId === subject.categoryId ? 1 : 0;
  return 3 * textScore + 0.5 * (1 - text.rank) + 1.5 * category + 0.8 * regionCloseness(subject, c);
}

const PHRASE_WEIGHT = 3;
const WORD_WEIGHT = 1;
const PAGES = 2;

/**
 * The best-fitting live listings of other companies, one per company (its best), best first, at most `limit`.
 * Every search goes through searchListings, so it is whichever engine is active.
 */
export async function findMatches(db: Db, subject: MatchSubject, now: number, limit = MAX_LEADS_PER_LISTING): Promise<Match[]> {
  const taxonomy = getTaxonomy(db);
  const other: ListingKind = subject.kind === 'demand' ? 'supply' : 'demand';
  const leaf = taxonomy.categories.byId.get(subject.categoryId);
  const top = taxonomy.categories.byId.get(subject.topCategoryId);
  const terms = keyTerms(subject.title, subject.attributes, placeNames(taxonomy.regions));
  // Per candidate: which searches found it (by name, so the same search narrowed to a region counts once).
  const found = new Map<number, { by: Map<string, number>; rank: number }>();
  const note = (ids: number[], name: string, weight: number, ranked: boolean) => {
    ids.forEach((id, i) => {
      const e = found.get(id) ?? { by: new Map<string, number>(), rank: 1 };
      e.by.set(name, weight);
      if (ranked) e.rank = Math.min(e.rank, i / (ids.length || 1));
      found.set(id, e);
    });
  };
  const pace = pacer('lead-matcher');
  const search = async (q: string, category: string | undefined, region?: string): Promise<number[]> => {
    const ids: number[] = [];
    for (let page = 1; page <= PAGES; page++) {
      const params: Record<string, string> = { kind: other, sort: q ? 'relevance' : 'newest' };
      if (q) params.q = q;
      if (category) params.category = category;
      if (region) params.region = region;
      if (page > 1) params.page = String(page);
      // Between searches the event loop serves requests (and under traffic the matcher pauses): SQLite answers
      // synchronously, so a burst of matching (a bulk import queues thousands) would otherwise hold every page behind it.
      await pace();
      const r = await searchListings(db, params, now);
      ids.push(...r.hits.map((h) => h.id));
      if (page >= r.pages) break;
    }
    return ids;
  };
  // The county and the city too: a search ranks by text alone, so among many equal texts the near ones would be
  // missed beyond its first pages.
  const places = [taxonomy.regions.byId.get(subject.regionId)?.slug, taxonomy.regions.byId.get(subject.cityId)?.slug, undefined];
  let maxWeight = 0;
  if (terms.length > 0) {
    const phrase = terms.join(' ');
    // The whole phrase in the subcategory, then in the industry: a supplier naming every word is the best sign.
    // A hit in the subcategory is a hit in its industry too, whether or not that search paged as far.
    for (const region of places) {
      const ids = await search(phrase, leaf?.slug, region);
      note(ids, 'phrase', PHRASE_WEIGHT, true);
      note(ids, 'phrase-industry', PHRASE_WEIGHT, false);
    }
    note(await search(phrase, top?.slug), 'phrase-industry', PHRASE_WEIGHT, true);
    maxWeight += PHRASE_WEIGHT * 2;
    if (terms.length > 1) {
      for (const term of terms) note(await search(term, top?.slug), `word:${term}`, WORD_WEIGHT, false);
      maxWeight += WORD_WEIGHT * terms.length;
    }
  }
  // The subcategory's newest listings, near first, for goods named in words nobody else used.
  for (const region of places) note(await search('', leaf?.slug, region), 'newest', 0, false);
  const evidence = new Map<number, TextEvidence>(
    [...found].map(([id, e]) => [id, { weight: [...e.by.values()].reduce((a, b) => a + b, 0), rank: e.rank }]),
  );

  const ids = [...evidence.keys()];
  const rows: Candidate[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(
      ...db
        .select({
          id: listings.id,
          companyId: listings.companyId,
          categoryId: listings.categoryId,
          topCategoryId: listings.topCategoryId,
          regionId: listings.regionId,
          cityId: listings.cityId,
        })
        .from(listings)
        .where(inArray(listings.id, ids.slice(i, i + 500)))
        .all(),
    );
  }
  const best = new Map<number, Match>();
  for (const c of rows) {
    if (c.companyId === subject.companyId || c.topCategoryId !== subject.topCategoryId) continue;
    const e = evidence.get(c.id)!;
    // Without a word in common a listing fits only when it is of the very same subcategory.
    if (e.weight === 0 && c.categoryId !== subject.categoryId) continue;
    const score = Math.round(1000 * scoreCandidate(subject, c, e, maxWeight));
    const prev = best.get(c.companyId);
    if (!prev || score > prev.score || (score === prev.score && c.id > prev.listingId)) {
      best.set(c.companyId, { listingId: c.id, companyId: c.companyId, score });
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score || b.listingId - a.listingId).slice(0, limit);
}
