// How often a listing page was viewed. A write per page view would put every reader behind the single SQLite
// writer, so views are counted in memory and added to listings.views in one transaction every few seconds
// (VIEW_FLUSH_MS) and when the server stops. A crash loses at most those seconds of views. Crawlers and the owner's
// own visits are not counted.
import { eq, sql } from 'drizzle-orm';
import { listingDailyStats, listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { onShutdown, SHUTDOWN_ORDER } from '../lifecycle.ts';
import { scheduleJob } from '../observability/jobs.ts';

const DAY_MS = 86_400_000;

/** The day number (since 1970) of a moment in China's calendar, the day seller analytics count by. */
export function chinaDay(ms: number): number {
  return Math.floor((ms + 8 * 3_600_000) / DAY_MS);
}

// One tally per process: views are counted both by the built server's own copy of this module and by the page cache
// in front of it (scripts/start.ts loads its own copy), and the flush must see both.
const PENDING = Symbol.for('b2b-classifieds.pending-views');
const pending: Map<number, number> = ((globalThis as Record<symbol, unknown>)[PENDING] ??= new Map<number, number>()) as Map<number, number>;

// Crawlers name themselves; tools and headless browsers too. Not exhaustive: the aim is that the count means people.
const BOT = /bot|crawl|spider|slurp|archiver|facebookexternalhit|bingpreview|mediapartners|headless|lighthouse|curl|wget|python|httpclient|okhttp|java\/|go-http|node-fetch|axios|scrapy|^$/i;

export function isBot(userAgent: string | null): boolean {
  return BOT.test(userAgent ?? '');
}

export interface Viewer {
  userId: string | null;
  userAgent: string | null;
}

/** Counts a view of a live listing by the public (not its owner, not a crawler). */
export function recordView(listingId: number, ownerId: string | null, viewer: Viewer): void {
  if (isBot(viewer.userAgent)) return;
  if (viewer.userId !== null && viewer.userId === ownerId) return;
  pending.set(listingId, (pending.get(listingId) ?? 0) + 1);
}

/** Adds the counted views to the database in one transaction; returns how many listings were updated. */
export function flushViews(db: Db): number {
  if (pending.size === 0) return 0;
  const batch = [...pending];
  pending.clear();
  try {
    const add = db
      .update(listings)
      .set({ views: sql`${listings.views} + ${sql.placeholder('n')}` })
      .where(eq(listings.id, sql.placeholder('id')))
      .prepare();
    // The day's views too, so seller analytics have their history (listing_daily_stats).
    const addDaily = db
      .insert(listingDailyStats)
      .select(
        db
          .select({
            companyId: listings.companyId,
            listingId: listings.id,
            day: sql`${sql.placeholder('day')}`.as('day'),
            views: sql`${sql.placeholder('n')}`.as('views'),
            reveals: sql`0`.as('reveals'),
            inquiries: sql`0`.as('inquiries'),
            replies: sql`0`.as('replies'),
          })
          .from(listings)
          .where(eq(listings.id, sql.placeholder('id'))),
      )
      .onConflictDoUpdate({ target: [listingDailyStats.companyId, listingDailyStats.listingId, listingDailyStats.day], set: { views: sql`${listingDailyStats.views} + excluded.views` } })
      .prepare();
    const day = chinaDay(Date.now());
    db.transaction(
      () => {
        for (const [id, n] of batch) {
          add.run({ id, n });
          addDaily.run({ id, n, day });
        }
      },
      { behavior: 'immediate' },
    );
  } catch (e) {
    // Put them back for the next flush rather than lose them to a busy database.
    for (const [id, n] of batch) pending.set(id, (pending.get(id) ?? 0) + n);
    throw e;
  }
  return batch.length;
}

/** Views counted but not yet written (what the dashboard may add to the stored figure). */
export function pendingViews(listingId: number): number {
  return pending.get(listingId) ?? 0;
}

/** Flushes every `everyMs` (0: never on a timer), and once more when the server stops. */
export function startViewFlush(db: Db, everyMs: number): void {
  if (everyMs > 0) scheduleJob('view-flush', { firstAfterMs: everyMs, everyMs }, () => flushViews(db));
  onShutdown('listing views', () => void flushViews(db), SHUTDOWN_ORDER.data);
}
