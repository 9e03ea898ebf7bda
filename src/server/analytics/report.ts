// Seller analytics: per day over the last 7, 30 or 90 days, what the company's listings (or one listing) brought:
// views, contact reveals, inquiries and replies. One listing's days are one range of the primary key. A company's
// days are summed over all its listings (one range of a covering index) once they are closed, kept in
// company_daily_stats, and read from there afterwards: counters only grow on the current day, so a day before
// yesterday never changes again. Days without activity read as zeros.
import { and, eq, gte, lt, sql, sum } from 'drizzle-orm';
import { companyDailyStats, listingDailyStats, listings } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import { csvDocument } from '../csv.ts';
import type { Db } from '../db.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { Translate } from '../i18n/index.ts';
import { chinaDay } from '../listings/views.ts';

export const RANGES = [7, 30, 90] as const;
export type Range = (typeof RANGES)[number];
export const METRICS = ['views', 'reveals', 'inquiries', 'replies'] as const;
export type Metric = (typeof METRICS)[number];

export interface DayFigures {
  day: number;
  /** YYYY-MM-DD in China. */
  date: string;
  views: number;
  reveals: number;
  inquiries: number;
  replies: number;
}

export function parseRange(raw: string | null): Range {
  return RANGES.find((r) => String(r) === raw) ?? 30;
}

const dateOf = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);

export function analyticsReport(db: Db, userId: string, options: { range: Range; listingId: number | null }, now: number) {
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('analytics.needCompany');
  let listing: { id: number; title: string; slug: string } | null = null;
  if (options.listingId !== null) {
    const row = db.select({ id: listings.id, title: listings.title, slug: listings.slug, companyId: listings.companyId }).from(listings).where(eq(listings.id, options.listingId)).get();
    if (!row || row.companyId !== company.id) throw new NotFoundError(`listing ${options.listingId}`);
    listing = { id: row.id, title: row.title, slug: row.slug };
  }
  const today = chinaDay(now);
  const first = today - options.range + 1;
  const rows = listing ? dailySums(db, company.id, listing.id, first, today + 1) : companyDays(db, company.id, first, today);
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const days: DayFigures[] = [];
  for (let day = first; day <= today; day++) {
    const r = byDay.get(day);
    days.push({ day, date: dateOf(day), views: r?.views ?? 0, reveals: r?.reveals ?? 0, inquiries: r?.inquiries ?? 0, replies: r?.replies ?? 0 });
  }
  const totals = Object.fromEntries(METRICS.map((m) => [m, days.reduce((a, d) => a + d[m], 0)])) as Record<Metric, number>;
  return { company: { id: company.id, name: company.name }, listing, range: options.range, days, totals };
}

type DayRow = { day: number } & Record<Metric, number>;

/** Sums per day of [from, to) over a company's listings (or one of them) from the per-listing figures. */
function dailySums(db: Db, companyId: number, listingId: number | null, from: number, to: number): DayRow[] {
  const s = listingDailyStats;
  const n = (column: (typeof s)[Metric]) => sql<number>`coalesce(${sum(column)}, 0)`.mapWith(Number);
  return db
    .select({ day: s.day, views: n(s.views), reveals: n(s.reveals), inquiries: n(s.inquiries), replies: n(s.replies) })
    .from(s)
    .where(and(eq(s.companyId, companyId), ...(listingId === null ? [] : [eq(s.listingId, listingId)]), gte(s.day, from), lt(s.day, to)))
    .groupBy(s.day)
    .all();
}

/** A company's days from `first` to `today`: closed days from the rollup (summed into it on first need), the last two live. */
function companyDays(db: Db, companyId: number, first: number, today: number): DayRow[] {
  const live = today - 1;
  const c = companyDailyStats;
  const closed = () =>
    db
      .select({ day: c.day, views: c.views, reveals: c.reveals, inquiries: c.inquiries, replies: c.replies })
      .from(c)
      .where(and(eq(c.companyId, companyId), gte(c.day, first), lt(c.day, live)))
      .all();
  let rolled = closed();
  if (rolled.length < live - first) {
    const have = new Set(rolled.map((r) => r.day));
    const missing = Array.from({ length: live - first }, (_, i) => first + i).filter((d) => !have.has(d));
    const sums = new Map(dailySums(db, companyId, null, missing[0]!, live).map((r) => [r.day, r]));
    // Every missing day gets a row, zeros included, so it is never summed again.
    db.insert(c)
      .values(missing.map((day) => sums.get(day) ?? { day, views: 0, reveals: 0, inquiries: 0, replies: 0 }).map((r) => ({ ...r, companyId })))
      .onConflictDoNothing()
      .run();
    rolled = closed();
  }
  return [...rolled, ...dailySums(db, companyId, null, live, today + 1)];
}

export type AnalyticsReport = ReturnType<typeof analyticsReport>;

/** The report as CSV: one row per day, the listing's title (or the company's name) in each row. */
export function analyticsCsv(report: AnalyticsReport, t: Translate): string {
  const subject = report.listing?.title ?? report.company.name;
  return csvDocument([
    [t('analytics.date'), t('analytics.subject'), ...METRICS.map((m) => t(`analytics.${m}`))],
    ...report.days.map((d) => [d.date, subject, d.views, d.reveals, d.inquiries, d.replies]),
  ]);
}
