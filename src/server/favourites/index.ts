// Favourites (收藏): a member keeps listings and companies, finds them at /dashboard/favourites, and is told (there and
// by mail) when a kept listing changes its price or stops being live. The changes come from triggers on listings
// (listing_changes, migration 0008), so every writer and the expiry sweep report them in their own transaction.
import { and, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { companies, favourites, listingChanges, listings, users, type FavouriteChange } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { GoneError, NotFoundError } from '../errors.ts';
import { formatPrice } from '../listings/rules.ts';
import { queueMail } from '../mail/index.ts';
import { scheduleJob, type Batch } from '../observability/jobs.ts';
import { translator } from '../i18n/index.ts';
import { listingPath } from '../urls.ts';
import { parseInput } from '../validation.ts';
import { favouriteChangeMail } from './mails.ts';

const MAX_SHOWN = 200;
const id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const addSchema = z.union([z.object({ listing: id }), z.object({ company: id })], 'favourites.invalid');

/** Keeps a listing or a company ({ listing: id } or { company: id }) as the user's favourite; twice is once. */
export function addFavourite(db: Db, userId: string, input: unknown, now: number): { listingId: number | null; companyId: number | null } {
  const target = parseInput(addSchema, input);
  if ('listing' in target) {
    const l = db.select({ status: listings.status }).from(listings).where(eq(listings.id, target.listing)).get();
    if (!l) throw new NotFoundError(`listing ${target.listing}`);
    if (l.status === 'removed') throw new GoneError(`listing ${target.listing}`);
    db.insert(favourites).values({ userId, listingId: target.listing, createdAt: now }).onConflictDoNothing().run();
    return { listingId: target.listing, companyId: null };
  }
  if (!db.select({ id: companies.id }).from(companies).where(eq(companies.id, target.company)).get()) throw new NotFoundError(`company ${target.company}`);
  db.insert(favourites).values({ userId, companyId: target.company, createdAt: now }).onConflictDoNothing().run();
  return { listingId: null, companyId: target.company };
}

/** Lets go of one of the user's favourites (someone else's id is simply not found). */
export function removeFavourite(db: Db, userId: string, input: unknown): void {
  const { remove } = parseInput(z.object({ remove: id }, 'favourites.invalid'), input);
  const gone = db.delete(favourites).where(and(eq(favourites.id, remove), eq(favourites.userId, userId))).run();
  if (gone.changes === 0) throw new NotFoundError(`favourite ${remove}`);
}

/** The dashboard tab: kept listings (with their news) and companies, newest first. */
export function favouritesPage(db: Db, userId: string) {
  const rows = db
    .select({ id: favourites.id, listingId: favourites.listingId, companyId: favourites.companyId, createdAt: favourites.createdAt, changedAt: favourites.changedAt, change: favourites.change })
    .from(favourites)
    .where(eq(favourites.userId, userId))
    .orderBy(desc(favourites.createdAt))
    .limit(MAX_SHOWN)
    .all();
  const listingIds = rows.flatMap((r) => (r.listingId === null ? [] : [r.listingId]));
  const companyIds = rows.flatMap((r) => (r.companyId === null ? [] : [r.companyId]));
  const listingRows = listingIds.length === 0 ? [] : db.select().from(listings).where(inArray(listings.id, listingIds)).all();
  const companyRows = companyIds.length === 0 ? [] : db.select({ id: companies.id, name: companies.name, slug: companies.slug }).from(companies).where(inArray(companies.id, companyIds)).all();
  const byListing = new Map(listingRows.map((l) => [l.id, l]));
  const byCompany = new Map(companyRows.map((c) => [c.id, c]));
  return {
    listings: rows.flatMap((r) => {
      const l = r.listingId === null ? undefined : byListing.get(r.listingId);
      return l ? [{ favouriteId: r.id, listing: l, changedAt: r.changedAt, change: r.change }] : [];
    }),
    companies: rows.flatMap((r) => {
      const c = r.companyId === null ? undefined : byCompany.get(r.companyId);
      return c ? [{ favouriteId: r.id, company: c }] : [];
    }),
  };
}

const CHANGES_BATCH = 100;

/**
 * Tells the members keeping each changed listing: the news goes on their favourite (the dashboard shows it) and
 * into a mail, in one transaction with the change row's deletion, so nobody hears of one change twice.
 */
export function drainListingChanges(db: Db, now: number): number {
  let told = 0;
  for (;;) {
    const batch = changesBatch(db, now);
    told += batch.done;
    if (!batch.more) return told;
  }
}

/** One transaction's worth of changes (the job runner paces between them). */
function changesBatch(db: Db, now: number): Batch {
  const changes = db.select().from(listingChanges).orderBy(listingChanges.id).limit(CHANGES_BATCH).all();
  if (changes.length === 0) return { done: 0, more: false };
  const done = db.transaction(
    (tx) => {
      let n = 0;
      for (const c of changes) {
        const l = tx.select().from(listings).where(eq(listings.id, c.listingId)).get();
        const keepers = tx
          .select({ favouriteId: favourites.id, email: users.email })
          .from(favourites)
          .innerJoin(users, eq(users.id, favourites.userId))
          .where(eq(favourites.listingId, c.listingId))
          .all();
        if (l) {
          tx.update(favourites).set({ changedAt: c.createdAt, change: c.change }).where(eq(favourites.listingId, c.listingId)).run();
          const t = translator('zh-CN');
          for (const k of keepers) {
            queueMail(
              tx,
              {
                to: k.email,
                template: favouriteChangeMail,
                data: { change: c.change, title: l.title, price: formatPrice(t, 'zh-CN', l), link: `${config().SITE_URL}${listingPath(l)}` },
                idempotencyKey: `favourite:${c.id}:${k.favouriteId}`,
                locale: 'zh-CN',
              },
              now,
            );
            n++;
          }
        }
        tx.delete(listingChanges).where(eq(listingChanges.id, c.id)).run();
      }
      return n;
    },
    { behavior: 'immediate' },
  );
  return { done, more: changes.length === CHANGES_BATCH };
}

/** Whether a listing has news for its keepers (the dashboard marks those). */
export const hasNews = (f: { changedAt: number | null; change: FavouriteChange | null }) => f.changedAt !== null && f.change !== null;

const started = new WeakSet<Db>();
/** The server's job: every few seconds (an empty table is one probe). */
export function startFavouritesJob(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  scheduleJob('favourites', { firstAfterMs: 3_000, everyMs: 3_000 }, () => changesBatch(db, Date.now()));
}
