// The Meilisearch engine, used for queries when MEILI_URL is set. The pure parts (settings, their diff, documents,
// filters with escaped values) are exported for unit tests; the engine class is the thin I/O around them.
import { Meilisearch, type Filter, type MultiSearchQuery, type Settings } from 'meilisearch';
import type { Dictionary } from './dictionary.ts';
import type { SearchDocument } from './documents.ts';
import { documentKey, EXACT_LIMIT } from './fts.ts';
import { emptyFacets, type EngineRequest, type EngineResult, type SearchEngine, type SearchFilters, type SortKey } from './types.ts';

/** Bump when the document shape changes: start-up then rebuilds the Meilisearch index from SQLite. */
export const MEILI_VERSION = '2';
/**
 * Meilisearch counts hits exactly up to this many (page-based pagination); past it the total and facets are
 * Meilisearch's estimate, labelled `exact: false` like FTS5's. Same threshold as FTS5's exact facets.
 */
export const MEILI_MAX_TOTAL_HITS = EXACT_LIMIT;
const TASK_TIMEOUT_MS = 30_000;

export interface MeiliDocument {
  id: number;
  title: string;
  categoryNames: string[];
  attributeValues: string[];
  /** English names of its attributes, as FTS5 indexes them. */
  attributeNames: string[];
  companyName: string;
  description: string;
  kind: string;
  cityId: number;
  regionId: number;
  topCategoryId: number;
  categoryId: number;
  companyId: number;
  attrs: Record<string, string | number>;
  /** Absent for negotiable listings, which then sort last either way and never match a price filter. */
  priceLow?: number;
  priceHigh?: number;
  hasImages: boolean;
  verified: boolean;
  publishedAt: number;
  expiresAt: number;
  /** FTS5's rowid: (minute published, id), the same newest-first order and tie-break on both engines. */
  freshness: number;
}

export function toMeiliDocument(doc: SearchDocument): MeiliDocument {
  const out: MeiliDocument = {
    id: doc.id,
    title: doc.title,
    categoryNames: doc.categoryNames,
    attributeValues: Object.values(doc.attributes).map(String),
    attributeNames: doc.attributeNames,
    companyName: doc.companyName,
    description: doc.description,
    kind: doc.kind,
    cityId: doc.cityId,
    regionId: doc.regionId,
    topCategoryId: doc.topCategoryId,
    categoryId: doc.categoryId,
    companyId: doc.companyId,
    attrs: doc.attributes,
    hasImages: doc.hasImages,
    verified: doc.verified,
    publishedAt: doc.publishedAt,
    expiresAt: doc.expiresAt,
    freshness: documentKey(doc),
  };
  if (doc.priceMin !== null && doc.priceMax !== null) {
    out.priceLow = doc.priceMin;
    out.priceHigh = doc.priceMax;
  }
  return out;
}

// In rank order: the `attribute` rule puts title matches before category/attribute ones before the rest.
const SEARCHABLE = ['title', 'categoryNames', 'attributeValues', 'attributeNames', 'companyName', 'description'];

/** The index settings we own; the rest of Meilisearch's settings stay as they are. */
export function desiredSettings(dictionary: Dictionary): Settings {
  const synonyms: Record<string, string[]> = {};
  for (const [word, group] of dictionary.synonymsOf) synonyms[word] = group.filter((w) => w !== word).sort();
  return {
    searchableAttributes: SEARCHABLE,
    filterableAttributes: [
      'kind', 'cityId', 'regionId', 'topCategoryId', 'categoryId', 'companyId', 'attrs',
      'priceLow', 'priceHigh', 'hasImages', 'verified', 'publishedAt', 'expiresAt',
    ].sort(),
    sortableAttributes: ['freshness', 'priceHigh', 'priceLow', 'publishedAt'],
    // The FTS5 contract as far as Meilisearch allows: every word required (matchingStrategy 'all'), then where they
    // matched (title > category/attributes > the rest), then the query as typed over its words apart and over
    // synonyms (exactness, proximity), then freshest first with FTS5's tie-break. Our sort sits after the text rules,
    // so relevance decides first with a query and the sort without one.
    rankingRules: ['words', 'attribute', 'exactness', 'proximity', 'typo', 'sort', 'freshness:desc'],
    typoTolerance: { enabled: true, disableOnNumbers: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
    // Never let Meilisearch take a short Chinese text for Japanese.
    localizedAttributes: [{ attributePatterns: SEARCHABLE, locales: ['cmn'] }],
    synonyms,
    dictionary: [...dictionary.words].sort(),
    pagination: { maxTotalHits: MEILI_MAX_TOTAL_HITS },
    faceting: { maxValuesPerFacet: 200 },
  };
}

function canonical(key: string, value: unknown): unknown {
  // Order does not matter in these lists, so compare them sorted; rankingRules and searchableAttributes keep order.
  if (['filterableAttributes', 'sortableAttributes', 'dictionary'].includes(key) && Array.isArray(value)) {
    return [...value].map(String).sort();
  }
  if (key === 'synonyms' && value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, string[]>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, [...v].sort()]),
    );
  }
  return value;
}

