// The saved-search job, in two steps that each run in small batches and give the event loop back between items:
//
// 1. match: drains saved_search_outbox (rows written by triggers on listings when a listing goes live, in the
//    writer's own transaction). For each listing, the reverse index (fit.ts) names the few searches it could fit;
//    each is checked exactly; the fits are recorded as hits (unique per search and listing: never twice) together
//    with the outbox row's deletion, in one transaction. A crash before that commit leaves the row to be matched
//    again; after it, nothing to redo.
// 2. alert: the searches with unalerted hits whose wait is over (instant: at once; daily: a day since the last alert;
//    weekly: a week) get one mail each with those listings still live, in one transaction with marking them alerted.
//    The mail's idempotency key names the search and its newest hit, so a repeated run queues nothing twice.
//
// Bounds: a search keeps at most MAX_PENDING unalerted listings (more are counted as "and N more" and found through
// the search's link); a mail lists at most MAX_LISTED; a member's own company's listings never fit their searches.
import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { companies, SAVED_SEARCH_FREQUENCIES, savedSearchAnchors, savedSearches, savedSearchHits, savedSearchOutbox, users } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { translator } from '../i18n/index.ts';
import { formatPrice } from '../listings/rules.ts';
import { queueMail } from '../mail/index.ts';
import { scheduleJob } from '../observability/jobs.ts';
import { documentsFor, type SearchDocument } from '../search/documents.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { listingPath, absoluteUrl } from '../urls.ts';
import { fits, listingKeys, listingText } from './fit.ts';
import { liveCards, parseSavedQuery, searchPathOf, unsubscribeUrl, type ParsedSavedSearch } from './index.ts';
import { MAX_LISTED, savedSearchAlertMail } from './mails.ts';

export const MAX_PENDING = 100;
const DAY_MS = 86_400_000;
/** How long after the last alert the next may go. Off: whatever waits is dropped at the next run, never sent. */
const WAIT_MS = { instant: 0, daily: DAY_MS, weekly: 7 * DAY_MS, off: 0 } as const;
/** Listings taken from the outbox per round; searches alerted per transaction (each renders a mail: ~1 ms). */
const BATCH = 50;
const ALERT_BATCH = 10;
const PERIOD_MS = 2_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// Parsing a search (segmenting its words) costs more than checking it: parsed searches are kept, a bounded number.
const PARSED_KEPT = 50_000;
const parsedCache = new WeakMap<Db, Map<string, ParsedSavedSearch | null>>();
function parsedOf(db: Db, query: string, now: number): ParsedSavedSearch | null {
  let cache = parsedCache.get(db);
  if (!cache) parsedCache.set(db, (cache = new Map()));
  let p = cache.get(query);
  if (p === undefined) {
    try {
      p = parseSavedQuery(db, query, now);
    } catch {
      // A category or region that left the taxonomy: the search fits nothing (the dashboard says so).
      p = null;
    }
    if (cache.size >= PARSED_KEPT) cache.clear();
    cache.set(query, p);
  }
  return p;
}

/**
 * The searches a listing fits: candidates from the reverse index, each checked exactly, 500 at a time with the event
 * loop served between (a popular listing can fit thousands).
 */
export async function searchesFitting(db: Db, doc: SearchDocument, now: number, stats?: { candidates: number }): Promise<{ id: number; frequency: string }[]> {
  const keys = listingKeys(doc);
  const candidateIds = db
    .selectDistinct({ id: savedSearchAnchors.savedSearchId })
    .from(savedSearchAnchors)
    .where(
      and(
        inArray(savedSearchAnchors.token, keys.tokens),
        inArray(savedSearchAnchors.kind, keys.kinds),
        inArray(savedSearchAnchors.categoryId, keys.categoryIds),
        inArray(savedSearchAnchors.regionId, keys.regionIds),
      ),
    )
    .all()
    .map((r) => r.id);
  if (stats) stats.candidates += candidateIds.length;
  if (candidateIds.length === 0) return [];
  const text = listingText(doc);
  const out: { id: number; frequency: string }[] = [];
  for (let i = 0; i < candidateIds.length; i += 500) {
    const rows = db
      .select({ id: savedSearches.id, query: savedSearches.query, frequency: savedSearches.frequency, companyId: companies.id })
      .from(savedSearches)
      .leftJoin(companies, eq(companies.ownerId, savedSearches.userId))
      .where(inArray(savedSearches.id, candidateIds.slice(i, i + 500)))
      .all();
    for (const r of rows) {
      if (r.frequency === 'off' || r.companyId === doc.companyId) continue;
      const p = parsedOf(db, r.query, now);
      if (p && fits(doc, text, p.filters, p.query)) out.push({ id: r.id, frequency: r.frequency });
    }
    await yieldToLoop();
  }
  return out;
}

/** Statements take at most this many ids (SQLite's limit on parameters is far above; plans stay small). */
const CHUNK = 500;
const chunks = <T,>(xs: T[]) => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * Records a listing's hits within the bounds (inside the caller's transaction), a few statements whatever the number
 * of searches; returns the searches it was new for.
 */
