// The search service: one entry point for the /search page and the JSON API. It validates the request, asks the
// active engine for ids and facet counts (Meilisearch when configured and reachable, else FTS5), and hydrates the
// page of results from SQLite, so what a card shows is always the stored listing.
import { inArray } from 'drizzle-orm';
import { companies, listings, type CategoryAttribute } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { listingCardsByIds, type ListingCard } from '../listings/queries.ts';
import { log } from '../observability/log.ts';
import { observeSearch } from '../observability/metrics.ts';
import { pageCount, PAGE_SIZE } from '../pagination.ts';
import { getTaxonomy, type Category, type Region } from '../taxonomy/taxonomy.ts';
import { currentDictionary, type Dictionary } from './dictionary.ts';
import { isLive } from './documents.ts';
import { ftsSuggest, FtsEngine } from './fts.ts';
import { MeiliEngine } from './meili.ts';
import { effectiveSort, filtersOf, parseSearchState, rawParams, type RawParams, type SearchState } from './params.ts';
import { highlight, normalize, parseQuery, snippet } from './text.ts';
import type { EngineResult, Facets, SearchEngine } from './types.ts';

export type { SearchState } from './params.ts';

/** The search dictionary in force: as edited in the console, else SEARCH_DICTIONARY_FILE; an edit applies at once. */
export function searchDictionary(db: Db): Dictionary {
  return currentDictionary(db, config().SEARCH_DICTIONARY_FILE);
}

let meili: MeiliEngine | null | undefined;
/** The Meilisearch engine when MEILI_URL is set, else null. */
export function meiliEngine(): MeiliEngine | null {
  if (meili === undefined) {
    const cfg = config();
    meili = cfg.MEILI_URL
      ? new MeiliEngine({ url: cfg.MEILI_URL, apiKey: cfg.MEILI_API_KEY ?? cfg.MEILI_MASTER_KEY, index: cfg.MEILI_INDEX })
      : null;
  }
  return meili;
}

// After Meilisearch fails, queries go to FTS5 for this long before trying it again.
const MEILI_RETRY_MS = 30_000;
let meiliDownUntil = 0;

/** Asks Meilisearch when it is configured and was not failing just now; FTS5 otherwise or when it fails. */
async function runSearch(db: Db, req: Parameters<SearchEngine['search']>[0], only?: SearchEngine): Promise<EngineResult & { engine: 'fts' | 'meili' }> {
  if (only) return timed(only, req);
  const m = meiliEngine();
  if (m && Date.now() >= meiliDownUntil) {
    try {
      return await timed(m, req);
    } catch (err) {
      meiliDownUntil = Date.now() + MEILI_RETRY_MS;
      log().warn({ err }, `search: Meilisearch failed; answering from FTS5 for ${MEILI_RETRY_MS / 1000} s`);
    }
  }
  return timed(new FtsEngine(db), req);
}

async function timed(engine: SearchEngine, req: Parameters<SearchEngine['search']>[0]): Promise<EngineResult & { engine: 'fts' | 'meili' }> {
  const started = performance.now();
  const result = await engine.search(req);
  observeSearch(engine.name, (performance.now() - started) / 1000);
  return { ...result, engine: engine.name };
}

export interface SearchHit extends ListingCard {
  /** Safe HTML: the title escaped, matches in <mark>. */
  titleHtml: string;
  /** Safe HTML: part of the description around the first match. */
  snippetHtml: string;
}

export interface FacetValue<T> {
  item: T;
  count: number;
  selected: boolean;
}

export interface AttributeFacet {
  attribute: Extract<CategoryAttribute, { type: 'choice' }>;
  values: { value: string; count: number; selected: boolean }[];
}

export interface SearchResults {
  state: SearchState;
  sort: ReturnType<typeof effectiveSort>;
  hits: SearchHit[];
  total: number;
  /** False when the total is an estimate (shown as "about"). */
  exact: boolean;
  /** False when facet counts are estimates (shown as "≈"). */
  facetsExact: boolean;
  page: number;
  pages: number;
  facets: {
    kind: { kind: 'supply' | 'demand'; count: number; selected: boolean }[];
    /** Cities, or the counties of the chosen city. */
    region: FacetValue<Region>[];
    /** Industries, or the subcategories of the chosen industry. */
    category: FacetValue<Category>[];
    attributes: AttributeFacet[];
    numberAttributes: Extract<CategoryAttribute, { type: 'number' }>[];
  };
  /** With no hits: categories whose names share words with the query, to try instead. */
  related: Category[];
  engine: 'fts' | 'meili';
}

/** Cards of the ids still live, in the engine's order (an engine may lag a change by a moment). */
function hydrate(db: Db, ids: number[], now: number, terms: string[]): SearchHit[] {
  if (ids.length === 0) return [];
  const rows = listingCardsByIds(db, ids);
  // Liveness is tested here, not in SQL: with the status in the WHERE clause SQLite reads the status index (every
  // active listing) instead of the twenty primary keys.
  const byId = new Map(rows.filter((r) => isLive(r, now)).map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    if (!row) return [];
    const { description, status: _status, expiresAt: _expiresAt, ...card } = row;
    return [{ ...card, titleHtml: highlight(card.title, terms), snippetHtml: snippet(description, terms) }];
  });
}

function facetList<T extends { id: number }>(items: T[], counts: Record<number, number>, selected: number | undefined): FacetValue<T>[] {
  return items
    .map((item) => ({ item, count: counts[item.id] ?? 0, selected: item.id === selected }))
    .filter((f) => f.count > 0 || f.selected)
    .sort((a, b) => b.count - a.count);
}

