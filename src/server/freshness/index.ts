// Freshness: three days before a listing expires its owner is reminded (by mail, in the inbox's notifications, and
// as the listing.expiring webhook) with a signed one-click "still available" link that renews it; listing pages say
// how many days ago the listing was last confirmed (posted or renewed).
//
// Each run reads only the listings whose expiry entered the three-day horizon since the last run (a watermark kept
// in site_keys), through the (status, expires_at) index, so a million listings cost what the last hour brought. The
// mail's and the webhook's idempotency keys name the listing and its expiry: a reminder is never sent twice for one
// period, and a renewed listing is reminded again before its new expiry.
import { and, eq, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listings, siteKeys, users } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { sign, verifySignature } from '../inquiries/keys.ts';
import { renewListing } from '../listings/write.ts';
import { queueMail } from '../mail/index.ts';
import { scheduleJob, type Batch } from '../observability/jobs.ts';
import { listingPath } from '../urls.ts';
import { parseInput } from '../validation.ts';
import { emitWebhook } from '../webhooks/index.ts';
import { expiringMail } from './mails.ts';

export const REMIND_BEFORE_MS = 3 * 86_400_000;
const WATERMARK = 'freshness-watermark';
const PURPOSE = 'listing-still-available';
/** Reminders per transaction (each renders a mail): a few milliseconds of the event loop at a time. */
const BATCH = 50;

/** The one-click link of a reminder: signed over the listing and the expiry it was sent for. */
export function stillAvailableUrl(db: Db, listingId: number, expiresAt: number): string {
  const payload = `${listingId}.${expiresAt}`;
  return `${config().SITE_URL}/listing/still-available?l=${listingId}&e=${expiresAt}&s=${sign(db, PURPOSE, payload)}`;
}

interface Mark {
  expiresAt: number;
  id: number;
}
const ALL = Number.MAX_SAFE_INTEGER;

/** Where the last batch stopped: after this listing (in expiry, then id order); `now` on the first run. */
function watermark(db: Db, now: number): Mark {
  const row = db.select({ value: siteKeys.value }).from(siteKeys).where(eq(siteKeys.name, WATERMARK)).get();
  // The first run takes everything already inside the horizon; a bare expiry (the older form) means all of it.
  if (!row) return { expiresAt: now, id: ALL };
  const [expiresAt, id] = row.value.split(':');
  return { expiresAt: Number(expiresAt), id: id === undefined ? ALL : Number(id) };
}

/**
 * One batch of reminders: the next BATCH listings (by expiry, then id, so listings sharing an expiry to the
 * millisecond, as a bulk import's do, are neither skipped nor taken twice) whose expiry came within three days since
 * the last batch, reminded with the watermark's move in one transaction.
 */
export function remindBatch(db: Db, now: number, batch = BATCH): Batch {
  const upTo = now + REMIND_BEFORE_MS;
  const mark = watermark(db, now);
  const after = mark.expiresAt >= now ? mark : { expiresAt: now, id: ALL };
  const due = db
    .select({ id: listings.id, slug: listings.slug, title: listings.title, companyId: listings.companyId, expiresAt: listings.expiresAt })
    .from(listings)
    .where(and(eq(listings.status, 'active'), sql`(${listings.expiresAt}, ${listings.id}) > (${after.expiresAt}, ${after.id})`, lte(listings.expiresAt, upTo)))
    .orderBy(listings.expiresAt, listings.id)
    .limit(batch)
    .all();
  const more = due.length === batch;
  const done = db.transaction(
    (tx) => {
      for (const l of due) {
        const expiresAt = l.expiresAt!;
        const owner = tx.select({ email: users.email }).from(companies).innerJoin(users, eq(users.id, companies.ownerId)).where(eq(companies.id, l.companyId)).get();
        const link = stillAvailableUrl(db, l.id, expiresAt);
        const data = { title: l.title, link, listingUrl: `${config().SITE_URL}${listingPath(l)}`, expiresAt };
        if (owner) queueMail(tx, { to: owner.email, template: expiringMail, data, idempotencyKey: `listing-expiring:${l.id}:${expiresAt}`, locale: 'zh-CN' }, now);
        emitWebhook(tx, l.companyId, 'listing.expiring', `listing:${l.id}:${expiresAt}`, { listingId: l.id, title: l.title, expiresAt: new Date(expiresAt).toISOString(), stillAvailableUrl: link }, now);
      }
      const last = more ? `${due.at(-1)!.expiresAt}:${due.at(-1)!.id}` : String(upTo);
      tx.insert(siteKeys).values({ name: WATERMARK, value: last, createdAt: now }).onConflictDoUpdate({ target: siteKeys.name, set: { value: last } }).run();
      return due.length;
    },
    { behavior: 'immediate' },
  );
  return { done, more };
}

/** Reminds the owners of listings whose expiry came within three days since the last run, all batches; returns how many. */
export function remindExpiring(db: Db, now: number): number {
  let reminded = 0;
  for (;;) {
    const { done, more } = remindBatch(db, now);
    reminded += done;
    if (!more) return reminded;
  }
}

const linkSchema = z.object({
  l: z.coerce.number('freshness.badLink').int('freshness.badLink').positive('freshness.badLink'),
  e: z.coerce.number('freshness.badLink').int('freshness.badLink').positive('freshness.badLink'),
  s: z.string('freshness.badLink').min(10, 'freshness.badLink').max(100, 'freshness.badLink'),
});

/**
 * The one-click link: renews the listing for its validity from now (as its owner's renew button does). A link of an
 * earlier period (the listing was renewed since) changes nothing and says so.
 */
export function confirmStillAvailable(db: Db, input: unknown, now: number): { listing: { id: number; slug: string; title: string; expiresAt: number | null }; renewed: boolean } {
  const { l, e, s } = parseInput(linkSchema, input);
  if (!verifySignature(db, PURPOSE, `${l}.${e}`, s)) throw new InvalidError('bad signature', { _: 'freshness.badLink' });
  const listing = db.select({ id: listings.id, slug: listings.slug, title: listings.title, expiresAt: listings.expiresAt, status: listings.status, ownerId: companies.ownerId }).from(listings).innerJoin(companies, eq(companies.id, listings.companyId)).where(eq(listings.id, l)).get();
  if (!listing || listing.status === 'removed' || !listing.ownerId) throw new NotFoundError(`listing ${l}`);
  if (listing.expiresAt !== e) return { listing, renewed: false };
  const renewed = renewListing(db, listing.ownerId, l, now);
  return { listing: { id: renewed.id, slug: renewed.slug, title: renewed.title, expiresAt: renewed.expiresAt }, renewed: true };
}

/** Whether a live listing is inside the reminder's three days (the dashboard marks it, with its renew button). */
export function expiresSoon(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && expiresAt > now && expiresAt - now <= REMIND_BEFORE_MS;
}

/** Whole days since the listing was last confirmed (posted or renewed): the listing page's "x 天前确认有效". */
export function daysSinceConfirmed(publishedAt: number | null, now: number): number | null {
  return publishedAt === null ? null : Math.max(0, Math.floor((now - publishedAt) / 86_400_000));
}

const started = new WeakSet<Db>();
/** The server's reminder job: every ten minutes, batch by batch, paced by the job runner so pages come first. */
export function startExpiryReminders(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  scheduleJob('expiry-reminders', { firstAfterMs: 5_000, everyMs: 600_000 }, () => remindBatch(db, Date.now()));
}
