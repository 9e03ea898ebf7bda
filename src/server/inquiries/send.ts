// Sending an inquiry. A member's goes to the company at once; a visitor's is held until the visitor clicks the link
// mailed to them (24 h; unconfirmed ones are deleted after that). Before anything is stored: the honeypot, the
// form's fill time, the asker's limits and the company's block list; the same text sent to more than ten companies
// within an hour is held for review instead of delivered.
import { createHash, randomBytes } from 'node:crypto';
import { and, countDistinct, eq, gt, lte } from 'drizzle-orm';
import { companies, inquiryBlocks, inquiryMessages, inquiryThreads, type InquiryKind } from '../../../db/schema.ts';
import { countDaily } from '../analytics/daily.ts';
import type { SessionUser } from '../auth/user.ts';
import { findCompanyById, findCompanyBySlug } from '../companies/queries.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { ConflictError, GoneError, InvalidError, NotFoundError } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';
import { findListing } from '../listings/queries.ts';
import { visibility } from '../listings/rules.ts';
import { queueMail } from '../mail/index.ts';
import { scheduleJob } from '../observability/jobs.ts';
import { hashToken, newToken } from '../tokens.ts';
import { localePath } from '../urls.ts';
import { emitWebhook } from '../webhooks/index.ts';
import { companyMembers, memberThreadUrl, visitorThreadUrl, type Thread } from './access.ts';
import { parseInquiry } from './input.ts';
import { checkFormStamp } from './keys.ts';
import { consumeInquiryLimits } from './limits.ts';
import { confirmMail, newInquiryMail, threadLinkMail } from './mails.ts';

export const CONFIRM_HOURS = 24;
/** The same text to more companies than this within an hour is held for review. */
export const SAME_MESSAGE_COMPANIES = 10;
const HOUR = 3_600_000;

/** What an inquiry is about: a listing (询价 on supply, 报价 on demand) or a company in general. */
export type InquiryTarget = { listingId: number } | { companySlug: string };

export interface InquiryRequest {
  target: InquiryTarget;
  /** The signed-in member, or null for a visitor. */
  user: SessionUser | null;
  values: Record<string, string>;
  ip: string;
  locale: Locale;
}

export interface SentInquiry {
  threadId: number;
  status: Thread['status'];
}

/** The company, listing and kind an inquiry goes to; NotFound/Gone when the listing is no longer live. */
export function inquiryTarget(db: Db, target: InquiryTarget, now: number) {
  if ('listingId' in target) {
    const listing = findListing(db, target.listingId);
    const seen = listing ? visibility(listing, now) : 'hidden';
    if (!listing || seen === 'hidden') throw new NotFoundError(`listing ${target.listingId}`);
    if (seen !== 'live') throw new GoneError(`listing ${target.listingId}`);
    const company = findCompanyById(db, listing.companyId)!;
    const kind: InquiryKind = listing.kind === 'supply' ? 'inquiry' : 'quote';
    return { company, listing, kind };
  }
  const company = findCompanyBySlug(db, target.companySlug);
  if (!company) throw new NotFoundError(`company ${target.companySlug}`);
  return { company, listing: null, kind: 'general' as InquiryKind };
}

/** Normalised so that spacing and case do not make a copied message look new. */
export function messageHash(message: string): string {
  return createHash('sha256').update(message.toLowerCase().replace(/\s+/g, ' ').trim()).digest('hex');
}

function isMassMessage(db: Db, hash: string, companyId: number, now: number): boolean {
  const others = db
    .select({ n: countDistinct(inquiryThreads.companyId) })
    .from(inquiryThreads)
    .where(and(eq(inquiryThreads.messageHash, hash), gt(inquiryThreads.createdAt, now - HOUR)))
    .get()!.n;
  const already = db
    .select({ id: inquiryThreads.id })
    .from(inquiryThreads)
    .where(and(eq(inquiryThreads.messageHash, hash), gt(inquiryThreads.createdAt, now - HOUR), eq(inquiryThreads.companyId, companyId)))
    .get();
  return others + (already ? 0 : 1) > SAME_MESSAGE_COMPANIES;
}

export function askerKey(thread: { askerUserId: string | null; askerEmail: string }): string {
  return thread.askerUserId ? `user:${thread.askerUserId}` : `email:${thread.askerEmail.toLowerCase()}`;
}

function about(thread: Thread, companyName: string, link: string) {
  return { kind: thread.kind, listingTitle: thread.listingTitle, companyName, link };
}

