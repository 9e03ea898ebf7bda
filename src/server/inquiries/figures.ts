// A company's response figures over the last 90 days (like 1688's 响应率): the share of inquiries it answered, and
// the median time to its first reply. Read from one index range (company, created_at) that carries status and
// first_reply_at, so no thread row is visited (a company with a thousand inquiries in 90 days costs well under a
// millisecond).
import { and, eq, gte } from 'drizzle-orm';
import { inquiryThreads } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

export const FIGURES_DAYS = 90;

export interface ResponseFigures {
  /** Inquiries received in the window. */
  received: number;
  /** Share answered, 0..1 (null without inquiries). */
  rate: number | null;
  /** Median time to the first reply among the answered, in ms (null when none was answered). */
  medianReplyMs: number | null;
}

export function responseFigures(db: Db, companyId: number, now: number): ResponseFigures {
  const rows = db
    .select({ createdAt: inquiryThreads.createdAt, firstReplyAt: inquiryThreads.firstReplyAt })
    .from(inquiryThreads)
    .where(and(eq(inquiryThreads.companyId, companyId), gte(inquiryThreads.createdAt, now - FIGURES_DAYS * 86_400_000), eq(inquiryThreads.status, 'open')))
    .all();
  const times = rows.filter((r) => r.firstReplyAt !== null).map((r) => r.firstReplyAt! - r.createdAt).sort((a, b) => a - b);
  const mid = times.length >> 1;
  return {
    received: rows.length,
    rate: rows.length === 0 ? null : times.length / rows.length,
    medianReplyMs: times.length === 0 ? null : times.length % 2 ? times[mid]! : Math.round((times[mid - 1]! + times[mid]!) / 2),
  };
}

/** A duration as people say it: minutes under an hour, hours under two days, else days. */
export function durationParts(ms: number): { unit: 'minutes' | 'hours' | 'days'; n: number } {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return { unit: 'minutes', n: minutes };
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return { unit: 'hours', n: hours };
  return { unit: 'days', n: Math.round(ms / 86_400_000) };
}
