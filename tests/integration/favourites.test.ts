// Favourites: keeping listings and companies, and the news when a kept listing changes its price or stops being
// live, by whatever writer (the form's edit, closing, the expiry sweep), told once, with the query plans it uses.
import { count } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listingChanges, mailOutbox } from '../../db/schema.ts';
import { addFavourite, drainListingChanges, favouritesPage, removeFavourite } from '../../src/server/favourites/index.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { closeListing, createListing, updateListing } from '../../src/server/listings/write.ts';
import { invalidFields } from '../helpers/errors.ts';
import { statementsOf, unindexed } from '../helpers/plans.ts';
import { DAY, freshDb, makeCompany, makeUser } from '../helpers/db.ts';

const NOW = Date.now();

function setup() {
  const db = freshDb();
  const seller = makeUser(db);
  const company = makeCompany(db, { ownerId: seller.id });
  const post = (title: string, price: string, validityDays = '30') =>
    createListing(db, seller.id, { kind: 'supply', category: 'rebar', region: 'donghu', title, priceType: 'single', price, priceUnit: '吨', validityDays }, NOW);
  const buyer = makeUser(db);
  return { db, seller, company, post, buyer };
}

describe('favourites', () => {
  it('keeps listings and companies once each, and lets them go', () => {
    const { db, company, post, buyer } = setup();
    const l = post('HRB400螺纹钢', '3800');
    addFavourite(db, buyer.id, { listing: String(l.id) }, NOW);
    addFavourite(db, buyer.id, { listing: String(l.id) }, NOW + 1);
    addFavourite(db, buyer.id, { company: String(company.id) }, NOW);
    const page = favouritesPage(db, buyer.id);
    expect(page.listings.map((f) => f.listing.id)).toEqual([l.id]);
    expect(page.companies.map((f) => f.company.id)).toEqual([company.id]);
    expect(invalidFields(() => addFavourite(db, buyer.id, { listing: 'abc' }, NOW))).toBeTruthy();
    expect(() => addFavourite(db, buyer.id, { listing: '999999' }, NOW)).toThrow(/listing 999999/);
    const other = makeUser(db);
    expect(() => removeFavourite(db, other.id, { remove: String(page.listings[0]!.favouriteId) })).toThrow();
    removeFavourite(db, buyer.id, { remove: String(page.listings[0]!.favouriteId) });
    expect(favouritesPage(db, buyer.id).listings).toEqual([]);
  });

  it('tells the keeper once when the price changes or the listing stops being live, whoever changed it', () => {
    const { db, seller, post, buyer } = setup();
    const a = post('HRB400螺纹钢 A', '3800');
    const b = post('HRB400螺纹钢 B', '3900', '7');
    const c = post('HRB400螺纹钢 C', '4000');
    const unkept = post('无人收藏', '100');
    for (const l of [a, b, c]) addFavourite(db, buyer.id, { listing: String(l.id) }, NOW);
    updateListing(db, seller.id, a.id, { description: '只改说明' }, NOW + 1);
    updateListing(db, seller.id, unkept.id, { price: '200' }, NOW + 1);
    expect(db.select({ n: count() }).from(listingChanges).get()!.n).toBe(0);
    updateListing(db, seller.id, a.id, { price: '3700' }, NOW + 2);
    closeListing(db, seller.id, c.id, NOW + 3);
    expireListings(db, NOW + 8 * DAY);
    expect(drainListingChanges(db, NOW + 8 * DAY)).toBe(3);
    expect(drainListingChanges(db, NOW + 8 * DAY)).toBe(0);
    const mails = db.select().from(mailOutbox).all();
    expect(mails.map((m) => m.subject).sort()).toEqual([
      '您收藏的“HRB400螺纹钢 A”价格有变化',
      '您收藏的“HRB400螺纹钢 B”已不再有效',
      '您收藏的“HRB400螺纹钢 C”已不再有效',
    ]);
    expect(mails.every((m) => m.toAddress === buyer.email)).toBe(true);
    expect(mails.find((m) => m.subject.includes(' A'))!.text).toContain('3,700');
    const news = Object.fromEntries(favouritesPage(db, buyer.id).listings.map((f) => [f.listing.title.slice(-1), f.change]));
    expect(news).toEqual({ A: 'price', B: 'gone', C: 'gone' });
  });

  it('reads through an index', async () => {
    const { db, seller, post, buyer } = setup();
    const a = post('HRB400螺纹钢 A', '3800');
    addFavourite(db, buyer.id, { listing: String(a.id) }, NOW);
    const seen = await statementsOf(db, () => {
      updateListing(db, seller.id, a.id, { price: '3700' }, NOW + 2);
      drainListingChanges(db, NOW + 3);
      favouritesPage(db, buyer.id);
    });
    // listing_changes is a queue drained to empty: reading it in id order is the point.
    const bad = unindexed(db, seen, ['favourites', 'listings']);
    expect(seen.some((q) => q.includes('"favourites"'))).toBe(true);
    expect(bad).toEqual([]);
  });
});