function sameJson(a: unknown, b: unknown): boolean {
  const stable = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(stable)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)).map(([k, w]) => [k, stable(w)]))
        : v;
  return JSON.stringify(stable(a)) === JSON.stringify(stable(b));
}

/** The settings that differ from what the index has (empty: nothing to send), so start-up applies them only once. */
export function settingsDiff(current: Settings, desired: Settings): Settings {
  const out: Record<string, unknown> = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = (current as Record<string, unknown>)[key];
    if (want && typeof want === 'object' && !Array.isArray(want) && have && typeof have === 'object' && !Array.isArray(have) && key !== 'synonyms') {
      // Nested settings (typoTolerance, pagination, faceting): compare only the fields we set.
      const subset = Object.fromEntries(Object.keys(want).map((k) => [k, (have as Record<string, unknown>)[k]]));
      if (!sameJson(subset, want)) out[key] = want;
    } else if (!sameJson(canonical(key, have), canonical(key, want))) {
      out[key] = want;
    }
  }
  return out as Settings;
}

/** A string value inside a Meilisearch filter: always double-quoted, with quotes and backslashes escaped. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const ATTRIBUTE_KEY = /^[a-z][a-z0-9_]*$/;
function attributeField(key: string): string {
  // Keys come from the category's definitions; anything else would be a field path injected into the filter.
  if (!ATTRIBUTE_KEY.test(key)) throw new Error(`not an attribute key: ${key}`);
  return `attrs.${key}`;
}

const int = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`not a number: ${n}`);
  return String(Math.trunc(n));
};
const num = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`not a number: ${n}`);
  return String(n);
};

type Group = 'kind' | 'region' | 'category' | `attr:${string}`;

/** The filter expressions (ANDed) for the filters, leaving out one facet group when counting that group. */
export function buildFilter(f: SearchFilters, now: number, without?: Group): string[] {
  const out = [`expiresAt > ${int(now)}`];
  if (f.kind && without !== 'kind') out.push(`kind = ${quote(f.kind)}`);
  if (without !== 'region') {
    if (f.regionId !== undefined) out.push(`regionId = ${int(f.regionId)}`);
    else if (f.cityId !== undefined) out.push(`cityId = ${int(f.cityId)}`);
  }
  if (without !== 'category') {
    if (f.categoryId !== undefined) out.push(`categoryId = ${int(f.categoryId)}`);
    else if (f.topCategoryId !== undefined) out.push(`topCategoryId = ${int(f.topCategoryId)}`);
  }
  if (f.priceMin !== undefined) out.push(`priceHigh >= ${int(f.priceMin)}`);
  if (f.priceMax !== undefined) out.push(`priceLow <= ${int(f.priceMax)}`);
  if (f.hasImages) out.push('hasImages = true');
  if (f.verified) out.push('verified = true');
  if (f.publishedAfter !== undefined) out.push(`publishedAt >= ${int(f.publishedAfter)}`);
  for (const [key, value] of Object.entries(f.attributes ?? {})) {
    if (without !== `attr:${key}`) out.push(`${attributeField(key)} = ${quote(value)}`);
  }
  for (const [key, { min, max }] of Object.entries(f.attributeRanges ?? {})) {
    if (min !== undefined) out.push(`${attributeField(key)} >= ${num(min)}`);
    if (max !== undefined) out.push(`${attributeField(key)} <= ${num(max)}`);
  }
  return out;
}

export function sortFor(sort: SortKey, hasQuery: boolean): string[] | undefined {
  switch (sort) {
    case 'newest':
      return ['freshness:desc'];
    case 'price_asc':
      return ['priceLow:asc', 'freshness:desc'];
    case 'price_desc':
      return ['priceHigh:desc', 'freshness:desc'];
    default:
      return hasQuery ? undefined : ['freshness:desc'];
  }
}

const toCounts = (d: Record<string, number> | undefined) => ({ ...(d ?? {}) });

