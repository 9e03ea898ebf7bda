// How much one asker may send: per member 20 an hour, per visitor email 5 an hour, per address 30 an hour (several
// people behind one office's address). Counted in memory by the site's rate limiter, like sign-in attempts.
import { createRateLimiter, addressKey } from '../rate-limit.ts';

const HOUR = 3_600_000;
export const LIMITS = { member: 20, visitorEmail: 5, ip: 30, repliesPerThreadSide: 30 } as const;

const perMember = createRateLimiter({ name: 'inquiry-member', limit: LIMITS.member, windowMs: HOUR });
const perEmail = createRateLimiter({ name: 'inquiry-email', limit: LIMITS.visitorEmail, windowMs: HOUR });
const perIp = createRateLimiter({ name: 'inquiry-ip', limit: LIMITS.ip, windowMs: HOUR });
const perThreadSide = createRateLimiter({ name: 'inquiry-replies', limit: LIMITS.repliesPerThreadSide, windowMs: HOUR });

/** Counts one inquiry against every limit that applies; throws RateLimitedError (counting nothing) when one is used up. */
export function consumeInquiryLimits(who: { userId: string | null; email: string; ip: string }, now: number): void {
  const ip = addressKey(who.ip);
  perIp.check(ip, now);
  if (who.userId) perMember.check(who.userId, now);
  else perEmail.check(who.email, now);
  perIp.consume(ip, now);
  if (who.userId) perMember.consume(who.userId, now);
  else perEmail.consume(who.email, now);
}

/** Counts one reply of one side of a thread: every reply mails the other side, so a thread is no mail cannon. */
export function consumeReplyLimit(threadId: number, side: string, now: number): void {
  perThreadSide.consume(`${threadId}:${side}`, now);
}
