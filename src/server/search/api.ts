// The JSON shapes of GET /api/v1/search and /api/v1/suggest: plain data from the search service, translated names,
// public paths. (The routes only turn these into responses.)
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import { localName, translator, type Locale, type MessageKey } from '../i18n/index.ts';
import { imageUrl } from '../media/index.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { companyPath, listingPath, localePath } from '../urls.ts';
import { searchListings, suggest } from './index.ts';
import { searchQuery, type RawParams } from './params.ts';

/** A validation failure as the API sends it: one translated message per field. */
export function apiError(e: InvalidError, locale: Locale) {
  const t = translator(locale);
  const fields = Object.fromEntries(Object.entries(e.fields).map(([k, key]) => [k, t(key as MessageKey)]));
  return { error: { message: t('search.error'), fields } };
}

export async function searchApi(db: Db, params: RawParams, now: number, locale: Locale) {
  const r = await searchListings(db, params, now);
  const { regions, categories } = getTaxonomy(db);
  const place = <T extends { id: number; slug: string; nameZh: string; nameEn: string }>(x: T | undefined) =>
    x ? { id: x.id, slug: x.slug, name: localName(locale, x) } : null;
  return {
    query: r.state.q,
    sort: r.sort,
    hits: r.hits.map((h) => ({
      id: h.id,
      url: listingPath(h),
      kind: h.kind,
      title: h.title,
      titleHtml: h.titleHtml,
      snippetHtml: h.snippetHtml,
      price: { min: h.priceMin, max: h.priceMax, unit: h.priceUnit, negotiable: h.negotiable, currency: 'CNY', minorUnits: 'fen' },
      region: place(regions.byId.get(h.regionId)),
      category: place(categories.byId.get(h.categoryId)),
      company: { name: h.companyName, url: companyPath({ slug: h.companySlug }), verified: h.companyVerified },
      publishedAt: h.publishedAt,
      image: h.imageHash ? imageUrl(h.imageHash, 320) : null,
    })),
    total: r.total,
    totalExact: r.exact,
    facetsExact: r.facetsExact,
    page: r.page,
    pages: r.pages,
    facets: {
      kind: Object.fromEntries(r.facets.kind.map((k) => [k.kind, k.count])),
      region: r.facets.region.map((f) => ({ ...place(f.item)!, count: f.count, selected: f.selected })),
      category: r.facets.category.map((f) => ({ ...place(f.item)!, count: f.count, selected: f.selected })),
      attributes: Object.fromEntries(r.facets.attributes.map((a) => [a.attribute.key, a.values])),
    },
    next: r.page < r.pages ? `/api/v1/search${searchQuery(r.state, { page: String(r.page + 1) })}` : null,
  };
}

export function suggestApi(db: Db, q: string | null, locale: Locale) {
  const { categories } = getTaxonomy(db);
  return {
    query: q ?? '',
    suggestions: suggest(db, q).map((s) => {
      if (s.type === 'category') {
        const c = categories.byId.get(s.id)!;
        return { type: s.type, text: localName(locale, c), url: localePath(locale, `/search${searchQuery(emptyState(), { category: c.slug })}`) };
      }
      if (s.type === 'company') return { type: s.type, text: s.text, url: companyPath(s, locale) };
      return { type: s.type, text: s.text, url: listingPath(s, locale) };
    }),
  };
}

const emptyState = () => ({ q: '', images: false, verified: false, attributes: {}, attributeRanges: {}, page: 1 });
