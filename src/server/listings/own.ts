// A company's own listings in id order, one page at a time from a keyset cursor: what an integration reads to
// reconcile its catalogue with ours. Each status is one range of listings_company_status_id_idx (company, status, id),
// read in id order and merged, so a page costs the same on the first page and the thousandth, without a sort.
import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { LISTING_STATUSES, listings, type ListingStatus } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import type { ListingRow } from './write.ts';

/** A status as the owner sees it: `expired` also holds active listings past their expiry the sweep has not reached. */
export type OwnStatus = ListingStatus;

export interface OwnPage {
  listings: ListingRow[];
  /** The id to continue after, or null on the last page. */
  nextAfter: number | null;
}

export function ownListingsPage(
  db: Db,
  companyId: number,
  opts: { status?: OwnStatus; afterId?: number; limit: number; now: number },
): OwnPage {
  const { status, afterId = 0, limit, now } = opts;
  const ranges = ownRanges(status, now);
  const rows = ranges
    .flatMap((r) => ownRangeQuery(db, companyId, r.status, afterId, limit + 1, r.extra).all())
    .sort((a, b) => a.id - b.id);
  const page = rows.slice(0, limit);
  return { listings: page, nextAfter: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** One status of a company after an id, in id order: one range of listings_company_status_id_idx. */
export function ownRangeQuery(db: Db, companyId: number, status: ListingStatus, afterId: number, limit: number, extra?: SQL) {
  return db
    .select()
    .from(listings)
    .where(and(eq(listings.companyId, companyId), eq(listings.status, status), gt(listings.id, afterId), extra))
    .orderBy(asc(listings.id))
    .limit(limit);
}

/** The index ranges a status filter reads: one per stored status. */
export function ownRanges(status: OwnStatus | undefined, now: number): { status: ListingStatus; extra?: SQL }[] {
  // One index range per stored status; the expiry only splits `active` (live) from `expired` (past expiry). The unary
  // + keeps the planner off the (status, expires_at) index, which would need a sort for the id order.
  const live = sql`+${listings.expiresAt} > ${now}`;
  const past = sql`+${listings.expiresAt} <= ${now}`;
  return !status
    ? LISTING_STATUSES.map((s) => ({ status: s }))
    : status === 'active'
      ? [{ status: 'active', extra: live }]
      : status === 'expired'
        ? [{ status: 'expired' }, { status: 'active', extra: past }]
        : [{ status }];
}
