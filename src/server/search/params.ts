// What a search request may ask for, from a URL's query string (the /search page and GET /api/v1/search read the
// same names), validated with message keys and resolved against the taxonomy. A query text never fails: any input
// is cut and cleaned into something searchable. Filters that make no sense are InvalidErrors (a 400 with a message).
import { z } from 'zod';
import { LISTING_KINDS, type CategoryAttribute, type ListingKind } from '../../../db/schema.ts';
import { InvalidError } from '../errors.ts';
import { MAX_PAGE, PAGE_SIZE } from '../pagination.ts';
import type { Category, Region, Taxonomy } from '../taxonomy/taxonomy.ts';
import { parseInput } from '../validation.ts';
import { MAX_QUERY_CHARS, normalize } from './text.ts';
import { SORTS, type SearchFilters, type SortKey } from './types.ts';

export const DAY_OPTIONS = [1, 3, 7, 30] as const;
const DAY = 86_400_000;

const yuan = (key: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,9}(\.\d{1,2})?$/, key)
    .transform((s) => Math.round(Number(s) * 100))
    .optional();

const flag = z.enum(['1', 'true', 'on']).optional();

/** The query names a search reads (GET /api/v1/search documents its parameters from this schema). */
export const searchParamsSchema = z
  .object({
    q: z.string().optional(),
    kind: z.enum(LISTING_KINDS, 'search.invalidKind').optional(),
    region: z.string().trim().min(1).max(64).optional(),
    category: z.string().trim().min(1).max(64).optional(),
    price_min: yuan('search.invalidPrice'),
    price_max: yuan('search.invalidPrice'),
    images: flag,
    verified: flag,
    days: z.enum(DAY_OPTIONS.map(String) as [string, ...string[]], 'search.invalidDays').transform(Number).optional(),
    sort: z.enum(SORTS, 'search.invalidSort').optional(),
    page: z
      .string()
      .regex(/^[1-9]\d{0,5}$/, 'search.invalidPage')
      .transform(Number)
      .refine((n) => n <= MAX_PAGE, 'search.pageTooDeep')
      .optional(),
  })
  .refine((v) => v.price_min === undefined || v.price_max === undefined || v.price_min <= v.price_max, {
    message: 'search.priceRange',
    path: ['price_max'],
  });

export interface SearchState {
  /** The query as typed, cleaned (what the search box shows again). */
  q: string;
  kind?: ListingKind;
  region?: Region;
  category?: Category;
  /** Fen. */
  priceMin?: number;
  priceMax?: number;
  images: boolean;
  verified: boolean;
  days?: number;
  /** Chosen options of the subcategory's choice attributes. */
  attributes: Record<string, string>;
  /** Bounds on its number attributes. */
  attributeRanges: Record<string, { min?: number; max?: number }>;
  /** As asked; the default (relevance with a query, newest without) is left undefined so URLs stay short. */
  sort?: SortKey;
  page: number;
}

/** Names from a query string: repeated names keep their first value; empty ones (a form's blank field) are absent. */
export type RawParams = Record<string, string | undefined>;

export function rawParams(search: URLSearchParams): RawParams {
  const out: RawParams = {};
  for (const [k, v] of search) if (!(k in out) && v.trim() !== '') out[k] = v;
  return out;
}

function byIdOrSlug<T extends { id: number; slug: string }>(tree: { byId: Map<number, T>; bySlug: Map<string, T> }, raw: string): T | undefined {
  return /^\d{1,12}$/.test(raw) ? tree.byId.get(Number(raw)) : tree.bySlug.get(raw);
}

/** Cleans a query: no control characters, whitespace collapsed, at most MAX_QUERY_CHARS characters. */
export function cleanQuery(raw: string | undefined): string {
  if (!raw) return '';
  // eslint-disable-next-line no-control-regex
  const text = [...raw.slice(0, MAX_QUERY_CHARS * 4).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim()];
  return text.slice(0, MAX_QUERY_CHARS).join('').trim();
}