/** Tells the company's members (in the same transaction that delivers the thread). */
function notifyCompany(db: Db, thread: Thread, companyName: string, message: string, now: number): void {
  for (const member of companyMembers(db, thread.companyId)) {
    queueMail(
      db,
      {
        to: member.email,
        template: newInquiryMail,
        data: { ...about(thread, companyName, memberThreadUrl(thread.id)), askerName: thread.askerName, message, terms: thread.terms },
        idempotencyKey: `inquiry-new:${thread.id}:${member.id}`,
        locale: 'zh-CN',
      },
      now,
    );
  }
}

/** The thread becomes visible to the company (or held for review): counted, and the company told. */
function deliver(db: Db, thread: Thread, companyName: string, message: string, now: number): void {
  if (thread.status !== 'open') return;
  countDaily(db, { companyId: thread.companyId, listingId: thread.listingId }, 'inquiries', now);
  notifyCompany(db, thread, companyName, message, now);
  emitWebhook(db, thread.companyId, 'inquiry.created', `thread:${thread.id}`, { threadId: thread.id, kind: thread.kind, listingId: thread.listingId, listingTitle: thread.listingTitle, askerName: thread.askerName, terms: thread.terms, message }, now);
}

export function sendInquiry(db: Db, req: InquiryRequest, now: number): SentInquiry & { confirmToken?: string } {
  // A hidden field people never see or fill: a bot that fills every field gives itself away.
  if ((req.values.website ?? '').trim() !== '') throw new InvalidError('honeypot', { _: 'inquiry.refusedBot' });
  checkFormStamp(db, req.values.started, now, config().INQUIRY_MIN_FILL_SECONDS * 1000);
  const { company, listing, kind } = inquiryTarget(db, req.target, now);
  if (req.user && company.ownerId === req.user.id) throw new ConflictError('inquiry.ownCompany');
  const input = parseInquiry(kind, req.values, req.user === null, now);
  const email = (req.user?.email ?? input.email).trim().toLowerCase();
  const key = askerKey({ askerUserId: req.user?.id ?? null, askerEmail: email });
  const blocked = db
    .select({ k: inquiryBlocks.askerKey })
    .from(inquiryBlocks)
    .where(and(eq(inquiryBlocks.companyId, company.id), eq(inquiryBlocks.askerKey, key)))
    .get();
  if (blocked) throw new ConflictError('inquiry.blocked');
  consumeInquiryLimits({ userId: req.user?.id ?? null, email, ip: req.ip }, now);

  const hash = messageHash(input.message);
  const confirmToken = req.user ? undefined : newToken();
  return db.transaction(
    () => {
      const status = req.user ? (isMassMessage(db, hash, company.id, now) ? 'held' : 'open') : 'pending';
      const thread = db
        .insert(inquiryThreads)
        .values({
          kind,
          status,
          companyId: company.id,
          listingId: listing?.id ?? null,
          listingTitle: listing?.title ?? '',
          askerUserId: req.user?.id ?? null,
          askerName: input.contactName,
          askerEmail: email,
          askerPhone: input.phone,
          askerLocale: req.locale,
          terms: input.terms,
          messageHash: hash,
          ip: req.ip,
          confirmHash: confirmToken ? hashToken(confirmToken) : null,
          confirmExpiresAt: confirmToken ? now + CONFIRM_HOURS * HOUR : null,
          createdAt: now,
          lastMessageAt: now,
          companyUnread: true,
        })
        .returning()
        .get();
      db.insert(inquiryMessages)
        .values({ threadId: thread.id, fromCompany: false, authorUserId: req.user?.id ?? null, authorName: input.contactName, body: input.message, createdAt: now })
        .run();
      if (confirmToken) {
        queueMail(
          db,
          {
            to: email,
            template: confirmMail,
            data: { ...about(thread, company.name, `${config().SITE_URL}${localePath(req.locale, '/inquiries/confirm')}?t=${confirmToken}`), name: input.contactName },
            idempotencyKey: `inquiry-confirm:${thread.id}`,
            locale: req.locale,
          },
          now,
        );
      } else deliver(db, thread, company.name, input.message, now);
      return { threadId: thread.id, status, confirmToken };
    },
    { behavior: 'immediate' },
  );
}

function pendingByToken(db: Db, token: string, now: number): Thread {
  const thread = db.select().from(inquiryThreads).where(eq(inquiryThreads.confirmHash, hashToken(token))).get();
  if (!thread || thread.status !== 'pending') throw new NotFoundError('confirmation');
  if ((thread.confirmExpiresAt ?? 0) <= now) throw new GoneError('confirmation expired');
  return thread;
}

/** What the confirmation page shows before the visitor confirms. */
export function pendingInquiry(db: Db, token: string, now: number) {
  const thread = pendingByToken(db, token, now);
  return { thread, company: findCompanyById(db, thread.companyId)! };
}

