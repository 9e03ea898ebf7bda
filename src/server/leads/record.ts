// The matcher job: drains match_outbox (rows written by triggers on listings, in the writer's own transaction),
// finds each listing's matches, and records the leads with their instant mails and the outbox row's deletion in one
// transaction. A crash before that commit leaves the row to be matched again; a crash after it leaves nothing to
// redo; and the unique (listing, company) index makes even a second run of the same row record nothing twice.
import { and, count, eq, gte, inArray, isNull } from 'drizzle-orm';
import { companies, leadPrefs, leads, listings, matchOutbox, users, type LeadMailMode } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { chinaDay } from '../listings/views.ts';
import { liveCondition } from '../listings/queries.ts';
import { queueMail } from '../mail/index.ts';
import { backoffMs, claimDue, scheduleJob } from '../outbox/index.ts';
import { emitWebhook } from '../webhooks/index.ts';
import { listingPath } from '../urls.ts';
import { findMatches, MAX_LEADS_PER_LISTING, type Match, type MatchSubject } from './match.ts';
import { leadDigestMail, leadMail, type LeadLine } from './mails.ts';

export const MAX_LEADS_PER_COMPANY_PER_DAY = 50;
const DAY_MS = 86_400_000;
/** Listings per batch: a stop waits for at most this many to be matched. */
const BATCH = 2;
const PERIOD_MS = 2_000;
/** How long a claimed row is left to its batch (two listings' searches, slowed down under load) before it is taken again. */
export const MATCH_LEASE_MS = 5 * 60_000;

export interface DrainOptions {
  /** Called between computing a listing's matches and recording them: the tests crash the job there. */
  afterCompute?: (listingId: number, matches: Match[]) => void;
  /** Batches of BATCH listings to take at most. */
  maxRounds?: number;
}

/** The moment China's current calendar day began. */
function dayStart(now: number): number {
  return chinaDay(now) * DAY_MS - 8 * 3_600_000;
}

function subjectOf(db: Db, listingId: number, now: number): MatchSubject | undefined {
  return db
    .select({
      id: listings.id,
      companyId: listings.companyId,
      kind: listings.kind,
      title: listings.title,
      categoryId: listings.categoryId,
      topCategoryId: listings.topCategoryId,
      regionId: listings.regionId,
      cityId: listings.cityId,
      attributes: listings.attributes,
    })
    .from(listings)
    .where(and(eq(listings.id, listingId), liveCondition(now)))
    .get();
}

function mailModeOf(db: Pick<Db, 'select'>, companyId: number): LeadMailMode {
  return db.select({ mail: leadPrefs.mail }).from(leadPrefs).where(eq(leadPrefs.companyId, companyId)).get()?.mail ?? 'daily';
}

const feedUrl = () => `${config().SITE_URL}/dashboard/leads`;

/** Records the leads of one listing within the bounds; returns how many were new. Runs inside `tx`. */
function record(tx: Db, subject: MatchSubject, matches: Match[], now: number): number {
  const already = tx.select({ n: count() }).from(leads).where(eq(leads.listingId, subject.id)).get()!.n;
  let room = MAX_LEADS_PER_LISTING - already;
  const since = dayStart(now);
  let added = 0;
  for (const m of matches) {
    if (room <= 0) break;
    if (m.companyId === subject.companyId) continue;
    const today = tx
      .select({ n: count() })
      .from(leads)
      .where(and(eq(leads.companyId, m.companyId), gte(leads.createdAt, since)))
      .get()!.n;
    if (today >= MAX_LEADS_PER_COMPANY_PER_DAY) continue;
    const mode = mailModeOf(tx, m.companyId);
    const row = tx
      .insert(leads)
      .values({
        listingId: subject.id,
        sourceCompanyId: subject.companyId,
        companyId: m.companyId,
        matchedListingId: m.listingId,
        score: m.score,
        createdAt: now,
        // Instant mail goes out in this transaction; with mail off there is nothing to wait for.
        notifiedAt: mode === 'daily' ? null : now,
      })
      .onConflictDoNothing()
      .returning({ id: leads.id })
      .get();
    if (!row) continue;
    added++;
    room--;
    emitWebhook(tx, m.companyId, 'lead.created', `lead:${row.id}`, { leadId: row.id, listingId: subject.id, kind: subject.kind, title: subject.title, matchedListingId: m.listingId }, now);
    if (mode === 'instant') {
      const to = ownerEmail(tx, m.companyId);
      const yours = tx.select({ title: listings.title }).from(listings).where(eq(listings.id, m.listingId)).get();
      if (to) {
        queueMail(
          tx,
          { to, template: leadMail, data: { ...line(tx, subject.id, yours?.title ?? ''), feed: feedUrl() }, idempotencyKey: `lead:${row.id}`, locale: 'zh-CN' },
          now,
        );
      }
    }
  }
  return added;
}

function ownerEmail(db: Pick<Db, 'select'>, companyId: number): string | undefined {
  return db
    .select({ email: users.email })
    .from(companies)
    .innerJoin(users, eq(users.id, companies.ownerId))
    .where(eq(companies.id, companyId))
    .get()?.email;
}

