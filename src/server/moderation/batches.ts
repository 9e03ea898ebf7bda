// Bulk loads of unverified companies reviewed as one batch (the batch is made by listings/upsert.ts): an
// administrator approves or rejects every waiting listing of it at once, or opens it and decides item by item in
// the ordinary way (decideListing), which closes the batch with its last waiting listing. Each decision is one
// transaction with its search updates, its audit entry and one mail to the owner.
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listingBatches, listings } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { listingsMovedInBulk } from '../listings/counts.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { parseInput } from '../validation.ts';
import { confirm, confirmOnly, reason } from './confirm.ts';
import { decisionMail, mailOwner } from './mails.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const DAY_MS = 86_400_000;
export const BATCHES_PAGE = 50;
export const BATCH_ITEMS_PAGE = 50;

/** The waiting listings of one batch, or (batchId null) those outside any batch: the partial index's range. */
export const waitingIn = (batchId: number | null) =>
  and(sql`${listings.status} = 'pending'`, batchId === null ? isNull(listings.batchId) : eq(listings.batchId, batchId));

export interface OpenBatch {
  id: number;
  source: 'import' | 'api';
  createdAt: number;
  items: number;
  waiting: number;
  companyId: number;
  companyName: string;
  companySlug: string;
}

/** Batches still waiting, oldest first (keyset: ids above `after`), each with how many of its listings wait. */
export function openBatches(db: Db, adminId: string, after = 0): OpenBatch[] {
  assertAdmin(db, adminId);
  const rows = db
    .select({
      id: listingBatches.id,
      source: listingBatches.source,
      createdAt: listingBatches.createdAt,
      items: listingBatches.items,
      companyId: companies.id,
      companyName: companies.name,
      companySlug: companies.slug,
    })
    .from(listingBatches)
    .innerJoin(companies, eq(companies.id, listingBatches.companyId))
    .where(and(eq(listingBatches.status, 'open'), gt(listingBatches.id, after)))
    .orderBy(asc(listingBatches.id))
    .limit(BATCHES_PAGE)
    .all();
  return rows.map((b) => ({ ...b, waiting: waitingCount(db, b.id) }));
}

function waitingCount(db: Db | Tx, batchId: number): number {
  return db.select({ n: sql<number>`count(*)` }).from(listings).where(waitingIn(batchId)).get()!.n;
}

/** One page of a batch's waiting listings, in the order they came. */
export function batchItems(db: Db, adminId: string, batchId: number, page = 1) {
  assertAdmin(db, adminId);
  const batch = db.select().from(listingBatches).where(eq(listingBatches.id, batchId)).get();
  if (!batch) throw new NotFoundError(`batch ${batchId}`);
  const items = db
    .select({ id: listings.id, slug: listings.slug, kind: listings.kind, title: listings.title, description: listings.description, moderationNote: listings.moderationNote, createdAt: listings.createdAt })
    .from(listings)
    .where(waitingIn(batchId))
    .orderBy(asc(listings.publishedAt), asc(listings.id))
    .limit(BATCH_ITEMS_PAGE)
    .offset((Math.max(1, page) - 1) * BATCH_ITEMS_PAGE)
    .all();
  return { batch, items, waiting: waitingCount(db, batchId) };
}

const batchApprovedMail = decisionMail('batch-approved', { subject: 'admin.batches.mail.approvedSubject', body: 'admin.batches.mail.approvedBody', link: 'admin.batches.mail.open' });
const batchRejectedMail = decisionMail('batch-rejected', { subject: 'admin.batches.mail.rejectedSubject', body: 'admin.batches.mail.rejectedBody', link: 'admin.batches.mail.open' });

const rejectSchema = z.object({ confirm, reason });

/** Approves or rejects every waiting listing of a batch (fields confirm = 'on'; reason, required to reject). */
export function decideBatch(db: Db, adminId: string, batchId: number, decision: 'approve' | 'reject', input: unknown, now: number, ip?: string): { listings: number; changed: boolean } {
  assertAdmin(db, adminId);
  const why = decision === 'reject' ? parseInput(rejectSchema, input).reason : (parseInput(confirmOnly, input), null);
  const result = db.transaction(
    (tx) => {
      const batch = tx.select().from(listingBatches).where(eq(listingBatches.id, batchId)).get();
      if (!batch) throw new NotFoundError(`batch ${batchId}`);
      if (batch.status !== 'open') return { listings: 0, changed: false };
      // One statement over the partial index's range: each listing runs its own validity from the approval.
      const ids = tx
        .update(listings)
        .set(
          decision === 'approve'
            ? { status: 'active', publishedAt: now, expiresAt: sql`${now} + ${listings.validityDays} * ${DAY_MS}`, moderationNote: null, updatedAt: now }
            : { status: 'rejected', moderationNote: why, updatedAt: now },
        )
        .where(waitingIn(batchId))
        .returning({ id: listings.id })
        .all()
        .map((r) => r.id);
      enqueueSearchUpdate(tx, ids, now);
      tx.update(listingBatches)
        .set({ status: decision === 'approve' ? 'approved' : 'rejected', reason: why, decidedAt: now, decidedBy: adminId })
        .where(eq(listingBatches.id, batchId))
        .run();
      recordAudit(
        tx,
        { actorId: adminId, action: `batch.${decision}`, targetType: 'batch', targetId: batchId, before: { status: 'open', waiting: ids.length }, after: { status: decision === 'approve' ? 'approved' : 'rejected', listings: ids.length, ...(why ? { reason: why } : {}) }, ip },
        now,
      );
      if (ids.length > 0) {
        mailOwner(
          tx,
          batch.companyId,
          {
            template: decision === 'approve' ? batchApprovedMail : batchRejectedMail,
            data: { title: '', n: ids.length, link: `${config().SITE_URL}/dashboard${decision === 'approve' ? '' : '?tab=review'}`, reason: why ?? '' },
            idempotencyKey: `batch:${batchId}:${decision}`,
          },
          now,
        );
      }
      return { listings: ids.length, changed: true };
    },
    { behavior: 'immediate' },
  );
  if (result.listings > 0) {
    listingsMovedInBulk(db);
  }
  return result;
}

/** After one of its listings is decided on its own: a batch with nothing left waiting is closed. */
export function closeBatchIfDone(tx: Tx, batchId: number | null, now: number, adminId: string): void {
  if (batchId === null || waitingCount(tx, batchId) > 0) return;
  tx.update(listingBatches).set({ status: 'closed', decidedAt: now, decidedBy: adminId }).where(and(eq(listingBatches.id, batchId), eq(listingBatches.status, 'open'))).run();
}
