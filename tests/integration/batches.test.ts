// Bulk loads of unverified companies are reviewed as one batch: a CSV import or an API bulk call makes one batch
// whose new listings wait in pending (out of the ordinary queue); an administrator approves or rejects the whole
// batch, or decides item by item, which closes the batch with its last listing. Verified companies publish at once.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listingBatches, listings } from '../../db/schema.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { importListings } from '../../src/server/import/index.ts';
import { describeImport } from '../../src/server/import/report.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { setReviewPolicy } from '../../src/server/listings/review.ts';
import { upsertListings, type BulkLoad } from '../../src/server/listings/upsert.ts';
import { unsentMailTo } from '../../src/server/mail/index.ts';
import { batchItems, decideBatch, openBatches } from '../../src/server/moderation/batches.ts';
import { decideListing, reviewQueue } from '../../src/server/moderation/index.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { DAY, freshDb, makeCompany, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
ensureSearchIndex(db);
// Past the new-member rule: only the batch holds these listings.
setReviewPolicy(db, { newMemberListings: 0 });
const NOW = Date.UTC(2026, 10, 30, 3);
const admin = makeUser(db, { isAdmin: true });
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id });
const item = (key: string, title: string, over: Record<string, unknown> = {}) => ({
  key,
  input: { kind: 'supply', category: 'grain-oil', region: 'nanchang-xian', title, priceType: 'negotiable', validityDays: over.validityDays ?? '30', ...over },
});
const status = (id: number) => db.select({ s: listings.status, b: listings.batchId, e: listings.expiresAt }).from(listings).where(eq(listings.id, id)).get()!;
const csv = (rows: string[]) => new TextEncoder().encode(['ref,类型,类目,地区,标题,价格', ...rows].join('\n'));

describe('bulk loads reviewed as one batch', () => {
  it('an unverified company’s API bulk load waits as one batch across its chunks, outside the ordinary queue', () => {
    const load: BulkLoad = { source: 'api', batchId: null };
    const first = upsertListings(db, owner.id, [item('A1', '供应早籼稻'), item('A2', '供应晚粳稻', { validityDays: '7' })], NOW, load);
    const second = upsertListings(db, owner.id, [item('A3', '供应糯米')], NOW, load);
    const ids = [...first, ...second].map((o) => (o.status === 'created' ? o.listing.id : 0));
    expect(load.batchId).not.toBeNull();
    for (const id of ids) expect(status(id)).toMatchObject({ s: 'pending', b: load.batchId });
    expect(reviewQueue(db, admin.id)).toEqual([]);
    expect(openBatches(db, admin.id)).toMatchObject([{ id: load.batchId, source: 'api', items: 3, waiting: 3, companyId: company.id }]);
    expect(batchItems(db, admin.id, load.batchId!).items.map((i) => i.title)).toEqual(['供应早籼稻', '供应晚粳稻', '供应糯米']);
    expect(() => openBatches(db, owner.id)).toThrow(NotFoundError);
  });

  it('approves a whole batch: each listing live for its own validity, one mail, one audit entry', () => {
    const [batch] = openBatches(db, admin.id);
    expect(invalidFields(() => decideBatch(db, admin.id, batch!.id, 'approve', {}, NOW))).toEqual({ confirm: 'moderation.confirmRequired' });
    expect(decideBatch(db, admin.id, batch!.id, 'approve', { confirm: 'on' }, NOW + DAY, '10.0.0.9')).toEqual({ listings: 3, changed: true });
    const rows = db.select().from(listings).where(eq(listings.batchId, batch!.id)).all();
    expect(rows.map((r) => [r.status, r.expiresAt! - r.publishedAt!])).toEqual([
      ['active', 30 * DAY],
      ['active', 7 * DAY],
      ['active', 30 * DAY],
    ]);
    expect(openBatches(db, admin.id)).toEqual([]);
    expect(unsentMailTo(db, owner.email).map((m) => m.template)).toEqual(['batch-approved']);
    expect(listAudit(db, { action: 'batch.approve' })).toMatchObject([{ actorId: admin.id, ip: '10.0.0.9', after: { listings: 3 } }]);
    expect(decideBatch(db, admin.id, batch!.id, 'approve', { confirm: 'on' }, NOW + DAY)).toEqual({ listings: 0, changed: false });
  });

  it('rejects a CSV import as one batch with a reason the owner reads', async () => {
    const report = await importListings(db, owner.id, csv(['B1,供应,粮油,南昌县,供应菜籽油,面议', 'B2,供应,粮油,南昌县,供应花生油,面议']), NOW);
    expect(report.created).toBe(2);
    expect(report.batchId).not.toBeNull();
    // The importer is told on the page and on the command line.
    expect(describeImport(report, translator('zh-CN')).summary).toContain(`批次（#${report.batchId}）等待管理员审核`);
    expect(invalidFields(() => decideBatch(db, admin.id, report.batchId!, 'reject', { confirm: 'on' }, NOW))).toEqual({ reason: 'moderation.reasonRequired' });
    expect(decideBatch(db, admin.id, report.batchId!, 'reject', { confirm: 'on', reason: '图片与产品不符' }, NOW)).toEqual({ listings: 2, changed: true });
    for (const id of report.listingIds) expect(db.select().from(listings).where(eq(listings.id, id)).get()).toMatchObject({ status: 'rejected', moderationNote: '图片与产品不符' });
    expect(unsentMailTo(db, owner.email).map((m) => m.template)).toContain('batch-rejected');
  });

  it('decides item by item; the batch closes with its last waiting listing', async () => {
    const report = await importListings(db, owner.id, csv(['C1,供应,粮油,南昌县,供应大豆油,面议', 'C2,供应,粮油,南昌县,供应玉米油,面议']), NOW);
    const [a, b] = report.listingIds;
    decideListing(db, admin.id, a!, 'approve', { confirm: 'on' }, NOW);
    expect(db.select().from(listingBatches).where(eq(listingBatches.id, report.batchId!)).get()!.status).toBe('open');
    expect(openBatches(db, admin.id)).toMatchObject([{ id: report.batchId, waiting: 1 }]);
    decideListing(db, admin.id, b!, 'reject', { confirm: 'on', reason: '重复' }, NOW);
    expect(db.select().from(listingBatches).where(eq(listingBatches.id, report.batchId!)).get()!.status).toBe('closed');
    expect([status(a!).s, status(b!).s]).toEqual(['active', 'rejected']);
  });

  it('leaves no empty batch when every item is refused, and none at all for a verified company', () => {
    const load: BulkLoad = { source: 'api', batchId: null };
    expect(upsertListings(db, owner.id, [item('D1', '')], NOW, load)[0]!.status).toBe('error');
    expect(load.batchId).toBeNull();
    expect(db.select().from(listingBatches).all()).toHaveLength(3);
    const verifiedOwner = makeUser(db);
    makeCompany(db, { ownerId: verifiedOwner.id, verified: true, verifiedAt: NOW });
    const verifiedLoad: BulkLoad = { source: 'api', batchId: null };
    const [o] = upsertListings(db, verifiedOwner.id, [item('E1', '供应芝麻油')], NOW, verifiedLoad);
    expect(o).toMatchObject({ status: 'created', listing: { status: 'active', batchId: null } });
    expect(verifiedLoad.batchId).toBeNull();
  });
});
