// Content rules every listing write passes (form, JSON API, CSV import and bulk all create and edit through
// listings/write.ts, which calls checkListingContent): prohibited words and categories, no contact details in
// titles, near-duplicates, and a daily posting limit. A refusal is an InvalidError with a message key per field.
// The word lists live in SQLite (prohibited_terms), edited by administrators; they are cached per database and
// read again as soon as they change, whoever changed them.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { listingDupBands, listings, prohibitedTerms, type ListingAttributes } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { InvalidError, RateLimitedError } from '../errors.ts';
import { createRateLimiter, type RateLimiter } from '../rate-limit.ts';
import { contactInTitle } from './contact.ts';
import { fingerprint, isNearDuplicate, textShape, type Fingerprint } from './minhash.ts';
import { normalizeText } from './normalize.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface ListingText {
  title: string;
  description: string;
  attributes: ListingAttributes;
  /** The listing's category and its ancestors (a prohibited parent covers its subcategories). */
  categorySlugs: readonly string[];
}

export interface ContentVerdict {
  fingerprint: Fingerprint;
  /** A near-duplicate of another company's listing: the write goes to review instead of being refused. */
  duplicateOfOtherCompany: number | null;
}

interface Lists {
  words: string[];
  categories: Set<string>;
  stamp: string;
}
const lists = new WeakMap<Db, Lists>();

/**
 * The lists as they are now: an edit applies to the very next write, made by this process or another (a second
 * server node, the import command). Rows are only added and deleted, with AUTOINCREMENT ids that are never reused,
 * so (count, highest id) changes with every edit; reading it is one aggregate over a table of a few hundred rows.
 */
function prohibitedLists(db: Db): Lists {
  const now = db.select({ stamp: sql<string>`count(*) || ':' || ifnull(max(${prohibitedTerms.id}), 0)` }).from(prohibitedTerms).get()!.stamp;
  let l = lists.get(db);
  if (!l || l.stamp !== now) {
    const rows = db.select({ kind: prohibitedTerms.kind, value: prohibitedTerms.value }).from(prohibitedTerms).all();
    l = { words: rows.filter((r) => r.kind === 'word').map((r) => r.value), categories: new Set(rows.filter((r) => r.kind === 'category').map((r) => r.value)), stamp: now };
    lists.set(db, l);
  }
  return l;
}

/** The first prohibited word the text contains, in its stored (normalised) form, or null. */
export function prohibitedWordIn(db: Db, text: string, words = prohibitedLists(db).words): string | null {
  if (words.length === 0) return null;
  const normal = normalizeText(text);
  return words.find((w) => normal.includes(w)) ?? null;
}

const textOf = (l: Pick<ListingText, 'title' | 'description' | 'attributes'>) => [l.title, l.description, ...Object.values(l.attributes).map(String)];

// Posting limits: in the configured rate-limit store, like the sign-in limits (shared by the app processes on one
// database when RATE_LIMIT_STORE=sqlite).
const limiters = new WeakMap<Db, { limit: number; limiter: RateLimiter | null }>();
function dailyLimit(db: Db): { limit: number; limiter: RateLimiter | null } {
  let l = limiters.get(db);
  if (!l) {
    const limit = config().POSTING_LIMIT_PER_DAY;
    l = { limit, limiter: postingLimiter(db, limit) };
    limiters.set(db, l);
  }
  return l;
}

const postingLimiter = (db: Db, limit: number) =>
  limit === 0 ? null : createRateLimiter({ name: 'posting-company', db, limit, windowMs: 86_400_000 });

const duplicateChecks = new WeakMap<Db, boolean>();

/** Turns near-duplicate detection on or off for a database (tests), whatever DUPLICATE_CHECK says. */
export function setDuplicateCheck(db: Db, on: boolean): void {
  duplicateChecks.set(db, on);
}

/** Sets a database's daily limit of new listings per unverified company (tests; 0 = none). */
export function setPostingLimit(db: Db, limit: number): void {
  limiters.set(db, { limit, limiter: postingLimiter(db, limit) });
}

/**
 * Checks a listing about to be written for `company` (excludeId: the listing itself, when it is edited). Throws an
 * InvalidError naming the field for a refusal; returns the fingerprint to store and whether it duplicates another
 * company's listing. `isNew` counts the write against the company's daily limit (verified companies have none).
 */
