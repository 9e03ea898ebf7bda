// Saved searches (保存搜索): a member keeps any /search state (query and filters) under a name, chooses how often to
// hear about new listings that fit it (instant / daily / weekly / off), and reads them in /dashboard/saved-searches,
// in alert mails (with a signed one-click unsubscribe) and in a private RSS feed. Matching new listings against the
// searches is the job in alerts.ts; whether one listing fits one search is fit.ts.
import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { SAVED_SEARCH_FREQUENCIES, savedSearchAnchors, savedSearches, savedSearchHits, type SavedSearchFrequency } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { localName, formatNumber, type Locale, type Translate } from '../i18n/index.ts';
import { sign, verifySignature } from '../inquiries/keys.ts';
import { listingCardsByIds } from '../listings/queries.ts';
import { searchDictionary, type SearchState } from '../search/index.ts';
import { filtersOf, parseSearchState, rawParams, searchQuery } from '../search/params.ts';
import { parseQuery, type ParsedQuery } from '../search/text.ts';
import type { SearchFilters } from '../search/types.ts';
import { feedItems, rssXml } from '../seo/feed.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { absoluteUrl } from '../urls.ts';
import { parseInput } from '../validation.ts';
import { anchorsOf } from './fit.ts';

export { SAVED_SEARCH_FREQUENCIES } from '../../../db/schema.ts';

/** A member keeps at most this many searches: each one is matched against every new listing. */
export const MAX_SAVED_SEARCHES = 20;
const NAME_MAX = 60;
/** How many of a search's newest listings the dashboard shows, and the feed holds. */
const SHOWN_HITS = 5;
const FEED_HITS = 50;

/** What a saved search asks, ready to test listings against (see fit.ts). */
export interface ParsedSavedSearch {
  state: SearchState;
  query: ParsedQuery;
  filters: SearchFilters;
}

/**
 * Reads a saved search's query string. A region or category that is no longer in the taxonomy makes it an
 * InvalidError: such a search fits nothing until its owner edits it (the dashboard says so).
 */
export function parseSavedQuery(db: Db, query: string, now: number): ParsedSavedSearch {
  const state = parseSearchState(getTaxonomy(db), rawParams(new URLSearchParams(query)));
  // A "published within N days" filter means nothing for listings that are new anyway.
  const kept = { ...state, days: undefined, sort: undefined, page: 1 };
  return { state: kept, query: parseQuery(kept.q, searchDictionary(db)), filters: filtersOf(getTaxonomy(db), kept, now) };
}

/** The stored form of a state: its query string, with regions and categories by id (slugs may be renamed). */
function storedQuery(state: SearchState): string {
  const p = new URLSearchParams(searchQuery({ ...state, days: undefined, sort: undefined, page: 1 }));
  if (state.region) p.set('region', String(state.region.id));
  if (state.category) p.set('category', String(state.category.id));
  return p.toString();
}

/** The /search address of a saved search (with slugs, as people read them). */
export function searchPathOf(s: ParsedSavedSearch): string {
  return `/search${searchQuery(s.state)}`;
}

/** A one-line description of what a search asks: its words and filters in the reader's language. */
export function describeSearch(s: SearchState, t: Translate, locale: Locale): string {
  const parts: string[] = [];
  if (s.q) parts.push(`“${s.q}”`);
  if (s.kind) parts.push(t(`kind.${s.kind}`));
  if (s.category) parts.push(localName(locale, s.category));
  if (s.region) parts.push(localName(locale, s.region));
  if (s.priceMin !== undefined || s.priceMax !== undefined) {
    const yuan = (fen: number | undefined) => (fen === undefined ? '' : formatNumber(locale, fen / 100));
    parts.push(t('search.priceChip', { min: yuan(s.priceMin), max: yuan(s.priceMax) }));
  }
  if (s.images) parts.push(t('search.images'));
  if (s.verified) parts.push(t('search.verified'));
  const attrs = s.category?.attributes ?? [];
  const label = (key: string) => {
    const a = attrs.find((x) => x.key === key);
    return a ? (locale === 'en' ? a.en : a.zh) : key;
  };
  for (const [key, value] of Object.entries(s.attributes)) parts.push(`${label(key)}: ${value}`);
  for (const [key, { min, max }] of Object.entries(s.attributeRanges)) parts.push(`${label(key)}: ${min ?? ''}–${max ?? ''}`);
  return parts.join(' · ');
}

const frequency = z.enum(SAVED_SEARCH_FREQUENCIES, 'savedSearches.invalidFrequency');
const name = z.string('savedSearches.nameRequired').trim().min(1, 'savedSearches.nameRequired').max(NAME_MAX, 'savedSearches.nameTooLong');
const id = z.coerce.number('savedSearches.notFound').int('savedSearches.notFound').positive('savedSearches.notFound').max(Number.MAX_SAFE_INTEGER);
const createSchema = z.object({ query: z.string().max(2000, 'savedSearches.invalidQuery').default(''), name, frequency: frequency.default('daily') });
const updateSchema = z.object({ id, name, frequency });

