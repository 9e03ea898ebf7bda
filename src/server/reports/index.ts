// Reports (举报): anyone, visitors too, may report a listing or a company for a reason. One reporter keeps at most
// one open report per target (a member by account, a visitor by address); reports are rate-limited per reporter.
// When distinct reporters of one live listing reach the threshold, the listing leaves the public site and waits in
// the review queue (moderation/) until an administrator decides.
import { and, count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listings, REPORT_REASONS, reports } from '../../../db/schema.ts';
import { recordAudit } from '../audit/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { listingsMovedInBulk } from '../listings/counts.ts';
import { createRateLimiter, type RateLimiter } from '../rate-limit.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { hashToken } from '../tokens.ts';
import { parseInput } from '../validation.ts';

export type ReportTarget = { type: 'listing'; id: number } | { type: 'company'; id: number };

export interface ReportPolicy {
  /** Distinct open reporters that hide a live listing until it is reviewed. */
  hideThreshold: number;
  visitorLimiter: RateLimiter;
  memberLimiter: RateLimiter;
}

const HOUR = 3_600_000;
const policies = new WeakMap<Db, ReportPolicy>();

export function reportPolicy(db: Db): ReportPolicy {
  let p = policies.get(db);
  if (!p) {
    p = {
      hideThreshold: config().REPORT_HIDE_THRESHOLD,
      visitorLimiter: createRateLimiter({ name: 'report-visitor', db, limit: 5, windowMs: HOUR }),
      memberLimiter: createRateLimiter({ name: 'report-member', db, limit: 20, windowMs: HOUR }),
    };
    policies.set(db, p);
  }
  return p;
}

export function setReportPolicy(db: Db, overrides: Partial<ReportPolicy>): void {
  policies.set(db, { ...reportPolicy(db), ...overrides });
}

const reportSchema = z.object({
  reason: z.enum(REPORT_REASONS, { error: 'report.reasonRequired' }),
  text: z.string().trim().max(1000, 'report.textTooLong').optional().default(''),
});

/** What the report page shows about its target; NotFound for a target the public cannot see. */
export function reportTargetSummary(db: Db, target: ReportTarget): { title: string } {
  if (target.type === 'listing') {
    const l = db.select({ title: listings.title, status: listings.status }).from(listings).where(eq(listings.id, target.id)).get();
    if (!l || !['active', 'expired', 'closed'].includes(l.status)) throw new NotFoundError(`listing ${target.id}`);
    return { title: l.title };
  }
  const c = db.select({ name: companies.name }).from(companies).where(eq(companies.id, target.id)).get();
  if (!c) throw new NotFoundError(`company ${target.id}`);
  return { title: c.name };
}

/** Files a report (fields reason, text); returns whether it took the listing off the public site. */
export function fileReport(
  db: Db,
  reporter: { userId: string | null; ip: string },
  target: ReportTarget,
  input: unknown,
  now: number,
): { id: number; hidden: boolean } {
  const data = parseInput(reportSchema, input);
  reportTargetSummary(db, target);
  const policy = reportPolicy(db);
  const key = reporter.userId ? `user:${reporter.userId}` : `ip:${hashToken(reporter.ip).slice(0, 32)}`;
  (reporter.userId ? policy.memberLimiter : policy.visitorLimiter).consume(key, now);
  let hidden = false;
  const id = db.transaction(
    (tx) => {
      const open = and(eq(reports.targetType, target.type), eq(reports.targetId, target.id), eq(reports.status, 'open'));
      if (tx.select({ id: reports.id }).from(reports).where(and(open, eq(reports.reporterKey, key))).get()) {
        throw new ConflictError('report.alreadyOpen');
      }
      const row = tx
        .insert(reports)
        .values({ targetType: target.type, targetId: target.id, reason: data.reason, text: data.text, reporterKey: key, reporterId: reporter.userId, createdAt: now })
        .returning({ id: reports.id })
        .get();
      if (target.type === 'listing') {
        // One open report per reporter and target (a unique index): the open reports are the distinct reporters.
        const reporters = tx.select({ n: count() }).from(reports).where(open).get()!.n;
        const listing = tx.select({ status: listings.status }).from(listings).where(eq(listings.id, target.id)).get()!;
        if (reporters >= policy.hideThreshold && listing.status === 'active') {
          tx.update(listings).set({ status: 'pending', moderationNote: 'moderation.note.reported', updatedAt: now }).where(eq(listings.id, target.id)).run();
          enqueueSearchUpdate(tx, [target.id], now);
          recordAudit(tx, { actorId: null, action: 'listing.hiddenByReports', targetType: 'listing', targetId: target.id, before: { status: 'active' }, after: { status: 'pending', reporters } }, now);
          hidden = true;
        }
      }
      return row.id;
    },
    { behavior: 'immediate' },
  );
  if (hidden) {
    // Moderation moves listings on or off the public lists: the counts and the kept pages follow (a rare, admin-sized event).
    listingsMovedInBulk(db);
  }
  return { id, hidden };
}
