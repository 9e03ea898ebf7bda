// Suspending a member (the account, not its company: moderation/suspension.ts does that): at once every session of
// the account ends, its company's API tokens answer 401, and signing in is refused with the reason. Restoring lets
// the member sign in again and the tokens work again; nothing is deleted.
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { z } from 'zod';
import { companies, sessions, users } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import type { Db } from '../db.ts';
import { InvalidError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { confirm, reason } from './confirm.ts';

export const MEMBERS_PAGE = 50;

export interface MemberRow {
  id: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
  createdAt: number;
  suspendedAt: number | null;
  suspendReason: string | null;
  companyId: number | null;
  companyName: string | null;
  companySlug: string | null;
}

/**
 * Members whose email starts with `q` (one range of the unique email index, in email order), or the member with
 * this id; an empty `q` lists from the start of the alphabet.
 */
export function findMembers(db: Db, adminId: string, q: string): MemberRow[] {
  assertAdmin(db, adminId);
  const text = q.trim().toLowerCase();
  const columns = {
    id: users.id,
    email: users.email,
    displayName: users.displayName,
    isAdmin: users.isAdmin,
    createdAt: users.createdAt,
    suspendedAt: users.suspendedAt,
    suspendReason: users.suspendReason,
    companyId: companies.id,
    companyName: companies.name,
    companySlug: companies.slug,
  };
  const base = db.select(columns).from(users).leftJoin(companies, eq(companies.ownerId, users.id));
  const byId = text ? base.where(eq(users.id, q.trim())).all() : [];
  if (byId.length > 0) return byId;
  // The prefix as a range: every email >= q and < q with its last character's successor.
  const where = text ? and(gte(users.email, text), lt(users.email, text + '\u{10FFFF}')) : undefined;
  return base.where(where).orderBy(asc(users.email)).limit(MEMBERS_PAGE).all();
}

const schema = z.object({ confirm, reason });

/** Suspends (`suspend` = true) or restores a member (fields confirm = 'on', reason: shown to the member at sign-in). */
export function setMemberSuspended(db: Db, adminId: string, userId: string, suspend: boolean, input: unknown, now: number, ip?: string): { changed: boolean } {
  assertAdmin(db, adminId);
  const why = parseInput(schema, input).reason;
  if (suspend && userId === adminId) throw new InvalidError('self', { _: 'admin.members.cannotSuspendSelf' });
  return db.transaction(
    (tx) => {
      const member = tx.select().from(users).where(eq(users.id, userId)).get();
      if (!member) throw new NotFoundError(`user ${userId}`);
      if ((member.suspendedAt !== null) === suspend) return { changed: false };
      tx.update(users)
        .set(suspend ? { suspendedAt: now, suspendReason: why } : { suspendedAt: null, suspendReason: null })
        .where(eq(users.id, userId))
        .run();
      // Signed out everywhere at once; the tokens are refused while suspendedAt is set (api-tokens), so restoring
      // gives the company's integrations back without new tokens.
      if (suspend) tx.delete(sessions).where(eq(sessions.userId, userId)).run();
      recordAudit(
        tx,
        {
          actorId: adminId,
          action: suspend ? 'member.suspend' : 'member.restore',
          targetType: 'user',
          targetId: userId,
          before: { suspendedAt: member.suspendedAt, reason: member.suspendReason },
          after: { suspendedAt: suspend ? now : null, reason: why },
          ip,
        },
        now,
      );
      return { changed: true };
    },
    { behavior: 'immediate' },
  );
}
