// Threads after they are sent: the inbox (newest first, by filter, each side's read and archived state), a thread
// with its messages, replies from either side (mailed to the other), archiving, blocking an asker, and a visitor's
// private link renewed (the old one stops working).
import { randomBytes } from 'node:crypto';
import { and, count, desc, eq } from 'drizzle-orm';
import { inquiryBlocks, inquiryMessages, inquiryThreads } from '../../../db/schema.ts';
import { countDaily } from '../analytics/daily.ts';
import { findCompanyById } from '../companies/queries.ts';
import type { Db } from '../db.ts';
import { ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';
import { mailIsOn, queueMail, unsentMailTo } from '../mail/index.ts';
import { pageCount, PAGE_SIZE, type Page } from '../pagination.ts';
import { parseInput } from '../validation.ts';
import { emitWebhook } from '../webhooks/index.ts';
import { z } from 'zod';
import { companyIdOf, companyMembers, memberThreadUrl, readThread, visitorThreadUrl, type Reader, type Side, type Thread } from './access.ts';
import { messageField } from './input.ts';
import { consumeReplyLimit } from './limits.ts';
import { threadLinkMail, replyMail } from './mails.ts';
import { askerKey } from './send.ts';

export const INBOX_FILTERS = ['all', 'received', 'sent', 'unread', 'archived'] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];

export interface InboxItem {
  id: number;
  kind: Thread['kind'];
  status: Thread['status'];
  side: Side;
  listingTitle: string;
  /** Who is on the other side: the asker's name for the company, the company's name for the asker. */
  counterpart: string;
  lastMessageAt: number;
  unread: boolean;
}

const columns = {
  id: inquiryThreads.id,
  kind: inquiryThreads.kind,
  status: inquiryThreads.status,
  companyId: inquiryThreads.companyId,
  listingTitle: inquiryThreads.listingTitle,
  askerName: inquiryThreads.askerName,
  lastMessageAt: inquiryThreads.lastMessageAt,
  companyUnread: inquiryThreads.companyUnread,
  askerUnread: inquiryThreads.askerUnread,
};

type Row = { [K in keyof typeof columns]: Thread[K] };

/** One side's part of a filter: rows newest first from one index range, and how many there are. */
interface Source {
  side: Side;
  where: ReturnType<typeof and>;
}

function sources(companyId: number | null, userId: string, filter: InboxFilter): Source[] {
  const t = inquiryThreads;
  const received = (extra: ReturnType<typeof eq>) => and(eq(t.companyId, companyId ?? -1), extra, eq(t.status, 'open'));
  const sent = (extra: ReturnType<typeof eq>) => and(eq(t.askerUserId, userId), extra);
  const list: Source[] = [];
  if (companyId !== null && filter !== 'sent') {
    const extra = filter === 'unread' ? eq(t.companyUnread, true) : eq(t.companyArchived, filter === 'archived');
    list.push({ side: 'company', where: received(extra) });
  }
  if (filter !== 'received') {
    const extra = filter === 'unread' ? eq(t.askerUnread, true) : eq(t.askerArchived, filter === 'archived');
    list.push({ side: 'asker', where: sent(extra) });
  }
  return list;
}

/** A member's inbox: threads of their company and their own inquiries, newest activity first. */
export function inbox(db: Db, userId: string, filter: InboxFilter, page: number): Page<InboxItem> {
  const companyId = companyIdOf(db, userId);
  const parts = sources(companyId, userId, filter);
  const want = page * PAGE_SIZE;
  let total = 0;
  const rows: (Row & { side: Side })[] = [];
  for (const source of parts) {
    total += db.select({ n: count() }).from(inquiryThreads).where(source.where).get()!.n;
    // Each side is one index range in date order; the page is the merge of their heads.
    const head = db.select(columns).from(inquiryThreads).where(source.where).orderBy(desc(inquiryThreads.lastMessageAt), desc(inquiryThreads.id)).limit(want).all();
    rows.push(...head.map((r) => ({ ...r, side: source.side })));
  }
  rows.sort((a, b) => b.lastMessageAt - a.lastMessageAt || b.id - a.id);
  const names = new Map<number, string>();
  const nameOf = (id: number) => {
    if (!names.has(id)) names.set(id, findCompanyById(db, id)?.name ?? '');
    return names.get(id)!;
  };
  const items = rows.slice((page - 1) * PAGE_SIZE, want).map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    side: r.side,
    listingTitle: r.listingTitle,
    counterpart: r.side === 'company' ? r.askerName : nameOf(r.companyId),
    lastMessageAt: r.lastMessageAt,
    unread: r.side === 'company' ? r.companyUnread : r.askerUnread,
  }));
  return { items, total, page, pages: pageCount(total) };
}