export function parseSearchState(taxonomy: Taxonomy, raw: RawParams): SearchState {
  const v = parseInput(searchParamsSchema, Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined && x.trim() !== '')));
  const fields: Record<string, string> = {};
  const region = v.region === undefined ? undefined : byIdOrSlug(taxonomy.regions, v.region);
  if (v.region !== undefined && (!region || region.parentId === null)) fields.region = 'search.unknownRegion';
  const category = v.category === undefined ? undefined : byIdOrSlug(taxonomy.categories, v.category);
  if (v.category !== undefined && !category) fields.category = 'search.unknownCategory';

  const attributes: Record<string, string> = {};
  const attributeRanges: Record<string, { min?: number; max?: number }> = {};
  const defs: CategoryAttribute[] = category?.parentId !== null && category ? category.attributes : [];
  for (const def of defs) {
    if (def.type === 'choice') {
      const value = raw[`a.${def.key}`]?.trim();
      if (!value) continue;
      if (def.options.includes(value)) attributes[def.key] = value;
      else fields[`a.${def.key}`] = 'search.invalidAttribute';
    } else if (def.type === 'number') {
      const bounds: { min?: number; max?: number } = {};
      for (const end of ['min', 'max'] as const) {
        const value = raw[`a.${def.key}.${end}`]?.trim();
        if (!value) continue;
        if (/^-?\d{1,9}(\.\d{1,3})?$/.test(value)) bounds[end] = Number(value);
        else fields[`a.${def.key}.${end}`] = 'search.invalidAttribute';
      }
      if (bounds.min !== undefined || bounds.max !== undefined) attributeRanges[def.key] = bounds;
    }
  }
  if (Object.keys(fields).length > 0) throw new InvalidError('invalid search', fields);

  return {
    q: cleanQuery(v.q),
    kind: v.kind,
    region,
    category,
    priceMin: v.price_min,
    priceMax: v.price_max,
    images: v.images !== undefined,
    verified: v.verified !== undefined,
    days: v.days,
    attributes,
    attributeRanges,
    sort: v.sort,
    page: v.page ?? 1,
  };
}

/** The engine filters of a state: a city includes its counties, an industry its subcategories. */
export function filtersOf(taxonomy: Taxonomy, s: SearchState, now: number): SearchFilters {
  const f: SearchFilters = {};
  if (s.kind) f.kind = s.kind;
  // A county comes with its city and a subcategory with its industry: engines filter on the narrower one and may
  // count the group's facet (the city's counties, the industry's subcategories) within the wider one.
  if (s.region) {
    const path = taxonomy.regions.path(s.region.id);
    f.cityId = path[1]!.id;
    if (path.length > 2) f.regionId = s.region.id;
  }
  if (s.category) {
    f.topCategoryId = taxonomy.categories.path(s.category.id)[0]!.id;
    if (s.category.parentId !== null) f.categoryId = s.category.id;
  }
  if (s.priceMin !== undefined) f.priceMin = s.priceMin;
  if (s.priceMax !== undefined) f.priceMax = s.priceMax;
  if (s.images) f.hasImages = true;
  if (s.verified) f.verified = true;
  if (s.days !== undefined) f.publishedAfter = now - s.days * DAY;
  if (Object.keys(s.attributes).length > 0) f.attributes = { ...s.attributes };
  if (Object.keys(s.attributeRanges).length > 0) f.attributeRanges = { ...s.attributeRanges };
  return f;
}

export const effectiveSort = (s: SearchState): SortKey => s.sort ?? (normalize(s.q).trim() ? 'relevance' : 'newest');

export { PAGE_SIZE };

/** The query string of a state (its URL), with `patch` applied; undefined removes a name. Page 1 is never written. */
export function searchQuery(s: SearchState, patch: Record<string, string | undefined> = {}): string {
  const p: Record<string, string | undefined> = {
    q: s.q || undefined,
    kind: s.kind,
    region: s.region?.slug,
    category: s.category?.slug,
    price_min: s.priceMin === undefined ? undefined : String(s.priceMin / 100),
    price_max: s.priceMax === undefined ? undefined : String(s.priceMax / 100),
    images: s.images ? '1' : undefined,
    verified: s.verified ? '1' : undefined,
    days: s.days === undefined ? undefined : String(s.days),
    sort: s.sort,
  };
  for (const [k, v] of Object.entries(s.attributes)) p[`a.${k}`] = v;
  for (const [k, { min, max }] of Object.entries(s.attributeRanges)) {
    if (min !== undefined) p[`a.${k}.min`] = String(min);
    if (max !== undefined) p[`a.${k}.max`] = String(max);
  }
  p.page = s.page > 1 ? String(s.page) : undefined;
  // Changing anything but the page starts again at page 1.
  if (!('page' in patch)) p.page = undefined;
  // A new category leaves the old one's attribute filters behind.
  if ('category' in patch) for (const k of Object.keys(p)) if (k.startsWith('a.')) p[k] = undefined;
  Object.assign(p, patch);
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') out.set(k, v);
  const qs = out.toString();
  return qs ? `?${qs}` : '';
}

/** Only a plain query (and its page) is a page crawlers should index; every filter combination is noindex. */
export function isPlainQuery(s: SearchState): boolean {
  return searchQuery({ ...s, page: 1 }).replace(/^\?/, '').split('&').every((part) => part === '' || part.startsWith('q='));
}
