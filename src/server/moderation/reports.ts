// Open reports as administrators see them, and dismissing one (a listing hidden by reports is decided in the queue).
import { and, asc, eq, gt } from 'drizzle-orm';
import { companies, listings, reports } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { confirmOnly } from './confirm.ts';

export const REPORTS_PAGE = 50;

export interface OpenReport {
  id: number;
  targetType: 'listing' | 'company';
  targetId: number;
  reason: string;
  text: string;
  createdAt: number;
  title: string;
  slug: string;
  listingStatus: string | null;
}

/** Open reports, oldest first, with what they are about. */
export function openReports(db: Db, adminId: string, after = 0): OpenReport[] {
  assertAdmin(db, adminId);
  const rows = db
    .select()
    .from(reports)
    .where(and(eq(reports.status, 'open'), gt(reports.id, after)))
    .orderBy(asc(reports.id))
    .limit(REPORTS_PAGE)
    .all();
  return rows.map((r) => {
    if (r.targetType === 'listing') {
      const l = db.select({ title: listings.title, slug: listings.slug, status: listings.status }).from(listings).where(eq(listings.id, r.targetId)).get();
      return { ...r, title: l?.title ?? '', slug: l?.slug ?? '', listingStatus: l?.status ?? null };
    }
    const c = db.select({ name: companies.name, slug: companies.slug }).from(companies).where(eq(companies.id, r.targetId)).get();
    return { ...r, title: c?.name ?? '', slug: c?.slug ?? '', listingStatus: null };
  });
}

/** Closes a report as unfounded (field confirm = 'on'). */
export function dismissReport(db: Db, adminId: string, reportId: number, input: unknown, now: number, ip?: string): void {
  assertAdmin(db, adminId);
  parseInput(confirmOnly, input);
  db.transaction(
    (tx) => {
      const row = tx.select().from(reports).where(eq(reports.id, reportId)).get();
      if (!row) throw new NotFoundError(`report ${reportId}`);
      if (row.status !== 'open') return;
      tx.update(reports).set({ status: 'dismissed', decidedAt: now, decidedBy: adminId }).where(eq(reports.id, reportId)).run();
      recordAudit(tx, { actorId: adminId, action: 'report.dismiss', targetType: 'report', targetId: reportId, before: { status: 'open' }, after: { status: 'dismissed', target: `${row.targetType}:${row.targetId}` }, ip }, now);
    },
    { behavior: 'immediate' },
  );
}
