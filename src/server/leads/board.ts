// The open buy-lead board (/leads, /en/leads): live 求购 listings, newest first, narrowed by a city or county and an
// industry or subcategory, with an RSS feed for each such choice. The unfiltered board (and its pages) is what
// crawlers index; a filtered state is noindex, as the search page's are, since the region and category pages
// already are the indexable lists of each place and industry.
import { z } from 'zod';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import type { Locale, Translate } from '../i18n/index.ts';
import { localName } from '../i18n/index.ts';
import { placeFilter } from '../listings/placement.ts';
import { latestListings, pageOfListings } from '../listings/queries.ts';
import { feedItems, FEED_SIZE, rssXml } from '../seo/feed.ts';
import { getTaxonomy, type Category, type Region } from '../taxonomy/taxonomy.ts';
import { absoluteUrl } from '../urls.ts';
import { parseInput } from '../validation.ts';

const slug = z.string().trim().min(1).max(64).optional();
const boardSchema = z.object({ region: slug, category: slug });

export interface BoardState {
  region: Region | null;
  category: Category | null;
  page: number;
}

function boardState(db: Db, input: { region?: string | null; category?: string | null }, page = 1): BoardState {
  const { region: r, category: c } = parseInput(boardSchema, { region: input.region ?? undefined, category: input.category ?? undefined });
  const taxonomy = getTaxonomy(db);
  const region = r === undefined ? null : (taxonomy.regions.bySlug.get(r) ?? null);
  const category = c === undefined ? null : (taxonomy.categories.bySlug.get(c) ?? null);
  if ((r !== undefined && !region) || (c !== undefined && !category)) throw new NotFoundError(`leads board ${r ?? ''} ${c ?? ''}`);
  return { region, category, page };
}

/** The query string of a board state (and of its feed), in one order, so each state has one URL. */
export function boardQuery(state: { region?: { slug: string } | null; category?: { slug: string } | null; page?: number }): string {
  const p = new URLSearchParams();
  if (state.region) p.set('region', state.region.slug);
  if (state.category) p.set('category', state.category.slug);
  if (state.page && state.page > 1) p.set('page', String(state.page));
  return p.size > 0 ? `?${p}` : '';
}

/** One page of the board, with the cities and industries to narrow it by. */
export function leadBoard(db: Db, input: { region?: string | null; category?: string | null; page: number }, now: number) {
  const state = boardState(db, input, input.page);
  const taxonomy = getTaxonomy(db);
  const filter = { ...placeFilter(taxonomy, state.region ?? taxonomy.rootRegion, state.category), kind: 'demand' as const };
  const listings = pageOfListings(db, filter, state.page, now);
  if (state.page > listings.pages) throw new NotFoundError(`leads page ${state.page}`);
  return {
    ...state,
    listings,
    filtered: state.region !== null || state.category !== null,
    province: taxonomy.rootRegion,
    cities: taxonomy.regions.children(taxonomy.rootRegion.id),
    industries: taxonomy.categories.roots,
  };
}

/** The RSS feed of a board state: its newest 50 求购 listings. */
export function leadBoardFeed(db: Db, input: { region?: string | null; category?: string | null }, opts: { siteUrl: string; siteName: string; locale: Locale; t: Translate }, now: number): string {
  const { region, category } = boardState(db, input);
  const taxonomy = getTaxonomy(db);
  const filter = { ...placeFilter(taxonomy, region ?? taxonomy.rootRegion, category), kind: 'demand' as const };
  const scope = [region, category].filter((x) => x !== null).map((x) => localName(opts.locale, x)).join(' ');
  const query = boardQuery({ region, category });
  return rssXml({
    title: opts.t('leads.board.feedTitle', { scope: scope || localName(opts.locale, taxonomy.rootRegion), site: opts.siteName }),
    link: absoluteUrl(opts.siteUrl, `/leads${query}`),
    selfUrl: absoluteUrl(opts.siteUrl, `/feeds/leads.xml${query}`),
    description: opts.t('leads.board.description', { scope: scope || localName(opts.locale, taxonomy.rootRegion) }),
    language: opts.locale === 'en' ? 'en' : 'zh-cn',
    items: feedItems(taxonomy, latestListings(db, filter, FEED_SIZE, now), opts, now),
  });
}