function recordHits(tx: Db, listingId: number, searches: { id: number }[], now: number): number[] {
  const added: number[] = [];
  for (const ids of chunks(searches.map((s) => s.id))) {
    const rows = tx.select({ id: savedSearches.id, pending: savedSearches.pending }).from(savedSearches).where(inArray(savedSearches.id, ids)).all();
    const full = rows.filter((r) => r.pending >= MAX_PENDING).map((r) => r.id);
    const open = rows.filter((r) => r.pending < MAX_PENDING).map((r) => r.id);
    if (full.length > 0) tx.update(savedSearches).set({ overflow: sql`${savedSearches.overflow} + 1` }).where(inArray(savedSearches.id, full)).run();
    if (open.length === 0) continue;
    const inserted = tx
      .insert(savedSearchHits)
      .values(open.map((savedSearchId) => ({ savedSearchId, listingId, createdAt: now })))
      .onConflictDoNothing()
      .returning({ id: savedSearchHits.savedSearchId })
      .all()
      .map((r) => r.id);
    if (inserted.length > 0) tx.update(savedSearches).set({ pending: sql`${savedSearches.pending} + 1` }).where(inArray(savedSearches.id, inserted)).run();
    added.push(...inserted);
  }
  return added;
}

export interface MatchRound {
  /** Listings taken from the outbox. */
  listings: number;
  /** Hits recorded. */
  hits: number;
  /** Instant searches that got a hit (their alerts are due now). */
  instant: number[];
}

export interface DrainOptions {
  /** Called between finding a listing's searches and recording them: the tests crash the job there. */
  afterCompute?: (listingId: number) => void;
  /** Per listing, after its hits are committed (the bench times each). */
  onListing?: (listingId: number, hits: number) => void;
  maxRounds?: number;
  /** Counts the searches the reverse index offered (the bench reports them). */
  stats?: { candidates: number };
}

/** Matches the due listings of the outbox against the saved searches, BATCH at a time, yielding between listings. */
export async function drainSavedSearchMatches(db: Db, now = () => Date.now(), opts: DrainOptions = {}): Promise<MatchRound> {
  const round: MatchRound = { listings: 0, hits: 0, instant: [] };
  const instant = new Set<number>();
  for (let r = 0; opts.maxRounds === undefined || r < opts.maxRounds; r++) {
    const rows = db
      .select({ id: savedSearchOutbox.id, listingId: savedSearchOutbox.listingId })
      .from(savedSearchOutbox)
      .where(lte(savedSearchOutbox.nextAttemptAt, now()))
      .orderBy(savedSearchOutbox.nextAttemptAt)
      .limit(BATCH)
      .all();
    if (rows.length === 0) break;
    for (const row of rows) {
      const t = now();
      try {
        const doc = documentsFor(db, [row.listingId], t)[0];
        const found = doc ? await searchesFitting(db, doc, t, opts.stats) : [];
        opts.afterCompute?.(row.listingId);
        const added = db.transaction(
          (tx) => {
            const hits = recordHits(tx as unknown as Db, row.listingId, found, t);
            tx.delete(savedSearchOutbox).where(eq(savedSearchOutbox.id, row.id)).run();
            return hits;
          },
          { behavior: 'immediate' },
        );
        round.listings++;
        round.hits += added.length;
        const frequency = new Map(found.map((f) => [f.id, f.frequency]));
        for (const id of added) if (frequency.get(id) === 'instant') instant.add(id);
        opts.onListing?.(row.listingId, added.length);
      } catch (e) {
        if (opts.afterCompute) throw e;
        db.update(savedSearchOutbox)
          .set({
            attempts: sql`${savedSearchOutbox.attempts} + 1`,
            nextAttemptAt: sql`${now()} + min(300000, 1000 * (1 << min(${savedSearchOutbox.attempts}, 20)))`,
            lastError: String((e as Error).message ?? e).slice(0, 500),
          })
          .where(eq(savedSearchOutbox.id, row.id))
          .run();
      }
      // SQLite answers synchronously: between listings the event loop serves requests.
      await yieldToLoop();
    }
  }
  round.instant = [...instant];
  return round;
}

/**
 * The alerts of some searches that are due: each one's pending listings in one mail, marked alerted in the same
 * transaction (the caller's `tx`; `db` for what is cached per connection: the taxonomy, parsed searches, the key).
 * A handful of statements for the batch, then one rendered mail per search.
 */
