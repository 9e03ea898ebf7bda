// The one outbox mechanism. A use case writes a row in its own transaction (mail_outbox, webhook_deliveries,
// match_outbox); a job (observability/jobs.ts scheduleJob) works the due rows off in small batches after the commit.
// A batch first claims its rows: one short write transaction pushes their next_attempt_at one lease ahead, so another
// process (a second app node) or the next round leaves them alone while they are worked on. Each row is then done
// (marked or deleted, in the transaction of its effect) or rescheduled with a growing delay. A crash mid-batch leaves
// the claimed rows to be taken again when the lease lapses: nothing is lost, and the effect's idempotency key (the
// Message-ID, the webhook id, the leads' unique index) makes a second attempt the same one.
import { and, inArray, lte, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db.ts';

export { scheduleJob, pacer, type Batch, type ScheduledJob } from '../observability/jobs.ts';

type OutboxTable = SQLiteTable & { id: SQLiteColumn; nextAttemptAt: SQLiteColumn };

/** base, 2 x base, 4 x base ... for attempt 1, 2, 3 ..., at most `maxMs`. */
export function backoffMs(attempts: number, baseMs: number, maxMs = Number.POSITIVE_INFINITY): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

/**
 * Claims up to `batch` rows that are due (next_attempt_at <= now, and `waiting`, e.g. status = 'queued'), oldest due
 * first, by moving them one lease ahead; returns them as they were before the claim.
 */
export function claimDue<T extends OutboxTable>(
  db: Db,
  table: T,
  waiting: SQL | undefined,
  { now, batch, leaseMs }: { now: number; batch: number; leaseMs: number },
): T['$inferSelect'][] {
  const due = and(waiting, lte(table.nextAttemptAt, now));
  // Most rounds find nothing: a read says so without taking the write lock every second.
  if (db.select({ id: table.id }).from(table as SQLiteTable).where(due).limit(1).all().length === 0) return [];
  return db.transaction(
    (tx) => {
      const rows = tx
        .select()
        .from(table as SQLiteTable)
        .where(due)
        .orderBy(table.nextAttemptAt)
        .limit(batch)
        .all() as T['$inferSelect'][];
      if (rows.length > 0) {
        tx.update(table)
          .set({ nextAttemptAt: now + leaseMs } as never)
          .where(inArray(table.id, rows.map((r) => (r as { id: number }).id)))
          .run();
      }
      return rows;
    },
    { behavior: 'immediate' },
  );
}
