// The navigation counts come from a table triggers keep; whatever writes listings, they must equal a count of the
// live listings themselves.
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, listings } from '../../db/schema.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { forgetCounts, liveCounts } from '../../src/server/listings/counts.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { closeListing, createListing, deleteListing, renewListing, updateListing } from '../../src/server/listings/write.ts';
import { liveCondition } from '../../src/server/listings/queries.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser, regionBySlug, someLeafCategory } from '../helpers/db.ts';

const NOW = Date.now();

/** Every region's, category's and region x category's count, of both kinds and of each, straight from the live listings. */
function expectedCounts(db: ReturnType<typeof freshDb>, at: number) {
  const { regions, categories } = getTaxonomy(db);
  const live = db.select({ regionId: listings.regionId, categoryId: listings.categoryId, kind: listings.kind }).from(listings).where(liveCondition(at)).all();
  const out = new Map<string, number>();
  let kind = '';
  const add = (k: string) => {
    out.set(k, (out.get(k) ?? 0) + 1);
    out.set(`${k}/${kind}`, (out.get(`${k}/${kind}`) ?? 0) + 1);
  };
  for (const l of live) {
    kind = l.kind;
    for (const r of regions.path(l.regionId)) {
      add(`r${r.id}`);
      for (const c of categories.path(l.categoryId)) add(`${r.id}:${c.id}`);
    }
    for (const c of categories.path(l.categoryId)) add(`c${c.id}`);
  }
  return { total: live.length, out };
}

/** The counts match the listings: recomputed (`fresh`), or as kept and adjusted by the writes since. */
function expectExact(db: ReturnType<typeof freshDb>, { fresh = true, at = NOW } = {}) {
  if (fresh) forgetCounts(db);
  const counts = liveCounts(db, at);
  const { total, out } = expectedCounts(db, at);
  expect(counts.total).toBe(total);
  const { regions, categories } = getTaxonomy(db);
  const actual = new Map<string, number>();
  for (const kind of [undefined, 'supply', 'demand'] as const) {
    const key = (k: string) => (kind ? `${k}/${kind}` : k);
    for (const r of regions.byId.values()) {
      if (counts.region(r.id, kind)) actual.set(key(`r${r.id}`), counts.region(r.id, kind));
      for (const c of categories.byId.values())
        if (counts.regionCategory(r.id, c.id, kind)) actual.set(key(`${r.id}:${c.id}`), counts.regionCategory(r.id, c.id, kind));
    }
    for (const c of categories.byId.values()) if (counts.category(c.id, kind)) actual.set(key(`c${c.id}`), counts.category(c.id, kind));
  }
  expect(actual).toEqual(out);
}

describe('live counts', () => {
  it('match the live listings through posting, moving, closing, renewing, expiry, the sweep and deletion', () => {
    const db = freshDb();
    writeDemoData(db, { listings: 600, seed: 3, now: NOW });
    expectExact(db);

    const c = makeCompany(db);
    const a = makeListing(db, c.id);
    const b = makeListing(db, c.id, { kind: 'demand', regionId: regionBySlug(db, 'xihu').id });
    const stale = makeListing(db, c.id, { expiresAt: NOW - DAY }); // active, past expiry, not swept yet
    makeListing(db, c.id, { status: 'draft' });
    expectExact(db);

    // Moved to another county and category, made a demand, closed, renewed: every change of what is counted.
    db.update(listings).set({ regionId: regionBySlug(db, 'qingshanhu').id, categoryId: someLeafCategory(db, 7).id }).where(eq(listings.id, a.id)).run();
    db.update(listings).set({ kind: 'demand' }).where(eq(listings.id, a.id)).run();
    expectExact(db);
    db.update(listings).set({ status: 'closed' }).where(eq(listings.id, b.id)).run();
    expectExact(db);
    db.update(listings).set({ status: 'active', expiresAt: NOW + DAY }).where(eq(listings.id, b.id)).run();
    expectExact(db);

    expect(expireListings(db, NOW)).toBeGreaterThan(0);
    expect(db.select({ s: listings.status }).from(listings).where(eq(listings.id, stale.id)).get()!.s).toBe('expired');
    expectExact(db);

    // A company's deletion cascades to its listings; the triggers see those deletes too.
    const busy = db.select({ id: listings.companyId }).from(listings).where(eq(listings.status, 'active')).limit(1).get()!.id;
    db.delete(companies).where(inArray(companies.id, [busy, c.id])).run();
    expectExact(db);
  });

  it('kept counts follow each write through the posting functions without being recomputed', () => {
    const db = freshDb();
    writeDemoData(db, { listings: 300, seed: 4, now: NOW });
    const user = makeUser(db);
    makeCompany(db, { ownerId: user.id });
    liveCounts(db, NOW); // kept from here on
    const form = { kind: 'supply', category: 'grain-oil', region: 'donghu', title: '供应大米', description: '产地直供。', priceType: 'negotiable', priceUnit: '元/斤', quantityUnit: '吨', validityDays: '30' };
    const a = createListing(db, user.id, form, NOW);
    const b = createListing(db, user.id, { ...form, region: 'jiujiang', kind: 'demand' }, NOW);
    expectExact(db, { fresh: false });
    updateListing(db, user.id, a.id, { region: 'xihu', category: 'rebar' }, NOW);
    expectExact(db, { fresh: false });
    closeListing(db, user.id, b.id, NOW);
    expectExact(db, { fresh: false });
    renewListing(db, user.id, b.id, NOW);
    expectExact(db, { fresh: false });
    deleteListing(db, user.id, a.id, NOW);
    expectExact(db, { fresh: false });
    // Time passes: the listings that expired meanwhile leave the kept counts, before and after the sweep marks them.
    for (const days of [3, 8, 31, 45, 100]) expectExact(db, { fresh: false, at: NOW + days * DAY });
    expect(expireListings(db, NOW + 100 * DAY)).toBeGreaterThan(0);
    expectExact(db, { fresh: false, at: NOW + 100 * DAY });
  });
});
