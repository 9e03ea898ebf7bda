// Seller analytics: per day over the last 7, 30 or 90 days, what the company's listings (or one listing) brought:
// views, contact reveals, inquiries and replies. A company's days are one range of a covering index however many
// listings it has; one listing's days are one range of the primary key. Days without activity read as zeros.
import { and, eq, gte, sql, sum } from 'drizzle-orm';
import { listingDailyStats, listings } from '../../../db/schema.ts';
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

export function parseListingId(raw: string | null): number | null {
  return raw !== null && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : null;
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
  const s = listingDailyStats;
  const where = and(eq(s.companyId, company.id), ...(listing ? [eq(s.listingId, listing.id)] : []), gte(s.day, first));
  const n = (column: (typeof s)[Metric]) => sql<number>`coalesce(${sum(column)}, 0)`.mapWith(Number);
  const rows = db
    .select({ day: s.day, views: n(s.views), reveals: n(s.reveals), inquiries: n(s.inquiries), replies: n(s.replies) })
    .from(s)
    .where(where)
    .groupBy(s.day)
    .all();
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const days: DayFigures[] = [];
  for (let day = first; day <= today; day++) {
    const r = byDay.get(day);
    days.push({ day, date: dateOf(day), views: r?.views ?? 0, reveals: r?.reveals ?? 0, inquiries: r?.inquiries ?? 0, replies: r?.replies ?? 0 });
  }
  const totals = Object.fromEntries(METRICS.map((m) => [m, days.reduce((a, d) => a + d[m], 0)])) as Record<Metric, number>;
  return { company: { id: company.id, name: company.name }, listing, range: options.range, days, totals };
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