/** Writes a search's rows of the reverse index (after removing the old ones). */
function writeAnchors(tx: Pick<Db, 'insert' | 'delete'>, savedSearchId: number, parsed: ParsedSavedSearch): void {
  tx.delete(savedSearchAnchors).where(eq(savedSearchAnchors.savedSearchId, savedSearchId)).run();
  const rows = anchorsOf(parsed.state, parsed.query).map((a) => ({ ...a, savedSearchId }));
  tx.insert(savedSearchAnchors).values(rows).onConflictDoNothing().run();
}

/** Parses a /search query string for saving; the empty search (everything) is refused. */
function parseForSaving(db: Db, query: string, now: number): ParsedSavedSearch {
  let parsed: ParsedSavedSearch;
  try {
    parsed = parseSavedQuery(db, query.replace(/^\?/, ''), now);
  } catch (e) {
    if (e instanceof InvalidError) throw new InvalidError('saved search query', { query: Object.values(e.fields)[0] ?? 'savedSearches.invalidQuery' });
    throw e;
  }
  if (storedQuery(parsed.state) === '') throw new InvalidError('empty saved search', { query: 'savedSearches.empty' });
  return parsed;
}

/** Saves a search for the user ({ query, name, frequency }); returns its id. */
export function createSavedSearch(db: Db, userId: string, input: unknown, now: number): number {
  const v = parseInput(createSchema, input);
  const parsed = parseForSaving(db, v.query, now);
  return db.transaction(
    (tx) => {
      const n = tx.select({ n: sql<number>`count(*)` }).from(savedSearches).where(eq(savedSearches.userId, userId)).get()!.n;
      if (n >= MAX_SAVED_SEARCHES) throw new InvalidError('too many saved searches', { _: 'savedSearches.tooMany' });
      const row = tx
        .insert(savedSearches)
        .values({ userId, name: v.name, query: storedQuery(parsed.state), frequency: v.frequency, lastAlertAt: now, createdAt: now, updatedAt: now })
        .returning({ id: savedSearches.id })
        .get();
      writeAnchors(tx as unknown as Db, row.id, parsed);
      return row.id;
    },
    { behavior: 'immediate' },
  );
}

function ownSearch(db: Pick<Db, 'select'>, userId: string, savedSearchId: number) {
  const row = db.select().from(savedSearches).where(and(eq(savedSearches.id, savedSearchId), eq(savedSearches.userId, userId))).get();
  // Another member's search is simply not there.
  if (!row) throw new NotFoundError(`saved search ${savedSearchId}`);
  return row;
}

/** Renames a search and sets how often it alerts ({ id, name, frequency }). */
export function updateSavedSearch(db: Db, userId: string, input: unknown, now: number): void {
  const v = parseInput(updateSchema, input);
  ownSearch(db, userId, v.id);
  db.update(savedSearches).set({ name: v.name, frequency: v.frequency, updatedAt: now }).where(eq(savedSearches.id, v.id)).run();
}

/** Deletes one of the user's searches ({ id }), with its index rows and listings (cascade). */
export function deleteSavedSearch(db: Db, userId: string, input: unknown): void {
  const v = parseInput(z.object({ id }), input);
  ownSearch(db, userId, v.id);
  db.delete(savedSearches).where(eq(savedSearches.id, v.id)).run();
}

// ---- signed links: the private feed and the one-click unsubscribe ----

const FEED = 'saved-search-feed';
const UNSUBSCRIBE = 'saved-search-unsubscribe';

/** The private RSS feed of a search: its secret is a signature over the search's id, so nothing secret is stored. */
export function feedUrl(db: Db, savedSearchId: number): string {
  return `${config().SITE_URL}/feeds/saved-search.xml?s=${savedSearchId}&t=${sign(db, FEED, String(savedSearchId))}`;
}

/** The one-click unsubscribe link of a search's alerts (in each mail and its List-Unsubscribe header). */
export function unsubscribeUrl(db: Db, savedSearchId: number): string {
  return `${config().SITE_URL}/saved-searches/unsubscribe?s=${savedSearchId}&t=${sign(db, UNSUBSCRIBE, String(savedSearchId))}`;
}

const linkSchema = z.object({ s: id, t: z.string('savedSearches.badLink').regex(/^[\w-]{43}$/, 'savedSearches.badLink') });

function signedSearch(db: Db, purpose: string, input: unknown) {
  const { s, t } = parseInput(linkSchema, input);
  if (!verifySignature(db, purpose, String(s), t)) throw new InvalidError('bad link', { _: 'savedSearches.badLink' });
  const row = db.select().from(savedSearches).where(eq(savedSearches.id, s)).get();
  // A deleted search has nothing left to unsubscribe from or to read.
  if (!row) throw new NotFoundError(`saved search ${s}`);
  return row;
}

