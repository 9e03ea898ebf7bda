// The one interface both engines implement, in the app's own terms (ids of regions and categories, fen, epoch ms).
import type { CategoryAttribute, ListingKind } from '../../../db/schema.ts';
import type { ParsedQuery } from './text.ts';

export const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc'] as const;
export type SortKey = (typeof SORTS)[number];

export interface SearchFilters {
  kind?: ListingKind;
  /** A city: its own listings and its counties'. Set with regionId too (the county's city). */
  cityId?: number;
  /** A county-level region; when set, it is the filter (cityId is its city). */
  regionId?: number;
  /** An industry: its own subcategories. Set with categoryId too (the subcategory's industry). */
  topCategoryId?: number;
  /** A subcategory; when set, it is the filter. */
  categoryId?: number;
  /** Fen; a listing matches when its price range overlaps [priceMin, priceMax]; negotiable ones never do. */
  priceMin?: number;
  priceMax?: number;
  hasImages?: boolean;
  verified?: boolean;
  publishedAfter?: number;
  /** Choice attributes of the chosen subcategory: key -> the chosen option. */
  attributes?: Record<string, string>;
  /** Number attributes of the chosen subcategory: key -> inclusive bounds. */
  attributeRanges?: Record<string, { min?: number; max?: number }>;
}

export interface EngineRequest {
  query: ParsedQuery;
  /** The query as typed (normalised, cut to length), for engines that segment text themselves. */
  text: string;
  filters: SearchFilters;
  sort: SortKey;
  page: number;
  pageSize: number;
  /** Choice attributes of the chosen subcategory, whose values get facet counts. */
  facetAttributes: Extract<CategoryAttribute, { type: 'choice' }>[];
  now: number;
}

/** Facet counts by value; each group counted with every filter but its own. */
export interface Facets {
  kind: Record<string, number>;
  city: Record<number, number>;
  region: Record<number, number>;
  topCategory: Record<number, number>;
  category: Record<number, number>;
  attributes: Record<string, Record<string, number>>;
}

export interface EngineResult {
  ids: number[];
  total: number;
  /** False when the total is an estimate (a very broad query, on engines that cannot count it). */
  exact: boolean;
  /** False when facet counts are estimates (more than EXACT_LIMIT matches). */
  facetsExact: boolean;
  facets: Facets;
}

export interface SearchEngine {
  readonly name: 'fts' | 'meili';
  search(req: EngineRequest): Promise<EngineResult>;
}

export const emptyFacets = (): Facets => ({ kind: {}, city: {}, region: {}, topCategory: {}, category: {}, attributes: {} });
