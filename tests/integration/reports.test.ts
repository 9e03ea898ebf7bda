// Reports (举报): one open report per reporter and target, visitors rate-limited, and three distinct reporters take
// a live listing off the public site into the review queue, where the decision closes the reports.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings, reports } from '../../db/schema.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { ConflictError, NotFoundError, RateLimitedError } from '../../src/server/errors.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { decideListing, reviewQueue } from '../../src/server/moderation/index.ts';
import { dismissReport, openReports } from '../../src/server/moderation/reports.ts';
import { createRateLimiter } from '../../src/server/rate-limit.ts';
import { fileReport, setReportPolicy } from '../../src/server/reports/index.ts';
import { freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
const NOW = Date.now();
const admin = makeUser(db, { isAdmin: true });
const company = makeCompany(db);
const listing = makeListing(db, company.id, { title: '低价出售进口手机' });
const status = () => db.select({ s: listings.status }).from(listings).where(eq(listings.id, listing.id)).get()!.s;
const target = { type: 'listing' as const, id: listing.id };

describe('reports', () => {
  it('needs a reason, and keeps one open report per reporter and target', () => {
    const member = makeUser(db);
    expect(invalidFields(() => fileReport(db, { userId: member.id, ip: '10.2.0.1' }, target, { reason: 'nonsense' }, NOW))).toEqual({ reason: 'report.reasonRequired' });
    expect(fileReport(db, { userId: member.id, ip: '10.2.0.1' }, target, { reason: 'fraud', text: '要求先付定金' }, NOW).hidden).toBe(false);
    expect(() => fileReport(db, { userId: member.id, ip: '10.2.0.9' }, target, { reason: 'spam' }, NOW)).toThrow(new ConflictError('report.alreadyOpen'));
    expect(() => fileReport(db, { userId: null, ip: '10.2.0.1' }, { type: 'listing', id: 999_999 }, { reason: 'spam' }, NOW)).toThrow(NotFoundError);
  });

  it('hides the listing at the third distinct reporter (a visitor counts by address) and queues it for review', () => {
    fileReport(db, { userId: null, ip: '10.2.0.2' }, target, { reason: 'fraud' }, NOW);
    expect(() => fileReport(db, { userId: null, ip: '10.2.0.2' }, target, { reason: 'fraud' }, NOW)).toThrow(ConflictError);
    expect(status()).toBe('active');
    expect(fileReport(db, { userId: null, ip: '10.2.0.3' }, target, { reason: 'prohibited' }, NOW).hidden).toBe(true);
    expect(status()).toBe('pending');
    expect(() => getListingPage(db, listing.id, NOW)).toThrow(NotFoundError);
    expect(reviewQueue(db, admin.id).map((q) => [q.id, q.moderationNote])).toEqual([[listing.id, 'moderation.note.reported']]);
    expect(listAudit(db, { action: 'listing.hiddenByReports' })).toMatchObject([{ targetId: String(listing.id), after: { reporters: 3 } }]);
    expect(openReports(db, admin.id).map((r) => [r.reason, r.listingStatus])).toEqual([['fraud', 'pending'], ['fraud', 'pending'], ['prohibited', 'pending']]);
  });

  it("closes the listing's reports with the decision", () => {
    decideListing(db, admin.id, listing.id, 'approve', { confirm: 'on' }, NOW);
    expect(status()).toBe('active');
    expect(openReports(db, admin.id)).toEqual([]);
    expect(db.select({ s: reports.status }).from(reports).all().every((r) => r.s === 'dismissed')).toBe(true);
  });

  it('lets an admin dismiss a report, audited; others get NotFound', () => {
    const { id } = fileReport(db, { userId: null, ip: '10.2.0.4' }, { type: 'company', id: company.id }, { reason: 'other', text: '冒用他人名称' }, NOW);
    expect(() => dismissReport(db, makeUser(db).id, id, { confirm: 'on' }, NOW)).toThrow(NotFoundError);
    dismissReport(db, admin.id, id, { confirm: 'on' }, NOW);
    expect(listAudit(db, { targetType: 'report', targetId: String(id) })).toMatchObject([{ action: 'report.dismiss', actorId: admin.id }]);
  });

  it('rate-limits a visitor', () => {
    setReportPolicy(db, { visitorLimiter: createRateLimiter({ limit: 1, windowMs: 3_600_000 }) });
    const other = makeListing(db, company.id, { title: '供应二手挖掘机' });
    fileReport(db, { userId: null, ip: '10.2.0.5' }, { type: 'listing', id: other.id }, { reason: 'spam' }, NOW);
    expect(() => fileReport(db, { userId: null, ip: '10.2.0.5' }, { type: 'company', id: company.id }, { reason: 'spam' }, NOW)).toThrow(RateLimitedError);
  });
});