/**
 * The one-click unsubscribe ({ s, t } of the link): the search alerts no more (it stays saved, "off"). Works without
 * signing in; the signature is the proof. Returns the search's name and what it was set to before.
 */
export function unsubscribe(db: Db, input: unknown, now: number): { name: string; was: SavedSearchFrequency } {
  const row = signedSearch(db, UNSUBSCRIBE, input);
  if (row.frequency !== 'off') db.update(savedSearches).set({ frequency: 'off', updatedAt: now }).where(eq(savedSearches.id, row.id)).run();
  return { name: row.name, was: row.frequency };
}

/** Undoes an unsubscribe from the same link ({ s, t, frequency }). */
export function resubscribe(db: Db, input: unknown, now: number): { name: string; frequency: SavedSearchFrequency } {
  const row = signedSearch(db, UNSUBSCRIBE, input);
  const { frequency: f } = parseInput(z.object({ frequency }), input);
  db.update(savedSearches).set({ frequency: f, updatedAt: now }).where(eq(savedSearches.id, row.id)).run();
  return { name: row.name, frequency: f };
}

/** The private RSS feed ({ s, t }): the newest listings found for the search that are still live. */
export function savedSearchFeed(db: Db, input: unknown, opts: { siteName: string; locale: Locale; t: Translate }, now: number): string {
  const row = signedSearch(db, FEED, input);
  const siteUrl = config().SITE_URL;
  const ids = db
    .select({ listingId: savedSearchHits.listingId })
    .from(savedSearchHits)
    .where(eq(savedSearchHits.savedSearchId, row.id))
    .orderBy(desc(savedSearchHits.createdAt))
    .limit(FEED_HITS)
    .all()
    .map((h) => h.listingId);
  const cards = liveCards(db, ids, now);
  let link = `${siteUrl}/dashboard/saved-searches`;
  try {
    link = absoluteUrl(siteUrl, searchPathOf(parseSavedQuery(db, row.query, now)));
  } catch {
    // A search whose category or region is gone still has its feed of what was found.
  }
  return rssXml({
    title: opts.t('savedSearches.feedTitle', { name: row.name, site: opts.siteName }),
    link,
    selfUrl: feedUrl(db, row.id),
    description: opts.t('savedSearches.feedDescription', { name: row.name }),
    language: opts.locale === 'en' ? 'en' : 'zh-cn',
    items: feedItems(getTaxonomy(db), cards, { siteUrl, locale: opts.locale, t: opts.t }, now),
  });
}

/** Cards of the listings still live, in the order of `ids`. */
export function liveCards(db: Db, ids: number[], now: number) {
  const byId = new Map(
    listingCardsByIds(db, ids)
      .filter((c) => c.status === 'active' && (c.expiresAt ?? 0) > now)
      .map((c) => [c.id, c]),
  );
  return ids.flatMap((i) => (byId.has(i) ? [byId.get(i)!] : []));
}

// ---- the dashboard ----

/** The dashboard page: each search with what it asks, its links, its newest listings; and a draft from /search. */
export function savedSearchesPage(db: Db, userId: string, draftQuery: string | null, opts: { t: Translate; locale: Locale }, now: number) {
  const rows = db.select().from(savedSearches).where(eq(savedSearches.userId, userId)).orderBy(desc(savedSearches.createdAt)).all();
  const searches = rows.map((row) => {
    let parsed: ParsedSavedSearch | null = null;
    try {
      parsed = parseSavedQuery(db, row.query, now);
    } catch {
      // Its category or region left the taxonomy: shown as such, fits nothing.
    }
    const hits = db
      .select({ listingId: savedSearchHits.listingId, alertedAt: savedSearchHits.alertedAt })
      .from(savedSearchHits)
      .where(eq(savedSearchHits.savedSearchId, row.id))
      .orderBy(desc(savedSearchHits.createdAt))
      .limit(SHOWN_HITS)
      .all();
    const pending = new Set(hits.filter((h) => h.alertedAt === null).map((h) => h.listingId));
    return {
      id: row.id,
      name: row.name,
      frequency: row.frequency,
      broken: parsed === null,
      description: parsed ? describeSearch(parsed.state, opts.t, opts.locale) : '',
      searchPath: parsed ? searchPathOf(parsed) : null,
      feedUrl: feedUrl(db, row.id),
      listings: liveCards(db, hits.map((h) => h.listingId), now).map((c) => ({ ...c, isNew: pending.has(c.id) })),
    };
  });
  let draft: { query: string; name: string; description: string } | null = null;
  if (draftQuery !== null) {
    const parsed = parseForSaving(db, draftQuery, now);
    const description = describeSearch(parsed.state, opts.t, opts.locale);
    draft = { query: storedQuery(parsed.state), name: [...(parsed.state.q || description)].slice(0, NAME_MAX).join(''), description };
  }
  return { searches, draft, full: rows.length >= MAX_SAVED_SEARCHES, max: MAX_SAVED_SEARCHES };
}