function line(db: Pick<Db, 'select'>, listingId: number, yourTitle: string): LeadLine {
  const l = db.select({ id: listings.id, slug: listings.slug, title: listings.title, kind: listings.kind }).from(listings).where(eq(listings.id, listingId)).get()!;
  return { title: l.title, kind: l.kind, link: `${config().SITE_URL}${listingPath(l)}`, yourTitle };
}

/**
 * One batch of the matcher: claims BATCH due rows of match_outbox for one lease, finds each listing's matches (the
 * searches pace themselves, match.ts) and records its leads with the row's deletion in one transaction. A listing
 * that is no longer live is dropped from the outbox unmatched; a failure reschedules its row with a growing delay.
 */
async function matchBatch(db: Db, now: () => number, opts: DrainOptions): Promise<{ added: number; more: boolean }> {
  const rows = claimDue(db, matchOutbox, undefined, { now: now(), batch: BATCH, leaseMs: MATCH_LEASE_MS });
  let added = 0;
  for (const row of rows) {
    const t = now();
    const subject = subjectOf(db, row.listingId, t);
    try {
      const matches = subject ? await findMatches(db, subject, t) : [];
      opts.afterCompute?.(row.listingId, matches);
      added += db.transaction(
        (tx) => {
          // The listing may have changed or died while its matches were computed: then it is matched again from
          // its newer outbox row, or not at all.
          const n = subject && subjectOf(tx as unknown as Db, row.listingId, t) ? record(tx as unknown as Db, subject, matches, t) : 0;
          tx.delete(matchOutbox).where(eq(matchOutbox.id, row.id)).run();
          return n;
        },
        { behavior: 'immediate' },
      );
    } catch (e) {
      if (opts.afterCompute) throw e;
      db.update(matchOutbox)
        .set({ attempts: row.attempts + 1, nextAttemptAt: now() + backoffMs(row.attempts + 1, 1_000, 300_000), lastError: String((e as Error).message ?? e).slice(0, 500) })
        .where(eq(matchOutbox.id, row.id))
        .run();
    }
  }
  return { added, more: rows.length === BATCH };
}

/** Matches every due listing of match_outbox (or `maxRounds` batches) and records their leads; returns how many were new. */
export async function drainMatches(db: Db, now = () => Date.now(), opts: DrainOptions = {}): Promise<number> {
  let added = 0;
  for (let round = 0; opts.maxRounds === undefined || round < opts.maxRounds; round++) {
    const batch = await matchBatch(db, now, opts);
    added += batch.added;
    if (!batch.more) break;
  }
  return added;
}

/**
 * The daily digest: one mail per company with the leads of earlier days it has not been mailed about, sent once the
 * China day they came on is over. Returns how many mails were queued.
 */
export function queueLeadDigests(db: Db, now: number): number {
  const before = dayStart(now);
  const companyIds = db
    .selectDistinct({ companyId: leads.companyId })
    .from(leads)
    .where(isNull(leads.notifiedAt))
    .all()
    .map((r) => r.companyId);
  let queued = 0;
  for (const companyId of companyIds) {
    queued += db.transaction(
      (tx) => {
        const due = tx
          .select({ id: leads.id, listingId: leads.listingId, matchedListingId: leads.matchedListingId, createdAt: leads.createdAt })
          .from(leads)
          .where(and(isNull(leads.notifiedAt), eq(leads.companyId, companyId)))
          .all()
          .filter((l) => l.createdAt < before);
        if (due.length === 0) return 0;
        const to = ownerEmail(tx, companyId);
        tx.update(leads).set({ notifiedAt: now }).where(inArray(leads.id, due.map((l) => l.id))).run();
        if (!to || mailModeOf(tx, companyId) === 'off') return 0;
        const yours = new Map(
          tx.select({ id: listings.id, title: listings.title }).from(listings).where(inArray(listings.id, due.map((l) => l.matchedListingId))).all().map((r) => [r.id, r.title]),
        );
        const lines = due.map((l) => line(tx, l.listingId, yours.get(l.matchedListingId) ?? ''));
        return queueMail(
          tx,
          { to, template: leadDigestMail, data: { leads: lines, feed: feedUrl() }, idempotencyKey: `lead-digest:${companyId}:${chinaDay(now)}`, locale: 'zh-CN' },
          now,
        )
          ? 1
          : 0;
      },
      { behavior: 'immediate' },
    );
  }
  return queued;
}

const started = new WeakSet<Db>();

/**
 * The server's matcher (the outbox runner): every couple of seconds (an index probe when idle), batch after batch
 * while a backlog lasts, paced so pages come first; the digest once an hour. A stop finishes the batch in progress.
 */
export function startMatcher(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  scheduleJob('lead-matcher', { firstAfterMs: 500, everyMs: PERIOD_MS }, async () => {
    const { added, more } = await matchBatch(db, () => Date.now(), {});
    return { done: added, more };
  });
  scheduleJob('lead-digest', { firstAfterMs: 3_600_000, everyMs: 3_600_000 }, () => queueLeadDigests(db, Date.now()));
}
