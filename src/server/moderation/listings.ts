// The console's listing search (by id, title, company, status) and its one action beyond the queue's decisions:
// taking a live listing down with a reason (it becomes `rejected`, which its owner reads and may answer by editing).
//
// Every read is one index range, newest first, bounded: a company's listings of one status through
// (company_id, status, id); one status site-wide through (status, published_at). A title among live listings is
// found by the site's search engine (exact, every match); among other statuses it is looked for in the newest
// SCAN_LIMIT listings of the range only, and the page says so.
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { companies, LISTING_STATUSES, listings, type ListingStatus } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { listingsMovedInBulk } from '../listings/counts.ts';
import { searchListings } from '../search/index.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { parseInput } from '../validation.ts';
import { confirm, reason } from './confirm.ts';
import { mailOwner, rejectedMail } from './mails.ts';
import { findCompanyForAdmin } from './suspension.ts';

export const ADMIN_LISTINGS_PAGE = 50;
export const SCAN_LIMIT = 5000;

export interface AdminListingFilter {
  /** A listing id, or words of a title. */
  q?: string;
  /** A company id or slug. */
  company?: string;
  /** One status; empty: every status (of a company), or live listings site-wide. */
  status?: string;
}

const columns = {
  id: listings.id,
  slug: listings.slug,
  kind: listings.kind,
  title: listings.title,
  status: listings.status,
  createdAt: listings.createdAt,
  publishedAt: listings.publishedAt,
  moderationNote: listings.moderationNote,
  batchId: listings.batchId,
  companyId: companies.id,
  companyName: companies.name,
  companySlug: companies.slug,
};

export interface AdminListingResult {
  items: { id: number; slug: string; kind: 'supply' | 'demand'; title: string; status: ListingStatus; createdAt: number; publishedAt: number | null; moderationNote: string | null; batchId: number | null; companyId: number; companyName: string; companySlug: string }[];
  /** The company the search was narrowed to, when one was given and found. */
  company: { id: number; name: string; slug: string } | null;
  companyNotFound: boolean;
  /** A title was looked for among the newest SCAN_LIMIT listings of a range only. */
  scanned: boolean;
  /** Live listings were found through the search engine. */
  bySearch: boolean;
}

const isStatus = (s: string | undefined): s is ListingStatus => (LISTING_STATUSES as readonly string[]).includes(s ?? '');

export async function findListingsForAdmin(db: Db, adminId: string, filter: AdminListingFilter, now: number): Promise<AdminListingResult> {
  assertAdmin(db, adminId);
  const q = (filter.q ?? '').trim().slice(0, 100);
  const select = () => db.select(columns).from(listings).innerJoin(companies, eq(companies.id, listings.companyId));
  const result: AdminListingResult = { items: [], company: null, companyNotFound: false, scanned: false, bySearch: false };
  if (/^[1-9]\d{0,14}$/.test(q)) {
    result.items = select().where(eq(listings.id, Number(q))).all();
    return result;
  }
  const status = isStatus(filter.status) ? filter.status : undefined;
  if (filter.company?.trim()) {
    const company = findCompanyForAdmin(db, adminId, filter.company);
    if (!company) return { ...result, companyNotFound: true };
    result.company = { id: company.id, name: company.name, slug: company.slug };
    // Each status of the company is one range of (company_id, status, id), newest first; the pages merge them.
    const ranges = (status ? [status] : LISTING_STATUSES).map((s) => {
      const range = and(eq(listings.companyId, company.id), eq(listings.status, s))!;
      if (q) return byIds(matchingTitles(db, range, q, [desc(listings.id)]));
      return select().where(range).orderBy(desc(listings.id)).limit(ADMIN_LISTINGS_PAGE).all();
    });
    result.items = ranges.flat().sort((a, b) => b.id - a.id).slice(0, ADMIN_LISTINGS_PAGE);
    result.scanned = q !== '';
    return result;
  }
  const one = status ?? 'active';
  if (q && one === 'active') {
    // Live matches as the public search finds and ranks them (its first page).
    const ids = (await searchListings(db, { q }, now)).hits.map((h) => h.id);
    result.bySearch = true;
    result.items = ids.length === 0 ? [] : select().where(inArray(listings.id, ids)).all().sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    return result;
  }
  const range = eq(listings.status, one);
  const order = [desc(listings.publishedAt), desc(listings.id)];
  result.items = q ? byIds(matchingTitles(db, range, q, order)) : select().where(range).orderBy(...order).limit(ADMIN_LISTINGS_PAGE).all();
  result.scanned = q !== '';
  return result;

  /** The rows of these ids, in this order. */
  function byIds(ids: number[]) {
    if (ids.length === 0) return [];
    const rows = new Map(select().where(inArray(listings.id, ids)).all().map((r) => [r.id, r]));
    return ids.map((id) => rows.get(id)!).filter(Boolean);
  }
}

/**
 * Ids of the first page of listings whose title contains `q`, among the newest SCAN_LIMIT of an index range read in
 * its own order (the titles are compared here: a filter inside the statement made the planner sort).
 */
function matchingTitles(db: Db, range: SQL, q: string, order: SQL[]): number[] {
  return db
    .select({ id: listings.id, title: listings.title })
    .from(listings)
    .where(range)
    .orderBy(...order)
    .limit(SCAN_LIMIT)
    .all()
    .filter((l) => l.title.includes(q))
    .slice(0, ADMIN_LISTINGS_PAGE)
    .map((l) => l.id);
}

const takeDownSchema = z.object({ confirm, reason });

/** Takes a live listing off the public site with a reason its owner reads (fields confirm = 'on', reason). */
export function takeDownListing(db: Db, adminId: string, listingId: number, input: unknown, now: number, ip?: string): { changed: boolean } {
  assertAdmin(db, adminId);
  const why = parseInput(takeDownSchema, input).reason;
  const changed = db.transaction(
    (tx) => {
      const listing = tx.select().from(listings).where(eq(listings.id, listingId)).get();
      if (!listing) throw new NotFoundError(`listing ${listingId}`);
      if (listing.status !== 'active') return false;
      tx.update(listings).set({ status: 'rejected', moderationNote: why, updatedAt: now }).where(eq(listings.id, listingId)).run();
      enqueueSearchUpdate(tx, [listingId], now);
      recordAudit(tx, { actorId: adminId, action: 'listing.takeDown', targetType: 'listing', targetId: listingId, before: { status: 'active' }, after: { status: 'rejected', moderationNote: why }, ip }, now);
      mailOwner(
        tx,
        listing.companyId,
        { template: rejectedMail, data: { title: listing.title, link: `${config().SITE_URL}/dashboard/listings/${listingId}/edit`, reason: why }, idempotencyKey: `moderation:${listingId}:takeDown:${now}` },
        now,
      );
      return true;
    },
    { behavior: 'immediate' },
  );
  if (changed) {
    listingsMovedInBulk(db);
  }
  return { changed };
}

