import { eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listings, searchOutbox } from '../../db/schema.ts';
import { liveCounts } from '../../src/server/listings/counts.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { flushViews, isBot, pendingViews, recordView, startViewFlush } from '../../src/server/listings/views.ts';
import { runShutdownHooks } from '../../src/server/lifecycle.ts';
import { DAY, freshDb, makeCompany, makeListing } from '../helpers/db.ts';

const NOW = Date.now();

describe('expiry', () => {
  it('a listing past its expiry reads as expired before any sweep', () => {
    const db = freshDb();
    const c = makeCompany(db);
    const l = makeListing(db, c.id, { expiresAt: NOW - 1 });
    expect(getListingPage(db, l.id, NOW).state).toBe('expired');
    expect(liveCounts(db, NOW).total).toBe(0);
  });

  it('the sweep marks every active listing past expiry, in batches, queues them for search and nothing else', () => {
    const db = freshDb();
    const c = makeCompany(db);
    const past = Array.from({ length: 7 }, () => makeListing(db, c.id, { expiresAt: NOW - DAY }).id);
    const running = makeListing(db, c.id, { expiresAt: NOW + DAY }).id;
    const closed = makeListing(db, c.id, { status: 'closed', expiresAt: NOW - DAY }).id;
    expect(expireListings(db, NOW, 3)).toBe(7);
    const status = (ids: number[]) => db.select({ s: listings.status }).from(listings).where(inArray(listings.id, ids)).all().map((r) => r.s);
    expect(new Set(status(past))).toEqual(new Set(['expired']));
    expect(status([running, closed])).toEqual(['active', 'closed']);
    const queued = db.select({ id: searchOutbox.listingId }).from(searchOutbox).all().map((r) => r.id);
    expect(queued.sort()).toEqual([...past].sort());
    expect(expireListings(db, NOW)).toBe(0);
  });
});

describe('views', () => {
  it('counts public views in memory and adds them in one flush', () => {
    const db = freshDb();
    const c = makeCompany(db, { ownerId: null });
    const a = makeListing(db, c.id);
    const b = makeListing(db, c.id);
    const person = { userId: null, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/131.0' };
    for (let i = 0; i < 3; i++) recordView(a.id, 'owner-1', person);
    recordView(b.id, 'owner-1', person);
    expect(pendingViews(a.id)).toBe(3);
    expect(flushViews(db)).toBe(2);
    recordView(a.id, 'owner-1', person);
    flushViews(db);
    const views = (id: number) => db.select({ v: listings.views }).from(listings).where(eq(listings.id, id)).get()!.v;
    expect([views(a.id), views(b.id)]).toEqual([4, 1]);
    expect(flushViews(db)).toBe(0);
  });

  describe('the flush schedule', () => {
    afterEach(() => vi.useRealTimers());
    const person = { userId: null, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/131.0' };
    const setUp = () => {
      const db = freshDb();
      const l = makeListing(db, makeCompany(db, { ownerId: null }).id);
      const views = () => db.select({ v: listings.views }).from(listings).where(eq(listings.id, l.id)).get()!.v;
      return { db, l, views };
    };

    it('VIEW_FLUSH_MS=0 never writes on a timer, only when the server stops (a test controls the write)', async () => {
      vi.useFakeTimers();
      const { db, l, views } = setUp();
      startViewFlush(db, 0);
      recordView(l.id, null, person);
      vi.advanceTimersByTime(24 * 3600_000);
      expect(views()).toBe(0);
      expect(await runShutdownHooks()).toEqual([]);
      expect(views()).toBe(1);
    });

    it('writes every VIEW_FLUSH_MS, and what is left at the stop', async () => {
      vi.useFakeTimers();
      const { db, l, views } = setUp();
      startViewFlush(db, 5_000);
      recordView(l.id, null, person);
      vi.advanceTimersByTime(5_000);
      expect(views()).toBe(1);
      recordView(l.id, null, person);
      await runShutdownHooks();
      expect(views()).toBe(2);
      // The timer went with the stop.
      recordView(l.id, null, person);
      vi.advanceTimersByTime(60_000);
      expect(views()).toBe(2);
      flushViews(db);
    });
  });

  it('does not count crawlers or the owner', () => {
    recordView(999_001, 'owner-1', { userId: null, userAgent: 'Mozilla/5.0 (compatible; Baiduspider/2.0)' });
    recordView(999_001, 'owner-1', { userId: null, userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)' });
    recordView(999_001, 'owner-1', { userId: null, userAgent: null });
    recordView(999_001, 'owner-1', { userId: 'owner-1', userAgent: 'Mozilla/5.0 Firefox/133.0' });
    expect(pendingViews(999_001)).toBe(0);
    expect(isBot('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Mobile/15E148 MicroMessenger/8.0')).toBe(false);
    expect(isBot('Sogou web spider/4.0')).toBe(true);
  });
});