/** The inbox page: the threads of a filter, and, while mail is off, the notifications that would have been mailed. */
export function inboxPage(db: Db, user: { id: string; email: string }, filter: InboxFilter, page: number) {
  const threads = inbox(db, user.id, filter, page);
  if (page > threads.pages) throw new NotFoundError(`inbox page ${page}`);
  return { threads, notifications: mailIsOn() ? null : unsentMailTo(db, user.email) };
}

export function parseInboxFilter(raw: string | null): InboxFilter {
  return INBOX_FILTERS.find((f) => f === raw) ?? 'all';
}

/** Threads with something new for the member (the header's count). */
export function unreadThreadCount(db: Db, userId: string): number {
  const companyId = companyIdOf(db, userId);
  return sources(companyId, userId, 'unread').reduce((n, s) => n + db.select({ n: count() }).from(inquiryThreads).where(s.where).get()!.n, 0);
}

/** A thread as its reader sees it; marks it read for the reader's side. */
export function openThread(db: Db, threadId: number, reader: Reader) {
  const { thread, side } = readThread(db, threadId, reader);
  const unreadColumn = side === 'company' ? 'companyUnread' : 'askerUnread';
  if (thread[unreadColumn]) db.update(inquiryThreads).set({ [unreadColumn]: false }).where(eq(inquiryThreads.id, thread.id)).run();
  const messages = db
    .select()
    .from(inquiryMessages)
    .where(eq(inquiryMessages.threadId, thread.id))
    .orderBy(inquiryMessages.id)
    .all();
  const company = findCompanyById(db, thread.companyId)!;
  const blocked =
    side === 'company' &&
    db
      .select({ k: inquiryBlocks.askerKey })
      .from(inquiryBlocks)
      .where(and(eq(inquiryBlocks.companyId, thread.companyId), eq(inquiryBlocks.askerKey, askerKey(thread))))
      .get() !== undefined;
  // Inside a thread both sides see how to reach the other: the company's phone, the asker's phone and email.
  return {
    thread: { ...thread, [unreadColumn]: false },
    side,
    messages,
    company: { name: company.name, slug: company.slug, phone: company.phone, contactName: company.contactName },
    blocked,
  };
}

/** A reply's body (also the JSON API's, whose OpenAPI document is generated from it). */
export const replySchema = z.object({ message: messageField });

/** A reply from the reader's side; the other side is told by mail and sees the thread unread. */
export function replyToThread(db: Db, threadId: number, reader: Reader, values: Record<string, unknown>, authorName: string | null, now: number) {
  const { message } = parseInput(replySchema, values);
  return db.transaction(
    () => {
      const { thread, side } = readThread(db, threadId, reader);
      if (thread.status !== 'open') throw new ConflictError('inquiry.notOpen');
      consumeReplyLimit(thread.id, side, now);
      const fromCompany = side === 'company';
      const company = findCompanyById(db, thread.companyId)!;
      const author = fromCompany ? company.name : (authorName ?? thread.askerName);
      const authorUserId = 'userId' in reader ? reader.userId : null;
      const msg = db
        .insert(inquiryMessages)
        .values({ threadId: thread.id, fromCompany, authorUserId, authorName: author, body: message, createdAt: now })
        .returning()
        .get();
      db.update(inquiryThreads)
        .set({
          lastMessageAt: now,
          ...(fromCompany
            ? { askerUnread: true, askerArchived: false, companyUnread: false, firstReplyAt: thread.firstReplyAt ?? now }
            : { companyUnread: true, companyArchived: false, askerUnread: false }),
        })
        .where(eq(inquiryThreads.id, thread.id))
        .run();
      if (fromCompany) countDaily(db, { companyId: thread.companyId, listingId: thread.listingId }, 'replies', now);
      const about = { kind: thread.kind, listingTitle: thread.listingTitle, companyName: company.name, fromName: author, message };
      const recipients = fromCompany
        ? [{ id: thread.askerUserId ?? 'visitor', email: thread.askerEmail, link: thread.askerUserId ? memberThreadUrl(thread.id) : visitorThreadUrl(db, thread), locale: thread.askerLocale as Locale }]
        : companyMembers(db, thread.companyId).map((m) => ({ id: m.id, email: m.email, link: memberThreadUrl(thread.id), locale: 'zh-CN' as Locale }));
      for (const r of recipients) {
        queueMail(db, { to: r.email, template: replyMail, data: { ...about, link: r.link }, idempotencyKey: `inquiry-reply:${msg.id}:${r.id}`, locale: r.locale }, now);
      }
      emitWebhook(db, thread.companyId, 'message.created', `message:${msg.id}`, { threadId: thread.id, messageId: msg.id, fromCompany, authorName: author, message }, now);
      return { threadId: thread.id, messageId: msg.id, side };
    },
    { behavior: 'immediate' },
  );
}

