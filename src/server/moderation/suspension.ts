// Suspending a company: at once its owner's sessions end, its API tokens answer 401, its live listings leave the
// public site, search (through the search outbox) and sitemaps, and its pages answer 410. Restoring brings all of
// it back; nothing is deleted (live listings wait in `suspended`, tokens are refused while suspendedAt is set).
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listings, sessions } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { listingsMovedInBulk } from '../listings/counts.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { parseInput } from '../validation.ts';
import { confirm, reason } from './confirm.ts';

const schema = z.object({ confirm, reason });

/** A company by id or slug, as the console looks it up; null when there is none. */
export function findCompanyForAdmin(db: Db, adminId: string, ref: string) {
  assertAdmin(db, adminId);
  const r = ref.trim();
  if (!r) return null;
  const byId = /^[1-9]\d{0,14}$/.test(r) ? db.select().from(companies).where(eq(companies.id, Number(r))).get() : undefined;
  return byId ?? db.select().from(companies).where(eq(companies.slug, r)).get() ?? null;
}

/** Suspends (`suspend` = true) or restores a company (fields confirm = 'on', reason). */
export function setCompanySuspended(db: Db, adminId: string, companyId: number, suspend: boolean, input: unknown, now: number, ip?: string): { changed: boolean; listings: number } {
  assertAdmin(db, adminId);
  const why = parseInput(schema, input).reason;
  const result = db.transaction(
    (tx) => {
      const company = tx.select().from(companies).where(eq(companies.id, companyId)).get();
      if (!company) throw new NotFoundError(`company ${companyId}`);
      if ((company.suspendedAt !== null) === suspend) return { changed: false, listings: 0 };
      tx.update(companies).set({ suspendedAt: suspend ? now : null }).where(eq(companies.id, companyId)).run();
      const [from, to] = suspend ? (['active', 'suspended'] as const) : (['suspended', 'active'] as const);
      // Index range (company_id, status): only this company's listings in the one status.
      const moved = tx
        .update(listings)
        .set({ status: to, updatedAt: now })
        .where(and(eq(listings.companyId, companyId), eq(listings.status, from)))
        .returning({ id: listings.id })
        .all()
        .map((l) => l.id);
      enqueueSearchUpdate(tx, moved, now);
      if (suspend && company.ownerId) tx.delete(sessions).where(eq(sessions.userId, company.ownerId)).run();
      recordAudit(
        tx,
        {
          actorId: adminId,
          action: suspend ? 'company.suspend' : 'company.restore',
          targetType: 'company',
          targetId: companyId,
          before: { suspendedAt: company.suspendedAt },
          after: { suspendedAt: suspend ? now : null, reason: why, listings: moved.length },
          ip,
        },
        now,
      );
      return { changed: true, listings: moved.length };
    },
    { behavior: 'immediate' },
  );
  if (result.changed) {
    // Moderation moves listings on or off the public lists: the counts and the kept pages follow (a rare, admin-sized event).
    listingsMovedInBulk(db);
  }
  return result;
}
