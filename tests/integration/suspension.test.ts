// Suspending a company: sessions end, API tokens answer 401, live listings leave the public site and search (410),
// the company page answers 410; restoring brings all of it back, and nothing was deleted.
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings, searchOutbox, sessions } from '../../db/schema.ts';
import { authenticateApiToken, createApiToken } from '../../src/server/api-tokens/index.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { getCompanyPage } from '../../src/server/companies/page.ts';
import { ForbiddenError, GoneError, NotFoundError, UnauthorizedError } from '../../src/server/errors.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { createListing } from '../../src/server/listings/write.ts';
import { findCompanyForAdmin, setCompanySuspended } from '../../src/server/moderation/suspension.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
const NOW = Date.now();
const admin = makeUser(db, { isAdmin: true });
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id });
const live = makeListing(db, company.id, { title: '供应建筑用砂' });
const closed = makeListing(db, company.id, { title: '供应碎石', status: 'closed' });
const { token } = createApiToken(db, owner.id, { name: 'ERP' }, NOW);
db.insert(sessions).values({ id: 'session-of-owner', userId: owner.id, expiresAt: NOW + DAY }).run();
const statusOf = (id: number) => db.select({ s: listings.status }).from(listings).where(eq(listings.id, id)).get()!.s;
const queued = (id: number) => db.select({ n: count() }).from(searchOutbox).where(eq(searchOutbox.listingId, id)).get()!.n;

describe('company suspension', () => {
  it('is for admins only, with a reason and a confirmation', () => {
    expect(() => setCompanySuspended(db, owner.id, company.id, true, { confirm: 'on', reason: '虚假信息' }, NOW)).toThrow(NotFoundError);
    expect(invalidFields(() => setCompanySuspended(db, admin.id, company.id, true, { confirm: 'on' }, NOW))).toEqual({ reason: 'moderation.reasonRequired' });
    expect(findCompanyForAdmin(db, admin.id, String(company.id))?.id).toBe(company.id);
    expect(findCompanyForAdmin(db, admin.id, company.slug)?.id).toBe(company.id);
  });

  it('takes everything off at once, and restoring brings it back', () => {
    const before = queued(live.id);
    expect(setCompanySuspended(db, admin.id, company.id, true, { confirm: 'on', reason: '多次发布虚假信息' }, NOW)).toEqual({ changed: true, listings: 1 });
    expect(statusOf(live.id)).toBe('suspended');
    expect(statusOf(closed.id)).toBe('closed');
    expect(queued(live.id)).toBe(before + 1);
    expect(() => getListingPage(db, live.id, NOW)).toThrow(GoneError);
    expect(() => getCompanyPage(db, company.slug, 1, NOW)).toThrow(GoneError);
    expect(() => authenticateApiToken(db, token, NOW)).toThrow(UnauthorizedError);
    expect(db.select().from(sessions).where(eq(sessions.userId, owner.id)).all()).toEqual([]);
    expect(() => createListing(db, owner.id, { kind: 'supply', category: 'grain-oil', region: 'donghu', title: '供应河沙', priceType: 'negotiable' }, NOW)).toThrow(new ForbiddenError('moderation.suspended'));

    expect(setCompanySuspended(db, admin.id, company.id, false, { confirm: 'on', reason: '申诉核实' }, NOW + 1)).toEqual({ changed: true, listings: 1 });
    expect(statusOf(live.id)).toBe('active');
    expect(getListingPage(db, live.id, NOW).state).toBe('live');
    expect(authenticateApiToken(db, token, NOW).companyId).toBe(company.id);
    expect(listAudit(db, { targetType: 'company', targetId: String(company.id) }).map((e) => e.action)).toEqual(['company.restore', 'company.suspend']);
  });
});
