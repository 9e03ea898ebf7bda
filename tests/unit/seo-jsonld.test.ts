import { describe, expect, it } from 'vitest';
import { breadcrumbList, jsonLdScript, listing, organization, webSite, yuan, type ListingLd } from '../../src/server/seo/jsonld.ts';

const company = { url: 'https://example.cn/company/hong-da', name: '南昌宏达农业有限公司', locality: '南昌市 东湖区', province: '江西省' };
const base: ListingLd = {
  kind: 'supply',
  url: 'https://example.cn/listing/42-zao-xian-dao',
  name: '供应优质早籼稻',
  description: '新米上市，量大从优。',
  category: '农产品 > 稻谷',
  images: ['https://example.cn/media/abc-800.webp'],
  priceMin: 260_050,
  priceMax: 260_050,
  currency: 'CNY',
  priceUnit: '吨',
  negotiable: false,
  quantity: 500,
  quantityUnit: '吨',
  available: true,
  publishedAt: Date.UTC(2026, 10, 1),
  expiresAt: Date.UTC(2026, 11, 1),
  areaServed: '南昌市东湖区',
  company,
};

/** What a parser reading the <script> body gets back. */
const roundTrip = (data: Parameters<typeof jsonLdScript>[0]) => JSON.parse(jsonLdScript(data));

describe('jsonLdScript', () => {
  it('writes valid JSON that parses back to the same value', () => {
    const data = listing(base);
    expect(roundTrip(data)).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('never lets user text close the script element or open a comment', () => {
    const evil = { ...base, name: '</script><script>alert(1)</script>', description: '<!-- & \u2028 -->' };
    const text = jsonLdScript(listing(evil));
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(text.toLowerCase()).not.toContain('</script');
    const back = roundTrip(listing(evil));
    expect(back[0].name).toBe(evil.name);
    expect(back[0].description).toBe(evil.description);
  });
});

describe('supply listing: Product with Offer', () => {
  it('has a name, the page URL, images and one CNY price in yuan with availability and the seller', () => {
    const [product] = roundTrip(listing(base));
    expect(product['@context']).toBe('https://schema.org');
    expect(product['@type']).toBe('Product');
    expect(product).toMatchObject({ name: base.name, url: base.url, image: base.images, category: '农产品 > 稻谷' });
    expect(product.offers).toMatchObject({
      '@type': 'Offer',
      price: 2600.5,
      priceCurrency: 'CNY',
      availability: 'https://schema.org/InStock',
      seller: { '@type': 'Organization', name: company.name, url: company.url },
      priceValidUntil: '2026-12-01',
    });
    expect(product.offers.priceSpecification).toMatchObject({ '@type': 'UnitPriceSpecification', price: 2600.5, unitText: '吨' });
  });

  it('gives a price range as an AggregateOffer with low and high prices', () => {
    const [product] = roundTrip(listing({ ...base, priceMin: 380_000, priceMax: 300_000 }));
    expect(product.offers).toMatchObject({ '@type': 'AggregateOffer', lowPrice: 3000, highPrice: 3800, priceCurrency: 'CNY', offerCount: 1 });
    expect(product.offers.price).toBeUndefined();
  });

  it('leaves the price out when it is negotiable (面议) and marks an expired listing discontinued', () => {
    const [product] = roundTrip(listing({ ...base, negotiable: true, available: false }));
    expect(product.offers['@type']).toBe('Offer');
    expect(product.offers.price).toBeUndefined();
    expect(product.offers.priceCurrency).toBe('CNY');
    expect(product.offers.availability).toBe('https://schema.org/Discontinued');
  });

  it('writes no empty or null property', () => {
    const text = jsonLdScript(listing({ ...base, images: [], quantity: null, priceUnit: '', expiresAt: null }));
    expect(text).not.toMatch(/:null|:""|:\[\]/);
  });
});

describe('demand listing: Demand sought by an Organization', () => {
  it('is a schema.org Demand for the product, with quantity, and the buyer seeks it', () => {
    const [demand, buyer] = roundTrip(listing({ ...base, kind: 'demand', negotiable: true }));
    expect(demand['@type']).toBe('Demand');
    expect(demand).toMatchObject({
      name: base.name,
      url: base.url,
      itemOffered: { '@type': 'Product', name: base.name },
      eligibleQuantity: { '@type': 'QuantitativeValue', value: 500, unitText: '吨' },
      areaServed: '南昌市东湖区',
    });
    expect(demand.validThrough).toBe(new Date(base.expiresAt!).toISOString());
    expect(buyer).toMatchObject({ '@type': 'Organization', name: company.name, seeks: { '@id': demand['@id'] } });
  });
});

describe('company: LocalBusiness with address', () => {
  it('has name, URL and a Chinese postal address', () => {
    const org = roundTrip(organization({ ...company, telephone: '0791-8888888', streetAddress: '解放西路 1 号', website: 'https://hongda.cn' }));
    expect(org['@type']).toBe('LocalBusiness');
    expect(org).toMatchObject({ name: company.name, url: company.url, telephone: '0791-8888888', sameAs: 'https://hongda.cn' });
    expect(org.address).toEqual({
      '@type': 'PostalAddress',
      streetAddress: '解放西路 1 号',
      addressLocality: '南昌市 东湖区',
      addressRegion: '江西省',
      addressCountry: 'CN',
    });
  });
});

describe('breadcrumbs and the site', () => {
  it('numbers breadcrumb items from 1 and may leave the current page without a URL', () => {
    const list = roundTrip(breadcrumbList([{ name: '首页', url: 'https://example.cn/' }, { name: '农产品', url: 'https://example.cn/category/farm' }]));
    expect(list['@type']).toBe('BreadcrumbList');
    expect(list.itemListElement).toEqual([
      { '@type': 'ListItem', position: 1, name: '首页', item: 'https://example.cn/' },
      { '@type': 'ListItem', position: 2, name: '农产品', item: 'https://example.cn/category/farm' },
    ]);
  });

  it('describes the WebSite with a SearchAction whose template names the query input', () => {
    const site = roundTrip(webSite({ url: 'https://example.cn/', name: '江西供求信息网', description: 'd', language: 'zh-CN', searchUrl: 'https://example.cn/search' }));
    expect(site['@type']).toBe('WebSite');
    expect(site.potentialAction['@type']).toBe('SearchAction');
    expect(site.potentialAction.target.urlTemplate).toBe('https://example.cn/search?q={search_term_string}');
    expect(site.potentialAction['query-input']).toBe('required name=search_term_string');
  });

  it('turns fen into yuan', () => {
    expect(yuan(12345)).toBe(123.45);
    expect(yuan(100)).toBe(1);
  });
});
