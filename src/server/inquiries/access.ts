// Who may read a thread, and as which side: the company's members (its owner) see its threads; the asker sees
// their own, as a member or through the private link mailed to a visitor. Anyone else gets NotFound, so a thread's
// existence is not given away either.
import { eq } from 'drizzle-orm';
import { companies, inquiryThreads, users } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import type { Locale } from '../i18n/index.ts';
import { localePath } from '../urls.ts';
import { sign, verifySignature } from './keys.ts';

export type Thread = typeof inquiryThreads.$inferSelect;
export type Side = 'company' | 'asker';
export type Reader = { userId: string } | { threadKey: string };

/** The accounts that speak for a company (today its owner; the inbox and its mail follow this list). */
export function companyMembers(db: Db, companyId: number): { id: string; email: string; displayName: string }[] {
  return db
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(companies)
    .innerJoin(users, eq(users.id, companies.ownerId))
    .where(eq(companies.id, companyId))
    .all();
}

/** The company a member speaks for, if any. */
export function companyIdOf(db: Db, userId: string): number | null {
  return findCompanyByOwner(db, userId)?.id ?? null;
}

/** The private link's key of a visitor's thread: an HMAC over the thread and its nonce (a new nonce revokes it). */
export function threadKey(db: Db, thread: { id: number; visitorNonce: string | null }): string | null {
  return thread.visitorNonce ? sign(db, 'thread', `${thread.id}:${thread.visitorNonce}`) : null;
}

/** The visitor's private link, in the language they wrote in. */
export function visitorThreadUrl(db: Db, thread: { id: number; visitorNonce: string | null; askerLocale: string }): string {
  return `${config().SITE_URL}${localePath(thread.askerLocale as Locale, `/inquiry/${thread.id}`)}?k=${threadKey(db, thread)}`;
}

export function memberThreadUrl(threadId: number): string {
  return `${config().SITE_URL}/dashboard/inbox/${threadId}`;
}

/** The thread and the reader's side of it, or NotFound. */
export function readThread(db: Db, threadId: number, reader: Reader): { thread: Thread; side: Side } {
  const thread = db.select().from(inquiryThreads).where(eq(inquiryThreads.id, threadId)).get();
  if (!thread || thread.status === 'pending') throw new NotFoundError(`thread ${threadId}`);
  if ('threadKey' in reader) {
    if (thread.visitorNonce && verifySignature(db, 'thread', `${thread.id}:${thread.visitorNonce}`, reader.threadKey)) {
      return { thread, side: 'asker' };
    }
    throw new NotFoundError(`thread ${threadId}`);
  }
  if (thread.status === 'open' && companyIdOf(db, reader.userId) === thread.companyId) return { thread, side: 'company' };
  if (thread.askerUserId === reader.userId) return { thread, side: 'asker' };
  throw new NotFoundError(`thread ${threadId}`);
}
