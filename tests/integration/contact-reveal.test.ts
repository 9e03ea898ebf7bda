// 查看电话: the phone is revealed by a POST that is counted per listing and day and limited per address and member.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listingDailyStats } from '../../db/schema.ts';
import { REVEAL_LIMITS, contactPage, revealContact } from '../../src/server/companies/contact.ts';
import { RateLimitedError } from '../../src/server/errors.ts';
import { chinaDay } from '../../src/server/listings/views.ts';
import { freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';

const NOW = Date.UTC(2026, 10, 30, 4);
const db = freshDb();
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id, phone: '0791-86123456' });
const listing = makeListing(db, company.id);
const other = makeListing(db, makeCompany(db).id);
const stats = () => db.select().from(listingDailyStats).where(eq(listingDailyStats.companyId, company.id)).all();

describe('contact reveal', () => {
  it('the page without the POST has no phone; the POST gives it and counts it on the listing', () => {
    expect(contactPage(db, company.slug).company.phone).toBe('');
    expect(revealContact(db, company.slug, { listingId: listing.id, userId: null, ip: '198.51.100.1' }, NOW).company.phone).toBe('0791-86123456');
    expect(stats()).toEqual([expect.objectContaining({ listingId: listing.id, day: chinaDay(NOW), reveals: 1, views: 0 })]);
  });

  it('counts on the company page when the listing is missing or another company’s; the owner is not counted', () => {
    revealContact(db, company.slug, { listingId: other.id, userId: null, ip: '198.51.100.2' }, NOW);
    revealContact(db, company.slug, { listingId: null, userId: null, ip: '198.51.100.2' }, NOW);
    revealContact(db, company.slug, { listingId: listing.id, userId: owner.id, ip: '198.51.100.2' }, NOW);
    expect(stats().find((s) => s.listingId === 0)!.reveals).toBe(2);
    expect(stats().find((s) => s.listingId === listing.id)!.reveals).toBe(1);
  });

  it(`limits an address to ${REVEAL_LIMITS.ip} an hour and a member to ${REVEAL_LIMITS.member}`, () => {
    for (let i = 0; i < REVEAL_LIMITS.ip; i++) revealContact(db, company.slug, { listingId: null, userId: null, ip: '203.0.113.7' }, NOW);
    expect(() => revealContact(db, company.slug, { listingId: null, userId: null, ip: '203.0.113.7' }, NOW)).toThrow(RateLimitedError);
    expect(() => revealContact(db, company.slug, { listingId: null, userId: null, ip: '203.0.113.7' }, NOW + 3_600_000)).not.toThrow();
    const member = makeUser(db);
    for (let i = 0; i < REVEAL_LIMITS.member; i++) revealContact(db, company.slug, { listingId: null, userId: member.id, ip: `192.0.2.${i}` }, NOW);
    expect(() => revealContact(db, company.slug, { listingId: null, userId: member.id, ip: '192.0.2.200' }, NOW)).toThrow(RateLimitedError);
  });
});