/** The multi-search of one request: the page of hits, then one facet-only query per group that has its own filter. */
export function buildQueries(indexUid: string, req: EngineRequest): { queries: MultiSearchQuery[]; groups: (Group | null)[] } {
  const f = req.filters;
  const attrFacets = req.facetAttributes.map((a) => a.key);
  const groupFields: [Group, string[], boolean][] = [
    ['kind', ['kind'], f.kind !== undefined],
    ['region', ['cityId', 'regionId'], f.cityId !== undefined || f.regionId !== undefined],
    ['category', ['topCategoryId', 'categoryId'], f.topCategoryId !== undefined || f.categoryId !== undefined],
    ...attrFacets.map((k): [Group, string[], boolean] => [`attr:${k}`, [attributeField(k)], f.attributes?.[k] !== undefined]),
  ];
  // matchingStrategy 'all': every word must match, as in FTS5 (the default drops words until something matches).
  const base = { indexUid, q: req.text, locales: ['cmn' as const], matchingStrategy: 'all' as const };
  const queries: MultiSearchQuery[] = [
    {
      ...base,
      filter: buildFilter(f, req.now) as Filter,
      sort: sortFor(req.sort, req.text !== ''),
      page: req.page,
      hitsPerPage: req.pageSize,
      attributesToRetrieve: ['id'],
      facets: groupFields.filter(([, , active]) => !active).flatMap(([, fields]) => fields),
    },
  ];
  const groups: (Group | null)[] = [null];
  for (const [group, fields, active] of groupFields) {
    if (!active) continue;
    queries.push({ ...base, filter: buildFilter(f, req.now, group) as Filter, hitsPerPage: 0, facets: fields });
    groups.push(group);
  }
  return { queries, groups };
}

export interface MeiliSettings {
  url: string;
  apiKey?: string;
  index: string;
}

export class MeiliEngine implements SearchEngine {
  readonly name = 'meili' as const;
  readonly client: Meilisearch;
  constructor(readonly settings: MeiliSettings) {
    this.client = new Meilisearch({ host: settings.url, apiKey: settings.apiKey, timeout: 5000 });
  }

  private get index() {
    return this.client.index<MeiliDocument>(this.settings.index);
  }

  /** Creates the index if needed and sends the settings that differ; returns whether any were sent. */
  async applySettings(dictionary: Dictionary): Promise<boolean> {
    const exists = await this.index.getRawInfo().then(
      () => true,
      () => false,
    );
    if (!exists) await this.client.createIndex(this.settings.index, { primaryKey: 'id' }).waitTask({ timeout: TASK_TIMEOUT_MS });
    const diff = settingsDiff(await this.index.getSettings(), desiredSettings(dictionary));
    if (Object.keys(diff).length === 0) return false;
    await this.index.updateSettings(diff).waitTask({ timeout: TASK_TIMEOUT_MS });
    return true;
  }

  async documentCount(): Promise<number> {
    return (await this.index.getStats()).numberOfDocuments;
  }

  /** Adds or replaces the live documents and deletes the other ids, waiting until both are searchable. */
  async apply(docs: readonly SearchDocument[], deleteIds: readonly number[]): Promise<void> {
    if (deleteIds.length > 0) await this.index.deleteDocuments([...deleteIds]).waitTask({ timeout: TASK_TIMEOUT_MS });
    if (docs.length > 0) await this.index.addDocuments(docs.map(toMeiliDocument), { primaryKey: 'id' }).waitTask({ timeout: TASK_TIMEOUT_MS });
  }

  /**
   * Rebuilds into a side index and swaps it in, so searches keep their answers while it runs; returns the count.
   */
  async rebuild(dictionary: Dictionary, batches: Iterable<SearchDocument[]>): Promise<number> {
    const side = new MeiliEngine({ ...this.settings, index: `${this.settings.index}_rebuild` });
    await this.client.deleteIndexIfExists(side.settings.index);
    await side.applySettings(dictionary);
    let n = 0;
    for (const batch of batches) {
      await side.apply(batch, []);
      n += batch.length;
    }
    await this.applySettings(dictionary);
    await this.client.swapIndexes([{ indexes: [this.settings.index, side.settings.index], rename: false }]).waitTask({ timeout: TASK_TIMEOUT_MS });
    await this.client.deleteIndex(side.settings.index).waitTask({ timeout: TASK_TIMEOUT_MS });
    return n;
  }

  async search(req: EngineRequest): Promise<EngineResult> {
    const { queries, groups } = buildQueries(this.settings.index, req);
    const { results } = await this.client.multiSearch({ queries });
    const facets = emptyFacets();
    results.forEach((res, i) => {
      const group = groups[i];
      const dist = res.facetDistribution ?? {};
      if (!group || group === 'kind') if (dist.kind) facets.kind = toCounts(dist.kind);
      if (!group || group === 'region') {
        if (dist.cityId) facets.city = toCounts(dist.cityId);
        if (dist.regionId) facets.region = toCounts(dist.regionId);
      }
      if (!group || group === 'category') {
        if (dist.topCategoryId) facets.topCategory = toCounts(dist.topCategoryId);
        if (dist.categoryId) facets.category = toCounts(dist.categoryId);
      }
      for (const a of req.facetAttributes) {
        if ((!group || group === `attr:${a.key}`) && dist[`attrs.${a.key}`]) facets.attributes[a.key] = toCounts(dist[`attrs.${a.key}`]);
      }
    });
    const main = results[0]!;
    const total = 'totalHits' in main && typeof main.totalHits === 'number' ? main.totalHits : (main.estimatedTotalHits ?? 0);
    const exact = total < MEILI_MAX_TOTAL_HITS;
    return { ids: main.hits.map((h) => Number(h.id)), total, exact, facetsExact: exact, facets };
  }
}
