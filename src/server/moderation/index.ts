// The review queue: listings waiting in `pending` (a new member's first listings, see listings/review.ts) are
// approved or rejected by an administrator. Each decision is one transaction that also queues the listing for the
// search index, the owner's mail and the audit entry, so none of them can be lost or happen alone.
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listings, reports } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { listingsMovedInBulk } from '../listings/counts.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { listingPath } from '../urls.ts';
import { parseInput } from '../validation.ts';
import { closeBatchIfDone, waitingIn } from './batches.ts';
import { confirm, confirmOnly, reason } from './confirm.ts';
import { approvedMail, mailOwner, rejectedMail } from './mails.ts';

const DAY_MS = 86_400_000;
export const QUEUE_PAGE = 50;

export interface QueueItem {
  id: number;
  slug: string;
  kind: 'supply' | 'demand';
  title: string;
  description: string;
  moderationNote: string | null;
  createdAt: number;
  companyId: number;
  companyName: string;
  companySlug: string;
}

/**
 * The waiting listings: never-published ones (new members, flagged duplicates) first, then those hidden by reports,
 * each oldest first; one page of QUEUE_PAGE.
 */
export function reviewQueue(db: Db, adminId: string, page = 1): QueueItem[] {
  assertAdmin(db, adminId);
  return db
    .select({
      id: listings.id,
      slug: listings.slug,
      kind: listings.kind,
      title: listings.title,
      description: listings.description,
      moderationNote: listings.moderationNote,
      createdAt: listings.createdAt,
      companyId: companies.id,
      companyName: companies.name,
      companySlug: companies.slug,
    })
    .from(listings)
    .innerJoin(companies, eq(companies.id, listings.companyId))
    // The partial index of waiting listings, batch_id IS NULL: one range in (published_at, rowid) order, no sort;
    // bulk loads under review are decided as batches (batches.ts) and do not flood this queue.
    .where(waitingIn(null))
    .orderBy(asc(listings.publishedAt), asc(listings.id))
    .limit(QUEUE_PAGE)
    .offset((Math.max(1, page) - 1) * QUEUE_PAGE)
    .all();
}

const rejectSchema = z.object({ confirm, reason });

export type Decision = 'approve' | 'reject';

/** What happened: `changed` is false when the listing had already left the queue (a second click decides nothing). */
export interface DecisionResult {
  listingId: number;
  changed: boolean;
}

/** Approves or rejects a pending listing (fields: confirm = 'on'; reason, required to reject). */
export function decideListing(db: Db, adminId: string, listingId: number, decision: Decision, input: unknown, now: number, ip?: string): DecisionResult {
  assertAdmin(db, adminId);
  const why = decision === 'reject' ? parseInput(rejectSchema, input).reason : (parseInput(confirmOnly, input), null);
  const changed = db.transaction(
    (tx) => {
      const listing = tx.select().from(listings).where(eq(listings.id, listingId)).get();
      if (!listing) throw new NotFoundError(`listing ${listingId}`);
      if (listing.status !== 'pending') return false;
      const next =
        decision === 'approve'
          ? { status: 'active' as const, publishedAt: now, expiresAt: now + listing.validityDays * DAY_MS, moderationNote: null }
          : { status: 'rejected' as const, moderationNote: why };
      tx.update(listings).set({ ...next, updatedAt: now }).where(eq(listings.id, listingId)).run();
      // The decision answers the listing's open reports too: rejected means they were right, approved that they were not.
      tx.update(reports)
        .set({ status: decision === 'reject' ? 'resolved' : 'dismissed', decidedAt: now, decidedBy: adminId })
        .where(and(eq(reports.targetType, 'listing'), eq(reports.targetId, listingId), eq(reports.status, 'open')))
        .run();
      enqueueSearchUpdate(tx, [listingId], now);
      closeBatchIfDone(tx, listing.batchId, now, adminId);
      recordAudit(
        tx,
        {
          actorId: adminId,
          action: `listing.${decision}`,
          targetType: 'listing',
          targetId: listingId,
          before: { status: listing.status, moderationNote: listing.moderationNote },
          after: { status: next.status, moderationNote: next.moderationNote },
          ip,
        },
        now,
      );
      const link = config().SITE_URL + (decision === 'approve' ? listingPath(listing) : `/dashboard/listings/${listingId}/edit`);
      mailOwner(
        tx,
        listing.companyId,
        { template: decision === 'approve' ? approvedMail : rejectedMail, data: { title: listing.title, link, reason: why ?? '' }, idempotencyKey: `moderation:${listingId}:${decision}:${now}` },
        now,
      );
      return true;
    },
    { behavior: 'immediate' },
  );
  if (changed) {
    // Moderation moves listings on or off the public lists: the counts and the kept pages follow (a rare, admin-sized event).
    listingsMovedInBulk(db);
  }
  return { listingId, changed };
}
