// RSS 2.0 feeds of the newest live listings: site-wide, per region and per category.
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { localName, type Locale, type Translate } from '../i18n/index.ts';
import { placeFilter } from '../listings/placement.ts';
import { latestListings, type ListingCard } from '../listings/queries.ts';
import { formatPrice } from '../listings/rules.ts';
import { getTaxonomy, type Taxonomy } from '../taxonomy/taxonomy.ts';
import { absoluteUrl, categoryPath, listingPath, regionPath } from '../urls.ts';
import { escapeXml, rfc822Date } from './xml.ts';

export const FEED_SIZE = 50;

export interface FeedItem {
  title: string;
  url: string;
  description: string;
  publishedAt: number;
  categories: string[];
  author: string;
}

export interface Feed {
  title: string;
  /** The HTML page the feed follows. */
  link: string;
  /** The feed's own URL (atom:link rel=self). */
  selfUrl: string;
  description: string;
  language: string;
  items: FeedItem[];
}

export function rssXml(feed: Feed): string {
  const el = (tag: string, text: string) => `<${tag}>${escapeXml(text)}</${tag}>`;
  const newest = feed.items.reduce((m, i) => Math.max(m, i.publishedAt), 0);
  const items = feed.items.map(
    (i) =>
      '<item>' +
      el('title', i.title) +
      el('link', i.url) +
      `<guid isPermaLink="true">${escapeXml(i.url)}</guid>` +
      el('description', i.description) +
      el('pubDate', rfc822Date(i.publishedAt)) +
      i.categories.map((c) => el('category', c)).join('') +
      el('dc:creator', i.author) +
      '</item>\n',
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n' +
    el('title', feed.title) +
    el('link', feed.link) +
    `<atom:link href="${escapeXml(feed.selfUrl)}" rel="self" type="application/rss+xml"/>` +
    el('description', feed.description) +
    el('language', feed.language) +
    (newest ? el('lastBuildDate', rfc822Date(newest)) : '') +
    el('ttl', '10') +
    '\n' +
    items.join('') +
    '</channel>\n</rss>\n'
  );
}

/** An RSS document and the list it follows (the region, and the category or null), which its page-cache tags name. */
export interface FeedDocument {
  xml: string;
  regionId: number;
  categoryId: number | null;
}

/** The newest live listings of a region or a category (or the whole site), as an RSS document. */
export function getFeed(
  db: Db,
  opts: { siteUrl: string; siteName: string; locale: Locale; t: Translate; regionSlug?: string; categorySlug?: string },
  now: number,
): FeedDocument {
  const { siteUrl, siteName: site, locale, t } = opts;
  const taxonomy = getTaxonomy(db);
  const region = opts.regionSlug === undefined ? taxonomy.rootRegion : taxonomy.regions.bySlug.get(opts.regionSlug);
  if (!region) throw new NotFoundError(`region ${opts.regionSlug}`);
  const category = opts.categorySlug === undefined ? null : taxonomy.categories.bySlug.get(opts.categorySlug);
  if (category === undefined) throw new NotFoundError(`category ${opts.categorySlug}`);

  const abs = (path: string) => absoluteUrl(siteUrl, path);
  const regionName = localName(locale, region);
  let title: string, link: string, self: string, scope: string;
  if (category) {
    const name = localName(locale, category);
    [title, link, self, scope] = [t('feed.category', { category: name, site }), categoryPath(category), `/feeds/category/${category.slug}.xml`, regionName + name];
  } else if (region.id !== taxonomy.rootRegion.id) {
    [title, link, self, scope] = [t('feed.region', { region: regionName, site }), regionPath(region), `/feeds/region/${region.slug}.xml`, regionName];
  } else {
    [title, link, self, scope] = [t('feed.site', { site }), '/', '/feed.xml', regionName];
  }

  const listings = latestListings(db, placeFilter(taxonomy, region, category), FEED_SIZE, now);
  const xml = rssXml({
    title,
    link: abs(link),
    selfUrl: abs(self),
    description: t('feed.description', { scope }),
    language: locale === 'en' ? 'en' : 'zh-cn',
    items: feedItems(taxonomy, listings, opts, now),
  });
  return { xml, regionId: region.id, categoryId: category?.id ?? null };
}

/** Feed items of listing cards: kind and title, price, region, category and company. */
export function feedItems(taxonomy: Taxonomy, listings: ListingCard[], opts: { siteUrl: string; locale: Locale; t: Translate }, now: number): FeedItem[] {
  const { locale, t } = opts;
  return listings.map((l) => {
    const where = taxonomy.regions.byId.get(l.regionId);
    const what = taxonomy.categories.byId.get(l.categoryId);
    const names = [where, what].filter((x) => x !== undefined).map((x) => localName(locale, x));
    return {
      title: `${t(`kind.${l.kind}`)} ${l.title}`,
      url: absoluteUrl(opts.siteUrl, listingPath(l)),
      description: [formatPrice(t, locale, l), ...names, l.companyName].join(' · '),
      publishedAt: l.publishedAt ?? now,
      categories: what ? [localName(locale, what)] : [],
      author: l.companyName,
    };
  });
}
