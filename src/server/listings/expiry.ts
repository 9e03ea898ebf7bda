// Listings past their expiry turn `expired`. Readers never wait for this (liveCondition and rules.visibility already
// treat them as expired); the sweep makes the status say so and tells search, in small batches so a backlog after
// downtime never holds the write lock for long.
import { and, eq, inArray, lte } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { listingsChanged, type ListingPlace } from './changes.ts';
import { countChange } from './counts.ts';
import { scheduleJob } from '../observability/jobs.ts';

const BATCH = 200;
const SWEEP_EVERY_MS = 5 * 60_000;

/** Marks every active listing whose expiry has passed as expired; returns how many. */
export function expireListings(db: Db, now: number, batchSize = BATCH): number {
  let total = 0;
  const swept: ListingPlace[] = [];
  for (;;) {
    const rows = db.transaction(
      (tx) => {
        const rows = tx
          .select({
            id: listings.id,
            companyId: listings.companyId,
            regionId: listings.regionId,
            categoryId: listings.categoryId,
            kind: listings.kind,
            expiresAt: listings.expiresAt,
          })
          .from(listings)
          .where(and(eq(listings.status, 'active'), lte(listings.expiresAt, now)))
          .limit(batchSize)
          .all();
        if (rows.length === 0) return rows;
        const ids = rows.map((r) => r.id);
        tx.update(listings).set({ status: 'expired', updatedAt: now }).where(inArray(listings.id, ids)).run();
        enqueueSearchUpdate(tx, ids, now);
        return rows;
      },
      { behavior: 'immediate' },
    );
    total += rows.length;
    for (const row of rows) countChange(db, { ...row, status: 'active' }, { ...row, status: 'expired' });
    // A long backlog (after downtime) is simply every page: naming each listing would not save anything.
    if (swept.length < 1000) swept.push(...rows);
    if (rows.length < batchSize) break;
  }
  if (total > 0) listingsChanged(db, total > swept.length ? 'all' : swept);
  return total;
}

/** Runs the sweep now and every few minutes in the server process. */
export function startExpirySweep(db: Db): void {
  scheduleJob('expiry-sweep', { firstAfterMs: 1_000, everyMs: SWEEP_EVERY_MS }, () => expireListings(db, Date.now()));
}
