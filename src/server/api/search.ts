// GET /api/v1/search and GET /api/v1/suggest as the API serves them: the search service's own JSON shapes
// (search/api.ts) typed by zod schemas here, so the OpenAPI document is generated from what the handlers return, and a
// refused filter worded for an integration: the parameter, the value received and what it takes.
import { z } from 'zod';
import { LISTING_KINDS } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';
import { searchApi, suggestApi } from '../search/api.ts';
import { rawParams } from '../search/params.ts';
import { SORTS } from '../search/types.ts';
import { parseInput } from '../validation.ts';

const place = z.object({ id: z.int(), slug: z.string(), name: z.string().meta({ description: "In the reader's language (Accept-Language)" }) });
const facetPlace = place.extend({ count: z.int(), selected: z.boolean() });

export const searchHitSchema = z
  .object({
    id: z.int(),
    url: z.string().meta({ description: "The listing page's path" }),
    kind: z.enum(LISTING_KINDS),
    title: z.string(),
    titleHtml: z.string().meta({ description: 'The title, HTML-escaped, with the matched words in <mark>' }),
    snippetHtml: z.string().meta({ description: 'Part of the description around the first match, HTML-escaped, matches in <mark>' }),
    price: z.object({
      min: z.int().nullable().meta({ description: 'Fen (1/100 yuan); null when negotiable' }),
      max: z.int().nullable(),
      unit: z.string(),
      negotiable: z.boolean(),
      currency: z.string().meta({ example: 'CNY' }),
      minorUnits: z.string().meta({ description: 'The unit of min and max: fen, 1/100 of a yuan', example: 'fen' }),
    }),
    region: place.nullable(),
    category: place.nullable(),
    company: z.object({ name: z.string(), url: z.string(), verified: z.boolean() }),
    publishedAt: z.int().nullable().meta({ description: 'Epoch milliseconds' }),
    image: z.string().nullable().meta({ description: 'Path of the first photo, 320 px wide' }),
  })
  .meta({ id: 'SearchHit' });

export const searchAnswerSchema = z
  .object({
    query: z.string().meta({ description: 'The query as read (cleaned)' }),
    sort: z.enum(SORTS),
    hits: z.array(searchHitSchema),
    total: z.int(),
    totalExact: z.boolean().meta({ description: 'false when total is an estimate (a very broad query)' }),
    facetsExact: z.boolean().meta({ description: 'false when the facet counts are estimates' }),
    page: z.int(),
    pages: z.int(),
    facets: z.object({
      kind: z.record(z.string(), z.int()).meta({ description: 'supply / demand -> count' }),
      region: z.array(facetPlace).meta({ description: 'Cities, or the counties of the chosen city' }),
      category: z.array(facetPlace).meta({ description: 'Industries, or the subcategories of the chosen industry' }),
      attributes: z
        .record(z.string(), z.array(z.object({ value: z.string(), count: z.int(), selected: z.boolean() })))
        .meta({ description: "The chosen subcategory's choice attributes: key -> values with counts" }),
    }),
    next: z.string().nullable().meta({ description: "The next page's path, or null on the last" }),
  })
  .meta({ id: 'SearchResults' });
export type SearchAnswer = z.infer<typeof searchAnswerSchema>;

export const typeaheadQuerySchema = z.object({
  q: z.string().optional().meta({ description: 'What has been typed so far; empty answers no suggestions' }),
  lang: z.enum(['zh', 'en']).optional().meta({ description: "Names and links in this language (the header search of English pages sends en); otherwise Accept-Language's" }),
});

export const typeaheadAnswerSchema = z
  .object({
    query: z.string(),
    suggestions: z.array(
      z.object({
        type: z.enum(['category', 'listing', 'company']),
        text: z.string(),
        url: z.string().meta({ description: 'Where choosing it goes: a search in the category, the listing, the company' }),
      }),
    ),
  })
  .meta({ id: 'Suggestions' });
export type TypeaheadAnswer = z.infer<typeof typeaheadAnswerSchema>;

/** The search's own message keys (worded for the /search page's form) -> the API's, which name parameter and values. */
const API_KEYS: Record<string, string> = {
  'search.invalidKind': 'api.search.kind',
  'search.invalidPrice': 'api.search.price',
  'search.priceRange': 'api.search.priceRange',
  'search.invalidDays': 'api.search.days',
  'search.invalidSort': 'api.search.sort',
  'search.invalidPage': 'api.search.page',
  'search.pageTooDeep': 'api.search.page',
  'search.unknownRegion': 'api.search.region',
  'search.unknownCategory': 'api.search.category',
  'search.invalidAttribute': 'api.search.attribute',
};

export async function searchListingsApi(db: Db, query: URLSearchParams, now: number, locale: Locale): Promise<SearchAnswer> {
  try {
    return await searchApi(db, rawParams(query), now, locale);
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    const fields = Object.fromEntries(Object.entries(e.fields).map(([k, key]) => [k, API_KEYS[key] ?? key]));
    throw new InvalidError(e.message, fields, e.fieldParams);
  }
}

export function typeaheadApi(db: Db, query: URLSearchParams, locale: Locale): TypeaheadAnswer {
  const { q, lang } = parseInput(typeaheadQuerySchema, { q: query.get('q') ?? undefined, lang: query.get('lang') ?? undefined });
  return suggestApi(db, q ?? null, lang === 'en' ? 'en' : lang === 'zh' ? 'zh-CN' : locale);
}
