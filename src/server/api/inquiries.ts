// The inquiry use cases of the JSON API, so a company's CRM can pull its leads and answer them: the company's
// received threads (newest activity first, `since=` for polling), one thread with its messages, and a reply. A
// token acts as the company's owner; reading through the API does not mark a thread read (people do that).
import { and, count, desc, eq, gte } from 'drizzle-orm';
import { z } from 'zod';
import { inquiryMessages, inquiryThreads } from '../../../db/schema.ts';
import type { ApiPrincipal } from '../api-tokens/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { readThread, type Thread } from '../inquiries/access.ts';
import { replyToThread } from '../inquiries/threads.ts';
import { parseInput } from '../validation.ts';
import type { InquiriesAnswer, InquiryJson, InquiryMessageJson, InquiryThreadJson } from './schemas.ts';

const MAX_PER_PAGE = 100;

/** The query of GET /api/v1/inquiries (the OpenAPI document is generated from it). */
export const inquiriesQuerySchema = z.object({
  page: z.coerce
    .number({ error: 'api.inquiries.pageInvalid' })
    .int('api.inquiries.pageInvalid')
    .min(1, 'api.inquiries.pageInvalid')
    .max(10_000, 'api.inquiries.pageInvalid')
    .default(1)
    .meta({ description: 'The page, from 1' }),
  per_page: z.coerce
    .number({ error: 'api.inquiries.perPageInvalid' })
    .int('api.inquiries.perPageInvalid')
    .min(1, 'api.inquiries.perPageInvalid')
    .max(MAX_PER_PAGE, 'api.inquiries.perPageInvalid')
    .default(20)
    .meta({ description: `Threads per page, 1-${MAX_PER_PAGE}` }),
  since: z
    .string()
    .transform((s) => (/^\d{1,15}$/.test(s) ? Number(s) : Date.parse(s)))
    .refine((ms) => Number.isFinite(ms), 'api.inquiries.sinceInvalid')
    .optional()
    .meta({ description: 'Only threads with a message at or after this time: ISO 8601 or epoch milliseconds (for polling)' }),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const yuan = (fen: number | undefined) => (fen === undefined ? null : fen / 100);

function inquiryJson(thread: Thread): InquiryJson {
  const { SITE_URL } = config();
  const t = thread.terms;
  return {
    id: thread.id,
    kind: thread.kind,
    url: `${SITE_URL}/dashboard/inbox/${thread.id}`,
    listing: thread.listingId === null ? null : { id: thread.listingId, title: thread.listingTitle, url: `${SITE_URL}/listing/${thread.listingId}` },
    asker: { name: thread.askerName, email: thread.askerEmail, phone: thread.askerPhone },
    terms: {
      quantity: t.quantity ?? null,
      quantityUnit: t.quantityUnit ?? '',
      price: { min: yuan(t.priceMin), max: yuan(t.priceMax), unit: t.priceUnit ?? '', negotiable: t.negotiable ?? false },
      wantedBy: t.wantedBy ?? null,
      deliveryTime: t.deliveryTime ?? null,
    },
    unread: thread.companyUnread,
    archived: thread.companyArchived,
    createdAt: iso(thread.createdAt)!,
    lastMessageAt: iso(thread.lastMessageAt)!,
    firstReplyAt: iso(thread.firstReplyAt),
  };
}

/** The company's received threads (delivered ones), newest activity first. */
export function listApiInquiries(db: Db, principal: ApiPrincipal, query: URLSearchParams): InquiriesAnswer {
  const q = parseInput(inquiriesQuerySchema, Object.fromEntries([...query].filter(([k]) => ['page', 'per_page', 'since'].includes(k))));
  const t = inquiryThreads;
  const where = and(eq(t.companyId, principal.companyId), ...(q.since === undefined ? [] : [gte(t.lastMessageAt, q.since)]), eq(t.status, 'open'));
  const total = db.select({ n: count() }).from(t).where(where).get()!.n;
  const rows = db
    .select()
    .from(t)
    .where(where)
    .orderBy(desc(t.lastMessageAt), desc(t.id))
    .limit(q.per_page)
    .offset((q.page - 1) * q.per_page)
    .all();
  return { items: rows.map(inquiryJson), page: q.page, perPage: q.per_page, total, pages: Math.max(1, Math.ceil(total / q.per_page)) };
}

function companyThread(db: Db, principal: ApiPrincipal, id: number): Thread {
  const { thread, side } = readThread(db, id, { userId: principal.userId });
  // A thread the owner started as an asker is not the company's lead.
  if (side !== 'company') throw new NotFoundError(`thread ${id}`);
  return thread;
}

/** One thread with its messages, oldest first. */
export function getApiInquiry(db: Db, principal: ApiPrincipal, id: number): InquiryThreadJson {
  const thread = companyThread(db, principal, id);
  const messages = db.select().from(inquiryMessages).where(eq(inquiryMessages.threadId, id)).orderBy(inquiryMessages.id).all();
  return {
    ...inquiryJson(thread),
    messages: messages.map((m) => ({ id: m.id, from: m.fromCompany ? 'company' : 'asker', author: m.authorName, body: m.body, createdAt: iso(m.createdAt)! })),
  };
}

/** A reply from the company, exactly as the inbox's reply form: the asker is mailed. */
export function replyApiInquiry(db: Db, principal: ApiPrincipal, id: number, body: Record<string, unknown> | undefined, now: number): InquiryMessageJson {
  companyThread(db, principal, id);
  const { messageId } = replyToThread(db, id, { userId: principal.userId }, body ?? {}, null, now);
  const m = db.select().from(inquiryMessages).where(eq(inquiryMessages.id, messageId)).get()!;
  return { id: m.id, from: 'company', author: m.authorName, body: m.body, createdAt: iso(m.createdAt)! };
}