/** The visitor clicked the mailed link: the inquiry goes to the company; returns the private link of the thread. */
export function confirmInquiry(db: Db, token: string, now: number): { threadId: number; link: string; status: Thread['status'] } {
  return db.transaction(
    () => {
      const pending = pendingByToken(db, token, now);
      const company = findCompanyById(db, pending.companyId)!;
      const status = isMassMessage(db, pending.messageHash, company.id, now) ? 'held' : 'open';
      const thread = db
        .update(inquiryThreads)
        .set({ status, confirmHash: null, confirmExpiresAt: null, visitorNonce: randomBytes(12).toString('base64url') })
        .where(eq(inquiryThreads.id, pending.id))
        .returning()
        .get();
      const first = db.select().from(inquiryMessages).where(eq(inquiryMessages.threadId, thread.id)).orderBy(inquiryMessages.id).limit(1).get()!;
      deliver(db, thread, company.name, first.body, now);
      const link = visitorThreadUrl(db, thread);
      queueMail(
        db,
        {
          to: thread.askerEmail,
          template: threadLinkMail,
          data: { ...about(thread, company.name, link), name: thread.askerName },
          idempotencyKey: `inquiry-link:${thread.id}:${thread.visitorNonce}`,
          locale: thread.askerLocale as Locale,
        },
        now,
      );
      return { threadId: thread.id, link, status };
    },
    { behavior: 'immediate' },
  );
}

/** Deletes visitors' inquiries whose confirmation link has lapsed; returns how many. */
export function purgeUnconfirmed(db: Db, now: number): number {
  return db
    .delete(inquiryThreads)
    .where(and(eq(inquiryThreads.status, 'pending'), lte(inquiryThreads.confirmExpiresAt, now)))
    .run().changes;
}

/** The name of a thread's company, for pages and mails. */
export function companyName(db: Db, companyId: number): string {
  return db.select({ name: companies.name }).from(companies).where(eq(companies.id, companyId)).get()?.name ?? '';
}

/** `?listing=<id>` or `?company=<slug>` of the inquiry page; null for anything else. */
export function parseTarget(params: URLSearchParams): InquiryTarget | null {
  const listing = params.get('listing');
  if (listing !== null) return /^[1-9]\d{0,14}$/.test(listing) ? { listingId: Number(listing) } : null;
  const company = params.get('company');
  return company && company.length <= 200 ? { companySlug: company } : null;
}

/** What the inquiry page shows about where the inquiry goes. */
export function inquiryPage(db: Db, target: InquiryTarget, now: number) {
  const { company, listing, kind } = inquiryTarget(db, target, now);
  return {
    kind,
    company: { name: company.name, slug: company.slug },
    listing: listing && { id: listing.id, slug: listing.slug, title: listing.title, unit: listing.priceUnit || listing.quantityUnit },
  };
}

/** Deletes lapsed unconfirmed inquiries now and every ten minutes in the server process. */
export function startUnconfirmedPurge(db: Db): void {
  scheduleJob('unconfirmed-inquiries', { firstAfterMs: 2_000, everyMs: 10 * 60_000 }, () => purgeUnconfirmed(db, Date.now()));
}

/** Inquiries held for review (the same text sent to many companies), oldest first, for the operator. */
export function heldInquiries(db: Db, limit = 100) {
  return db
    .select({ id: inquiryThreads.id, companyId: inquiryThreads.companyId, askerEmail: inquiryThreads.askerEmail, createdAt: inquiryThreads.createdAt, listingTitle: inquiryThreads.listingTitle })
    .from(inquiryThreads)
    .where(eq(inquiryThreads.status, 'held'))
    .limit(limit)
    .all();
}

/** The operator lets a held inquiry through (delivered and mailed as if sent now) or deletes it; false if none is held. */
export function reviewHeldInquiry(db: Db, threadId: number, release: boolean, now: number): boolean {
  return db.transaction(
    () => {
      const held = db.select().from(inquiryThreads).where(and(eq(inquiryThreads.id, threadId), eq(inquiryThreads.status, 'held'))).get();
      if (!held) return false;
      if (!release) {
        db.delete(inquiryThreads).where(eq(inquiryThreads.id, threadId)).run();
        return true;
      }
      const thread = db.update(inquiryThreads).set({ status: 'open' }).where(eq(inquiryThreads.id, threadId)).returning().get();
      const first = db.select().from(inquiryMessages).where(eq(inquiryMessages.threadId, threadId)).orderBy(inquiryMessages.id).limit(1).get()!;
      deliver(db, thread, companyName(db, thread.companyId), first.body, now);
      return true;
    },
    { behavior: 'immediate' },
  );
}
