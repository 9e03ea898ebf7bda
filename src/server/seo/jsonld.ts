// schema.org structured data (JSON-LD) for listings, companies, breadcrumbs and the site. Builders take plain data
// with absolute URLs and return plain objects; jsonLdScript makes them safe to place inside a <script> element.

export type JsonLd = { '@context'?: string; '@type': string | string[]; [key: string]: unknown };

const CONTEXT = 'https://schema.org';

/**
 * JSON for a `<script type="application/ld+json">` body. `<`, `>` and `&` are written as \u escapes so text a
 * poster typed (say `</script><script>...`) can never close the element or open a comment; U+2028/2029 likewise,
 * for old parsers. The result is still exactly the same JSON value.
 */
export function jsonLdScript(data: JsonLd | JsonLd[]): string {
  return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Drops absent values so no property is written as null or "". */
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)),
  ) as T;
}

export interface Crumb {
  name: string;
  url: string;
}

export function breadcrumbList(items: Crumb[]): JsonLd {
  return {
    '@context': CONTEXT,
    '@type': 'BreadcrumbList',
    itemListElement: items.map((item, i) => ({ '@type': 'ListItem', position: i + 1, name: item.name, item: item.url })),
  };
}

export function webSite(site: { url: string; name: string; description: string; language: string; searchUrl: string }): JsonLd {
  return {
    '@context': CONTEXT,
    '@type': 'WebSite',
    url: site.url,
    name: site.name,
    description: site.description,
    inLanguage: site.language,
    potentialAction: {
      '@type': 'SearchAction',
      target: { '@type': 'EntryPoint', urlTemplate: `${site.searchUrl}?q={search_term_string}` },
      'query-input': 'required name=search_term_string',
    },
  };
}

export interface CompanyLd {
  url: string;
  name: string;
  description?: string;
  telephone?: string;
  website?: string;
  logo?: string;
  /** Street address as the company wrote it. */
  streetAddress?: string;
  /** City or county, then province. */
  locality: string;
  province: string;
  /** The unified social credit code, only for a verified company. */
  taxId?: string;
}

/** A company as the seller or buyer named inside a listing: who, and where to find them. */
function organizationRef(c: CompanyLd): JsonLd {
  return { '@type': 'Organization', '@id': `${c.url}#organization`, name: c.name, url: c.url };
}

/** A company's own page: a LocalBusiness (an Organization with a place), with its postal address. */
export function organization(c: CompanyLd): JsonLd {
  return compact({
    '@context': CONTEXT,
    '@type': 'LocalBusiness',
    '@id': `${c.url}#organization`,
    name: c.name,
    url: c.url,
    description: c.description,
    telephone: c.telephone,
    sameAs: c.website,
    taxID: c.taxId,
    logo: c.logo,
    image: c.logo,
    address: compact({
      '@type': 'PostalAddress',
      streetAddress: c.streetAddress,
      addressLocality: c.locality,
      addressRegion: c.province,
      addressCountry: 'CN',
    }),
  });
}

export interface ListingLd {
  kind: 'supply' | 'demand';
  url: string;
  name: string;
  description: string;
  category: string;
  images: string[];
  /** In fen; both null (or negotiable) when the price is 面议. */
  priceMin: number | null;
  priceMax: number | null;
  currency: string;
  priceUnit: string;
  negotiable: boolean;
  quantity: number | null;
  quantityUnit: string;
  /** Live listings are available; expired or closed ones are not. */
  available: boolean;
  publishedAt: number | null;
  expiresAt: number | null;
  areaServed: string;
  company: CompanyLd;
}

/** Fen to a decimal yuan amount, the form schema.org prices take. */
export function yuan(fen: number): number {
  return Math.round(fen) / 100;
}

function priceRange(l: ListingLd): { low: number; high: number } | null {
  const low = l.priceMin ?? l.priceMax;
  const high = l.priceMax ?? l.priceMin;
  if (l.negotiable || low === null || high === null) return null;
  return { low: Math.min(low, high), high: Math.max(low, high) };
}

function isoDate(ms: number | null): string | undefined {
  return ms === null ? undefined : new Date(ms).toISOString();
}

/**
 * A supply listing is a Product with an Offer (one price) or an AggregateOffer (a price range) in CNY; a demand
 * listing is a schema.org Demand (the GoodRelations "buying lead") whose buyer `seeks` it.
 */
export function listing(l: ListingLd): JsonLd[] {
  const range = priceRange(l);
  const availability = `https://schema.org/${l.available ? 'InStock' : 'Discontinued'}`;
  const quantity =
    l.quantity === null ? undefined : compact({ '@type': 'QuantitativeValue', value: l.quantity, unitText: l.quantityUnit });
  const unitPrice =
    range === null
      ? undefined
      : compact({
          '@type': 'UnitPriceSpecification',
          priceCurrency: l.currency,
          ...(range.low === range.high ? { price: yuan(range.low) } : { minPrice: yuan(range.low), maxPrice: yuan(range.high) }),
          unitText: l.priceUnit,
        });

  if (l.kind === 'supply') {
    const common = {
      url: l.url,
      priceCurrency: l.currency,
      availability,
      seller: organizationRef(l.company),
      areaServed: l.areaServed,
      priceValidUntil: isoDate(l.expiresAt)?.slice(0, 10),
      inventoryLevel: quantity,
      priceSpecification: unitPrice,
    };
    const offers =
      range && range.low !== range.high
        ? compact({ '@type': 'AggregateOffer', lowPrice: yuan(range.low), highPrice: yuan(range.high), offerCount: 1, ...common })
        : compact({ '@type': 'Offer', price: range ? yuan(range.low) : undefined, ...common });
    return [
      compact({
        '@context': CONTEXT,
        '@type': 'Product',
        '@id': `${l.url}#product`,
        name: l.name,
        description: l.description,
        category: l.category,
        image: l.images,
        url: l.url,
        offers,
      }),
    ];
  }

  const demand = compact({
    '@context': CONTEXT,
    '@type': 'Demand',
    '@id': `${l.url}#demand`,
    name: l.name,
    description: l.description,
    url: l.url,
    image: l.images,
    itemOffered: { '@type': 'Product', name: l.name, category: l.category },
    availability,
    areaServed: l.areaServed,
    eligibleQuantity: quantity,
    priceSpecification: unitPrice,
    availabilityStarts: isoDate(l.publishedAt),
    validThrough: isoDate(l.expiresAt),
  });
  return [demand, { '@context': CONTEXT, ...organizationRef(l.company), seeks: { '@id': `${l.url}#demand` } }];
}