export function checkListingContent(
  db: Db,
  company: { id: number; verified: boolean },
  listing: ListingText,
  opts: { excludeId?: number; isNew: boolean; now: number },
): ContentVerdict {
  const fields: Record<string, string> = {};
  const params: Record<string, Record<string, string | number>> = {};
  // Read once per check: the stamp query runs once, and all fields see the same lists.
  const { categories, words } = prohibitedLists(db);
  if (listing.categorySlugs.some((s) => categories.has(s))) fields.category = 'rules.prohibitedCategory';
  for (const [field, text] of [['title', listing.title], ['description', listing.description], ['attributes', Object.values(listing.attributes).join(' ')]] as const) {
    const word = prohibitedWordIn(db, text, words);
    if (word) {
      fields[field] = 'rules.prohibitedWord';
      params[field] = { word };
    }
  }
  const contact = contactInTitle(listing.title);
  if (contact && !fields.title) fields.title = `rules.contactInTitle.${contact}`;
  if (Object.keys(fields).length > 0) throw new InvalidError('content rules', fields, params);

  const print = fingerprint(textOf(listing));
  let duplicateOfOtherCompany: number | null = null;
  const duplicates = (duplicateChecks.get(db) ?? config().DUPLICATE_CHECK) ? nearDuplicates(db, print, opts.excludeId, opts.now) : [];
  for (const other of duplicates) {
    if (other.companyId === company.id) {
      throw new InvalidError('duplicate listing', { title: 'rules.duplicateOwn' }, { title: { id: other.id, link: `/listing/${other.id}-${other.slug}` } });
    }
    duplicateOfOtherCompany ??= other.id;
  }
  if (opts.isNew && !company.verified) {
    try {
      dailyLimit(db).limiter?.consume(`company:${company.id}`, opts.now);
    } catch (e) {
      if (!(e instanceof RateLimitedError)) throw e;
      throw new InvalidError('daily limit', { _: 'rules.dailyLimit' }, { _: { n: dailyLimit(db).limit } });
    }
  }
  return { fingerprint: print, duplicateOfOtherCompany };
}

/** Most candidates read per band and compared per check: a bucket this full is a template many listings share, not a re-post. */
const MAX_CANDIDATES = 32;

/** Live or pending listings (a listing waiting for review counts as existing) near-identical to the fingerprint. */
function nearDuplicates(db: Db, print: Fingerprint, excludeId: number | undefined, now: number) {
  // One primary-key range per band, each giving up to MAX_CANDIDATES live or pending listings (a bucket full of a
  // template's expired or closed copies does not crowd out the live one; a DISTINCT over all bands at once made
  // SQLite build a temp B-tree). A true near-copy shares several bands, a template's other copies few: the
  // candidates sharing the most bands are the ones compared (each one primary-key read of listings).
  const shared = new Map<number, number>();
  for (const [band, value] of print.bands.entries()) {
    const rows = db
      .select({ id: listingDupBands.listingId })
      .from(listingDupBands)
      .innerJoin(listings, eq(listings.id, listingDupBands.listingId))
      .where(and(eq(listingDupBands.band, band), eq(listingDupBands.value, value), sql`+${listings.status} IN ('active', 'pending')`))
      .limit(MAX_CANDIDATES)
      .all();
    for (const r of rows) if (r.id !== excludeId) shared.set(r.id, (shared.get(r.id) ?? 0) + 1);
  }
  const ids = [...shared].sort((a, b) => b[1] - a[1]).slice(0, MAX_CANDIDATES).map(([id]) => id);
  if (ids.length === 0) return [];
  return db
    .select({ id: listings.id, slug: listings.slug, companyId: listings.companyId, status: listings.status, expiresAt: listings.expiresAt, title: listings.title, description: listings.description, attributes: listings.attributes })
    .from(listings)
    .where(and(inArray(listings.id, ids), sql`+${listings.status} IN ('active', 'pending')`))
    .all()
    .filter((l) => (l.status === 'pending' || (l.expiresAt !== null && l.expiresAt > now)) && isNearDuplicate(print, textShape(textOf(l))));
}

/** Stores a listing's band keys (replacing its old ones); call it in the transaction that writes the listing. */
export function storeFingerprint(tx: Tx | Db, listingId: number, print: Fingerprint): void {
  tx.delete(listingDupBands).where(eq(listingDupBands.listingId, listingId)).run();
  tx.insert(listingDupBands)
    .values(print.bands.map((value, band) => ({ band, value, listingId })))
    .onConflictDoNothing()
    .run();
}

/**
 * Writes the band keys of every listing written before duplicate detection existed (or after DUPLICATE_CHECK was
 * off), in id order, in batches of one transaction each; `onProgress` hears how far it got.
 */
export function backfillFingerprints(db: Db, onProgress: (done: number) => void = () => {}, batch = 5000): number {
  let after = 0;
  let done = 0;
  for (;;) {
    const rows = db
      .select({ id: listings.id, title: listings.title, description: listings.description, attributes: listings.attributes })
      .from(listings)
      .where(sql`${listings.id} > ${after}`)
      .orderBy(listings.id)
      .limit(batch)
      .all();
    if (rows.length === 0) return done;
    db.transaction((tx) => {
      for (const r of rows) storeFingerprint(tx, r.id, fingerprint(textOf(r)));
    });
    after = rows.at(-1)!.id;
    done += rows.length;
    onProgress(done);
  }
}
