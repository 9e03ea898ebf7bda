// A listing as the JSON API answers it, the same shape from every endpoint. Prices in yuan (the stored fen / 100),
// times as ISO strings, URLs absolute so an integration can link to the site.
import type { listings } from '../../../db/schema.ts';
import { findCompanyById } from '../companies/queries.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { localName, type Locale } from '../i18n/index.ts';
import { listingImagesOfMany } from '../listings/queries.ts';
import { visibility } from '../listings/rules.ts';
import { IMAGE_WIDTHS, imageUrl } from '../media/index.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import type { ListingJson } from './schemas.ts';
import { companyPath, listingPath } from '../urls.ts';

type ListingRow = typeof listings.$inferSelect;

export type { ListingJson } from './schemas.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const yuan = (fen: number | null) => (fen === null ? null : fen / 100);

export function priceJson(l: Pick<ListingRow, 'priceMin' | 'priceMax' | 'negotiable' | 'currency' | 'priceUnit'>): ListingJson['price'] {
  const low = l.priceMin ?? l.priceMax;
  const high = l.priceMax ?? l.priceMin;
  const base = { currency: l.currency, unit: l.priceUnit };
  if (l.negotiable || low === null || high === null) return { type: 'negotiable', min: null, max: null, ...base };
  return { type: low === high ? 'single' : 'range', min: yuan(Math.min(low, high)), max: yuan(Math.max(low, high)), ...base };
}

/** One listing in its JSON shape (two reads, the company and the images; the taxonomy is cached). */
export function listingJson(db: Db, listing: ListingRow, locale: Locale, now: number): ListingJson {
  return listingsJson(db, [listing], locale, now)[0]!;
}

/**
 * Many listings in their JSON shape with a fixed number of reads whatever their count: one per distinct company
 * (a company's own page of listings: one) and one for all their images.
 */
export function listingsJson(db: Db, rows: readonly ListingRow[], locale: Locale, now: number): ListingJson[] {
  const { SITE_URL } = config();
  const taxonomy = getTaxonomy(db);
  const companies = new Map(
    [...new Set(rows.map((l) => l.companyId))].map((id) => {
      const c = findCompanyById(db, id)!;
      return [id, { slug: c.slug, name: c.name, verified: c.verified, url: SITE_URL + companyPath(c) }] as const;
    }),
  );
  const images = listingImagesOfMany(db, rows.map((l) => l.id));
  return rows.map((listing) => {
    const category = taxonomy.categories.byId.get(listing.categoryId)!;
    const region = taxonomy.regions.byId.get(listing.regionId)!;
    const status = visibility(listing, now) === 'expired' ? 'expired' : listing.status;
    return {
      id: listing.id,
      url: SITE_URL + listingPath(listing),
      kind: listing.kind,
      title: listing.title,
      description: listing.description,
      category: { id: category.id, slug: category.slug, name: localName(locale, category) },
      region: { id: region.id, slug: region.slug, name: localName(locale, region) },
      price: priceJson(listing),
      quantity: listing.quantity,
      quantityUnit: listing.quantityUnit,
      moq: listing.moq,
      attributes: listing.attributes,
      status,
      publishedAt: iso(listing.publishedAt),
      expiresAt: iso(listing.expiresAt),
      updatedAt: iso(listing.updatedAt)!,
      company: companies.get(listing.companyId)!,
      images: (images.get(listing.id) ?? []).map((img) => ({
        id: img.hash,
        url: SITE_URL + imageUrl(img.hash, 800),
        width: img.width,
        height: img.height,
        srcset: IMAGE_WIDTHS.map((w) => `${SITE_URL}${imageUrl(img.hash, w)} ${w}w`).join(', '),
      })),
    };
  });
}
