// The console's listing search (id, title, company, status), taking a live listing down, and the per-day counts the
// triggers of migration 0012 keep.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings, reports } from '../../db/schema.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { unsentMailTo } from '../../src/server/mail/index.ts';
import { findListingsForAdmin, takeDownListing } from '../../src/server/moderation/listings.ts';
import { chinaDay, consoleStats } from '../../src/server/moderation/stats.ts';
import { ensureSearchIndex, rebuildFts } from '../../src/server/search/indexer.ts';
import { freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
ensureSearchIndex(db);
const NOW = Date.now();
const admin = makeUser(db, { isAdmin: true, createdAt: NOW });
const owner = makeUser(db, { createdAt: NOW });
const company = makeCompany(db, { ownerId: owner.id, slug: 'ganjiang-pipes' });
const other = makeCompany(db, { slug: 'other-co' });
const pipe = makeListing(db, company.id, { title: '供应无缝钢管 Φ89×4', createdAt: NOW });
const waiting = makeListing(db, company.id, { title: '供应焊接钢管', status: 'pending', publishedAt: null, expiresAt: null, createdAt: NOW });
const elsewhere = makeListing(db, other.id, { title: '供应不锈钢板', status: 'expired', createdAt: NOW });

describe('console listing search', () => {
  it('finds by id, by company (every status or one), by title within a status; admins only', async () => {
    expect((await findListingsForAdmin(db, admin.id, { q: String(elsewhere.id) }, NOW)).items.map((l) => l.id)).toEqual([elsewhere.id]);
    expect((await findListingsForAdmin(db, admin.id, { company: 'ganjiang-pipes' }, NOW)).items.map((l) => l.id)).toEqual([waiting.id, pipe.id]);
    expect((await findListingsForAdmin(db, admin.id, { company: String(company.id), status: 'pending' }, NOW)).items.map((l) => l.id)).toEqual([waiting.id]);
    const titled = await findListingsForAdmin(db, admin.id, { company: String(company.id), q: '无缝' }, NOW);
    expect(titled).toMatchObject({ scanned: true, items: [{ id: pipe.id, status: 'active', companySlug: 'ganjiang-pipes' }] });
    expect((await findListingsForAdmin(db, admin.id, { status: 'expired', q: '不锈钢' }, NOW)).items.map((l) => l.id)).toEqual([elsewhere.id]);
    expect(await findListingsForAdmin(db, admin.id, { company: 'no-such' }, NOW)).toMatchObject({ companyNotFound: true, items: [] });
    await expect(findListingsForAdmin(db, owner.id, {}, NOW)).rejects.toThrow(NotFoundError);
  });

  it('finds live listings by title through the search engine', async () => {
    rebuildFts(db, NOW);
    expect(await findListingsForAdmin(db, admin.id, { q: '钢管' }, NOW)).toMatchObject({ bySearch: true, items: [{ id: pipe.id }] });
  });

  it('takes a live listing down with a reason the owner reads and is mailed; audited', () => {
    expect(invalidFields(() => takeDownListing(db, admin.id, pipe.id, { confirm: 'on' }, NOW))).toEqual({ reason: 'moderation.reasonRequired' });
    expect(takeDownListing(db, admin.id, pipe.id, { confirm: 'on', reason: '价格虚假' }, NOW, '10.0.0.9')).toEqual({ changed: true });
    expect(db.select().from(listings).where(eq(listings.id, pipe.id)).get()).toMatchObject({ status: 'rejected', moderationNote: '价格虚假' });
    expect(unsentMailTo(db, owner.email).map((m) => m.template)).toEqual(['moderation-rejected']);
    expect(listAudit(db, { action: 'listing.takeDown' })).toMatchObject([{ actorId: admin.id, targetId: String(pipe.id), ip: '10.0.0.9' }]);
    expect(takeDownListing(db, admin.id, pipe.id, { confirm: 'on', reason: '价格虚假' }, NOW)).toEqual({ changed: false });
  });
});

describe('console counts', () => {
  it('counts new members, listings, reports and decisions per China day, and what waits now', () => {
    db.insert(reports).values({ targetType: 'listing', targetId: pipe.id, reason: 'fraud', reporterKey: 'ip:1', createdAt: NOW }).run();
    const stats = consoleStats(db, admin.id, NOW);
    expect(stats.days).toHaveLength(14);
    expect(stats.days[0]).toEqual({ day: chinaDay(NOW), members: 2, listings: 3, inquiries: 0, reports: 1, verifications: 0, decisions: 1 });
    expect(stats.waiting).toEqual({ queue: 1, reports: 1, verifications: 0, batches: 0 });
    expect(() => consoleStats(db, owner.id, NOW)).toThrow(NotFoundError);
  });
});