function alertBatch(db: Db, tx: Db, ids: number[], now: number): number {
  const due = tx
    .select({ search: savedSearches, email: users.email })
    .from(savedSearches)
    .innerJoin(users, eq(users.id, savedSearches.userId))
    .where(inArray(savedSearches.id, ids))
    .all()
    .filter(({ search }) => search.pending > 0 && now - search.lastAlertAt >= WAIT_MS[search.frequency]);
  if (due.length === 0) return 0;
  const pending = tx
    .select({ id: savedSearchHits.id, savedSearchId: savedSearchHits.savedSearchId, listingId: savedSearchHits.listingId })
    .from(savedSearchHits)
    .where(and(isNull(savedSearchHits.alertedAt), inArray(savedSearchHits.savedSearchId, due.map((d) => d.search.id))))
    .all();
  for (const part of chunks(pending.map((p) => p.id))) tx.update(savedSearchHits).set({ alertedAt: now }).where(inArray(savedSearchHits.id, part)).run();
  tx.update(savedSearches).set({ pending: 0 }).where(inArray(savedSearches.id, due.map((d) => d.search.id))).run();
  const bySearch = new Map<number, typeof pending>();
  for (const p of pending) bySearch.set(p.savedSearchId, [...(bySearch.get(p.savedSearchId) ?? []), p]);
  // Off: what was pending when the alerts stopped is let go, never sent later.
  const alerted = due.filter(({ search }) => search.frequency !== 'off' && bySearch.has(search.id));
  if (alerted.length === 0) return 0;
  tx.update(savedSearches).set({ lastAlertAt: now, overflow: 0 }).where(inArray(savedSearches.id, alerted.map((d) => d.search.id))).run();
  const cards = new Map(liveCards(tx, [...new Set(pending.map((p) => p.listingId))], now).map((c) => [c.id, c]));
  const { SITE_URL } = config();
  const t = translator('zh-CN');
  const taxonomy = getTaxonomy(db);
  let queued = 0;
  for (const { search, email } of alerted) {
    // Newest first.
    const hits = bySearch.get(search.id)!.sort((a, b) => b.id - a.id);
    const listed = hits.flatMap((h) => (cards.has(h.listingId) ? [cards.get(h.listingId)!] : []));
    if (listed.length === 0) continue;
    const parsed = parsedOf(db, search.query, now);
    const unsubscribe = unsubscribeUrl(db, search.id);
    const sent = queueMail(
      tx,
      {
        to: email,
        template: savedSearchAlertMail,
        data: {
          name: search.name,
          listings: listed.slice(0, MAX_LISTED).map((c) => ({
            title: c.title,
            kind: c.kind,
            link: absoluteUrl(SITE_URL, listingPath(c)),
            details: [formatPrice(t, 'zh-CN', c), taxonomy.regions.byId.get(c.regionId)?.nameZh, c.companyName].filter(Boolean).join(' · '),
          })),
          more: Math.max(0, listed.length - MAX_LISTED) + search.overflow,
          search: absoluteUrl(SITE_URL, parsed ? searchPathOf(parsed) : '/dashboard/saved-searches'),
          dashboard: absoluteUrl(SITE_URL, '/dashboard/saved-searches'),
          unsubscribe,
        },
        idempotencyKey: `saved-search-alert:${search.id}:${hits[0]!.id}`,
        locale: 'zh-CN',
        // RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs to the link, no sign-in needed.
        headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      },
      now,
    );
    if (sent) queued++;
  }
  return queued;
}

/**
 * Queues the alerts that are due: of the given searches (the instant ones a match round just fed), or of every search
 * with unalerted hits. Returns how many mails were queued.
 */
export async function queueSavedSearchAlerts(db: Db, now: number, only?: number[]): Promise<number> {
  // Through the partial index of searches with listings waiting: only those whose wait is over are read.
  const ids =
    only ??
    SAVED_SEARCH_FREQUENCIES.flatMap((frequency) =>
      db
        .select({ id: savedSearches.id })
        .from(savedSearches)
        .where(and(sql`${savedSearches.pending} > 0`, eq(savedSearches.frequency, frequency), lte(savedSearches.lastAlertAt, now - WAIT_MS[frequency])))
        .all()
        .map((r) => r.id),
    );
  let queued = 0;
  for (let i = 0; i < ids.length; i += ALERT_BATCH) {
    queued += db.transaction(
      (tx) => alertBatch(db, tx as unknown as Db, ids.slice(i, i + ALERT_BATCH), now),
      { behavior: 'immediate' },
    );
    await yieldToLoop();
  }
  return queued;
}

/** One round of the server's job: match what went live, alert the instant searches it fed. */
export async function savedSearchRound(db: Db, now = () => Date.now(), opts: DrainOptions = { maxRounds: 4 }): Promise<number> {
  const round = await drainSavedSearchMatches(db, now, opts);
  const mails = round.instant.length > 0 ? await queueSavedSearchAlerts(db, now(), round.instant) : 0;
  return round.hits + mails;
}

const started = new WeakSet<Db>();

/**
 * The server's jobs: matching every couple of seconds (an index probe when idle), and the daily and weekly alerts
 * every ten minutes. Both stop at shutdown after the batch in progress (scheduleJob registers them).
 */
export function startSavedSearchAlerts(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  scheduleJob('saved-search-matcher', { firstAfterMs: 500, everyMs: PERIOD_MS }, () => savedSearchRound(db));
  scheduleJob('saved-search-alerts', { firstAfterMs: 60_000, everyMs: 10 * 60_000 }, () => queueSavedSearchAlerts(db, Date.now()));
}
