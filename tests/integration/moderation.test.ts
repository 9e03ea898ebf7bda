// Pre-moderation and the review queue: a new member's first listings wait in `pending`, invisible to the public,
// until an administrator approves them (or rejects them with a reason the owner reads and is mailed).
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { listings } from '../../db/schema.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { ForbiddenError, NotFoundError } from '../../src/server/errors.ts';
import { getDashboard } from '../../src/server/listings/dashboard.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { setReviewPolicy } from '../../src/server/listings/review.ts';
import { closeListing, createListing, renewListing, updateListing } from '../../src/server/listings/write.ts';
import { unsentMailTo } from '../../src/server/mail/index.ts';
import { decideListing, reviewQueue } from '../../src/server/moderation/index.ts';
import { DAY, freshDb, makeCompany, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
setReviewPolicy(db, { newMemberListings: 2 });
const NOW = Date.UTC(2026, 10, 30, 3);
const admin = makeUser(db, { isAdmin: true });
const member = makeUser(db);
const form = (title: string) => ({ kind: 'supply', category: 'grain-oil', region: 'nanchang-xian', title, priceType: 'negotiable', validityDays: '30' });
const stored = (id: number) => db.select().from(listings).where(eq(listings.id, id)).get()!;

beforeAll(() => {
  makeCompany(db, { ownerId: member.id });
});

describe('pre-moderation', () => {
  it("holds a new member's listings in pending, invisible to the public, with the reason on the dashboard", () => {
    const l = createListing(db, member.id, form('供应早籼稻 新米'), NOW);
    expect(l).toMatchObject({ status: 'pending', publishedAt: null, expiresAt: null, moderationNote: 'moderation.note.newMember' });
    expect(() => getListingPage(db, l.id, NOW)).toThrow(NotFoundError);
    const dash = getDashboard(db, member.id, 'review', 1, NOW);
    expect(dash.counts.review).toBe(1);
    expect(dash.items).toMatchObject([{ id: l.id, status: 'pending', moderationNote: 'moderation.note.newMember' }]);
    // Renewing or closing would publish it past the moderator.
    expect(() => renewListing(db, member.id, l.id, NOW)).toThrow(new ForbiddenError('moderation.awaitingReview'));
    expect(() => closeListing(db, member.id, l.id, NOW)).toThrow(new ForbiddenError('moderation.awaitingReview'));
  });

  it('shows the queue to admins only; anyone else gets NotFound', () => {
    expect(reviewQueue(db, admin.id).map((q) => q.title)).toEqual(['供应早籼稻 新米']);
    expect(() => reviewQueue(db, member.id)).toThrow(NotFoundError);
    expect(() => decideListing(db, member.id, 1, 'approve', { confirm: 'on' }, NOW)).toThrow(NotFoundError);
  });

  it('approves: live from the approval for its validity, mailed, audited; a second click changes nothing', () => {
    const [item] = reviewQueue(db, admin.id);
    expect(invalidFields(() => decideListing(db, admin.id, item!.id, 'approve', {}, NOW))).toEqual({ confirm: 'moderation.confirmRequired' });
    const later = NOW + DAY;
    expect(decideListing(db, admin.id, item!.id, 'approve', { confirm: 'on' }, later, '10.0.0.9')).toEqual({ listingId: item!.id, changed: true });
    expect(stored(item!.id)).toMatchObject({ status: 'active', publishedAt: later, expiresAt: later + 30 * DAY, moderationNote: null });
    expect(getListingPage(db, item!.id, later).state).toBe('live');
    expect(unsentMailTo(db, member.email).map((m) => m.template)).toEqual(['moderation-approved']);
    expect(listAudit(db, { targetType: 'listing', targetId: String(item!.id) })).toMatchObject([
      { action: 'listing.approve', actorId: admin.id, ip: '10.0.0.9', before: { status: 'pending' }, after: { status: 'active' } },
    ]);
    expect(decideListing(db, admin.id, item!.id, 'approve', { confirm: 'on' }, later)).toEqual({ listingId: item!.id, changed: false });
  });

  it('rejects with a required reason the owner reads; editing resubmits it', () => {
    const l = createListing(db, member.id, form('求购晚稻 500 吨'), NOW);
    expect(l.status).toBe('pending');
    expect(invalidFields(() => decideListing(db, admin.id, l.id, 'reject', { confirm: 'on', reason: ' ' }, NOW))).toEqual({ reason: 'moderation.reasonRequired' });
    decideListing(db, admin.id, l.id, 'reject', { confirm: 'on', reason: '请补充产地和规格' }, NOW);
    expect(stored(l.id)).toMatchObject({ status: 'rejected', moderationNote: '请补充产地和规格' });
    expect(getDashboard(db, member.id, 'review', 1, NOW).items).toMatchObject([{ id: l.id, status: 'rejected', moderationNote: '请补充产地和规格' }]);
    expect(unsentMailTo(db, member.email).map((m) => m.template)).toContain('moderation-rejected');
    updateListing(db, member.id, l.id, { description: '江西产早籼稻，水分 13.5%' }, NOW + 1);
    expect(stored(l.id)).toMatchObject({ status: 'pending', moderationNote: 'moderation.note.resubmitted' });
    decideListing(db, admin.id, l.id, 'approve', { confirm: 'on' }, NOW + 2);
  });

  it('publishes at once once the company has enough published listings, and always for a verified company', () => {
    expect(createListing(db, member.id, form('供应糯米'), NOW).status).toBe('active');
    const verifiedOwner = makeUser(db);
    makeCompany(db, { ownerId: verifiedOwner.id, verified: true, verifiedAt: NOW });
    expect(createListing(db, verifiedOwner.id, form('供应菜籽油'), NOW).status).toBe('active');
  });

  it('reads the queue as one index range in id order, without a sort', () => {
    const plan = (db.$client
      .prepare(
        "EXPLAIN QUERY PLAN SELECT l.id FROM listings l JOIN companies c ON c.id = l.company_id WHERE l.status = 'pending' ORDER BY l.published_at, l.id LIMIT 50",
      )
      .all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan).toMatch(/listings_status_published_idx/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
