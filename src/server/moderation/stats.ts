// The console's dashboard: counts per day (China dates) from daily_counts, which triggers keep exact (migration
// 0012), and what waits for an administrator now, each counted over a small index range.
import { and, eq, gte, sql } from 'drizzle-orm';
import { companyVerifications, DAILY_METRICS, dailyCounts, listingBatches, listings, reports } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import type { Db } from '../db.ts';
import { waitingIn } from './batches.ts';

export type DailyMetric = (typeof DAILY_METRICS)[number];
const CHINA_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** The China date of a moment, YYYY-MM-DD (what the triggers write). */
export const chinaDay = (ms: number) => new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);

export interface ConsoleStats {
  /** Newest day first; every day of the span, zeros included. */
  days: ({ day: string } & Record<DailyMetric, number>)[];
  waiting: { queue: number; reports: number; verifications: number; batches: number };
}

export function consoleStats(db: Db, adminId: string, now: number, span = 14): ConsoleStats {
  assertAdmin(db, adminId);
  const days = Array.from({ length: span }, (_, i) => chinaDay(now - i * DAY_MS));
  const byDay = new Map(days.map((day) => [day, { day, ...(Object.fromEntries(DAILY_METRICS.map((m) => [m, 0])) as Record<DailyMetric, number>) }]));
  // One range of the (metric, day) primary key per metric.
  for (const metric of DAILY_METRICS) {
    const rows = db.select({ day: dailyCounts.day, n: dailyCounts.n }).from(dailyCounts).where(and(eq(dailyCounts.metric, metric), gte(dailyCounts.day, days.at(-1)!))).all();
    for (const r of rows) {
      const entry = byDay.get(r.day);
      if (entry) entry[metric] = r.n;
    }
  }
  const count = (n: { n: number } | undefined) => n?.n ?? 0;
  return {
    days: [...byDay.values()],
    waiting: {
      queue: count(db.select({ n: sql<number>`count(*)` }).from(listings).where(waitingIn(null)).get()),
      reports: count(db.select({ n: sql<number>`count(*)` }).from(reports).where(eq(reports.status, 'open')).get()),
      verifications: count(db.select({ n: sql<number>`count(*)` }).from(companyVerifications).where(eq(companyVerifications.status, 'pending')).get()),
      batches: count(db.select({ n: sql<number>`count(*)` }).from(listingBatches).where(eq(listingBatches.status, 'open')).get()),
    },
  };
}
