// The per-day counters of seller analytics (listing_daily_stats): a use case that makes a contact reveal, an
// inquiry or a reply bumps its counter in its own transaction. Views are added by listings/views.ts flushViews.
import { sql } from 'drizzle-orm';
import { listingDailyStats } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { chinaDay } from '../listings/views.ts';

export type DailyCounter = 'reveals' | 'inquiries' | 'replies';

/** Adds one to the day's counter of a listing (listingId null: the company page itself). */
export function countDaily(tx: Pick<Db, 'insert'>, at: { companyId: number; listingId: number | null }, counter: DailyCounter, now: number): void {
  tx.insert(listingDailyStats)
    .values({ companyId: at.companyId, listingId: at.listingId ?? 0, day: chinaDay(now), [counter]: 1 })
    .onConflictDoUpdate({
      target: [listingDailyStats.companyId, listingDailyStats.listingId, listingDailyStats.day],
      set: { [counter]: sql`${listingDailyStats[counter]} + 1` },
    })
    .run();
}