/**
 * Runs a search from a query string's parameters. Throws InvalidError for filters that make no sense. `engine`
 * forces one engine (the conformance suite); by default Meilisearch when configured and up, else FTS5.
 */
export async function searchListings(
  db: Db,
  input: URLSearchParams | RawParams,
  now: number,
  opts: { engine?: SearchEngine } = {},
): Promise<SearchResults> {
  const taxonomy = getTaxonomy(db);
  const state = parseSearchState(taxonomy, input instanceof URLSearchParams ? rawParams(input) : input);
  const query = parseQuery(state.q, searchDictionary(db));
  const sort = effectiveSort(state);
  const category = state.category;
  const leaf = category && category.parentId !== null ? category : undefined;
  const choiceAttributes = (leaf?.attributes ?? []).filter((a): a is Extract<CategoryAttribute, { type: 'choice' }> => a.type === 'choice');
  const result = await runSearch(db, {
    query,
    text: normalize(state.q).trim(),
    filters: filtersOf(taxonomy, state, now),
    sort,
    page: state.page,
    pageSize: PAGE_SIZE,
    facetAttributes: choiceAttributes,
    now,
  }, opts.engine);

  const f: Facets = result.facets;
  const cityOf = (r: Region | undefined) => (r ? taxonomy.regions.path(r.id)[1] : undefined);
  const city = cityOf(state.region);
  const regionFacet = city
    ? facetList(taxonomy.regions.children(city.id), f.region, state.region?.id)
    : facetList(taxonomy.regions.children(taxonomy.rootRegion.id), f.city, undefined);
  const top = category ? taxonomy.categories.path(category.id)[0] : undefined;
  const categoryFacet = top
    ? facetList(taxonomy.categories.children(top.id), f.category, category?.id)
    : facetList(taxonomy.categories.roots, f.topCategory, undefined);
  const attributes = choiceAttributes.map((attribute) => ({
    attribute,
    values: attribute.options
      .map((value) => ({ value, count: f.attributes[attribute.key]?.[value] ?? 0, selected: state.attributes[attribute.key] === value }))
      .filter((v) => v.count > 0 || v.selected),
  }));

  const hits = hydrate(db, result.ids, now, query.terms);
  const related =
    result.total === 0
      ? [...taxonomy.categories.byId.values()]
          .filter((c) => c.parentId !== null && query.terms.some((t) => [...t].some((ch) => /\p{Script=Han}/u.test(ch) && c.nameZh.includes(ch))))
          .slice(0, 8)
      : [];
  return {
    state,
    sort,
    hits,
    total: result.total,
    exact: result.exact,
    facetsExact: result.facetsExact,
    page: state.page,
    pages: pageCount(result.total),
    facets: {
      kind: (['supply', 'demand'] as const).map((kind) => ({ kind, count: f.kind[kind] ?? 0, selected: state.kind === kind })),
      region: regionFacet,
      category: categoryFacet,
      attributes,
      numberAttributes: (leaf?.attributes ?? []).filter((a): a is Extract<CategoryAttribute, { type: 'number' }> => a.type === 'number'),
    },
    related,
    engine: result.engine,
  };
}

export interface Suggestion {
  type: 'category' | 'listing' | 'company';
  text: string;
  /** Where choosing it goes: a search in the category, the listing's search, or the company's page. */
  id: number;
  slug: string;
}

const SUGGESTIONS = 8;

/** What to offer while someone types: matching categories, listing titles and companies. */
export function suggest(db: Db, raw: string | null | undefined): Suggestion[] {
  const q = normalize((raw ?? '').slice(0, 100)).trim();
  if (!q) return [];
  const query = parseQuery(q, searchDictionary(db));
  const taxonomy = getTaxonomy(db);
  const out: Suggestion[] = [];
  // Categories whose name starts with what is typed come first, then those containing it.
  const score = (c: Category) => {
    const names = [c.nameZh, c.nameEn.toLowerCase()];
    return names.some((n) => n.startsWith(q)) ? 0 : names.some((n) => n.includes(q)) ? 1 : 2;
  };
  const matching = [...taxonomy.categories.byId.values()].map((c) => ({ c, s: score(c) })).filter((x) => x.s < 2);
  for (const { c } of matching.sort((a, b) => a.s - b.s).slice(0, 3)) out.push({ type: 'category', text: c.nameZh, id: c.id, slug: c.slug });
  const { listingIds, companyIds } = ftsSuggest(db, query, SUGGESTIONS * 2);
  if (listingIds.length > 0) {
    const titles = db.select({ id: listings.id, title: listings.title, slug: listings.slug }).from(listings).where(inArray(listings.id, listingIds)).all();
    const seen = new Set<string>();
    for (const t of titles.sort((a, b) => b.id - a.id)) {
      if (out.length >= SUGGESTIONS - Math.min(2, companyIds.length)) break;
      if (seen.has(t.title)) continue;
      seen.add(t.title);
      out.push({ type: 'listing', text: t.title, id: t.id, slug: t.slug });
    }
  }
  if (companyIds.length > 0) {
    const rows = db.select({ id: companies.id, name: companies.name, slug: companies.slug }).from(companies).where(inArray(companies.id, companyIds)).all();
    for (const c of rows.slice(0, 2)) out.push({ type: 'company', text: c.name, id: c.id, slug: c.slug });
  }
  return out;
}