/** Moves a thread out of (or back into) the reader's inbox. */
export function archiveThread(db: Db, threadId: number, reader: Reader, archived: boolean): void {
  const { thread, side } = readThread(db, threadId, reader);
  db.update(inquiryThreads)
    .set(side === 'company' ? { companyArchived: archived } : { askerArchived: archived })
    .where(eq(inquiryThreads.id, thread.id))
    .run();
}

/** The company stops hearing from this thread's asker (or hears again): new inquiries from them are refused. */
export function blockAsker(db: Db, threadId: number, userId: string, block: boolean, now: number): void {
  const { thread, side } = readThread(db, threadId, { userId });
  if (side !== 'company') throw new NotFoundError(`thread ${threadId}`);
  const key = askerKey(thread);
  if (block) {
    db.insert(inquiryBlocks).values({ companyId: thread.companyId, askerKey: key, createdAt: now }).onConflictDoNothing().run();
    db.update(inquiryThreads).set({ companyArchived: true, companyUnread: false }).where(eq(inquiryThreads.id, thread.id)).run();
  } else {
    db.delete(inquiryBlocks).where(and(eq(inquiryBlocks.companyId, thread.companyId), eq(inquiryBlocks.askerKey, key))).run();
  }
}

/** A visitor's link renewed: the old one stops working, the new one is mailed to the visitor's address. */
export function renewThreadLink(db: Db, threadId: number, threadKey: string, now: number): void {
  db.transaction(
    () => {
      const { thread } = readThread(db, threadId, { threadKey });
      const nonce = randomBytes(12).toString('base64url');
      const renewed = db.update(inquiryThreads).set({ visitorNonce: nonce }).where(eq(inquiryThreads.id, thread.id)).returning().get();
      const company = findCompanyById(db, thread.companyId)!;
      queueMail(
        db,
        {
          to: thread.askerEmail,
          template: threadLinkMail,
          data: { kind: thread.kind, listingTitle: thread.listingTitle, companyName: company.name, link: visitorThreadUrl(db, renewed), name: thread.askerName },
          idempotencyKey: `inquiry-link:${thread.id}:${nonce}`,
          locale: thread.askerLocale as Locale,
        },
        now,
      );
    },
    { behavior: 'immediate' },
  );
}

export const THREAD_ACTIONS = ['reply', 'archive', 'unarchive', 'block', 'unblock', 'renew'] as const;
export type ThreadAction = (typeof THREAD_ACTIONS)[number];

/** One form post on a thread page: which button was pressed decides; returns it for the page's notice. */
export function threadAction(db: Db, threadId: number, reader: Reader, values: Record<string, string>, now: number): ThreadAction {
  const action = THREAD_ACTIONS.find((a) => a === values.action);
  if (!action) throw new InvalidError('unknown action', { _: 'invalid.value' });
  const userId = 'userId' in reader ? reader.userId : null;
  if (action === 'reply') replyToThread(db, threadId, reader, values, null, now);
  else if (action === 'archive' || action === 'unarchive') archiveThread(db, threadId, reader, action === 'archive');
  else if (action === 'renew' && 'threadKey' in reader) renewThreadLink(db, threadId, reader.threadKey, now);
  else if ((action === 'block' || action === 'unblock') && userId) blockAsker(db, threadId, userId, action === 'block', now);
  else throw new InvalidError('action not allowed here', { _: 'invalid.value' });
  return action;
}
