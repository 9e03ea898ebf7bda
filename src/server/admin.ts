// Who the site's operators are. Making an administrator is done from the command line only (scripts/admin.ts).
import { eq } from 'drizzle-orm';
import { users } from '../../db/schema.ts';
import type { Db } from './db.ts';
import { NotFoundError } from './errors.ts';

/**
 * Passes for an administrator; anyone else (a visitor, a member, an unknown id) gets NotFoundError, so the admin
 * console answers 404 and does not even confirm it exists. Read from the database on every call: a revoked admin
 * loses access at once, whatever their session says.
 */
export function assertAdmin(db: Db, userId: string | null | undefined): void {
  const row = userId ? db.select({ isAdmin: users.isAdmin }).from(users).where(eq(users.id, userId)).get() : undefined;
  if (!row?.isAdmin) throw new NotFoundError('admin');
}

/** Gives an account the administrator role; returns false when no account has this email. */
export function makeAdmin(db: Db, email: string): boolean {
  const row = db
    .update(users)
    .set({ isAdmin: true })
    .where(eq(users.email, email.trim().toLowerCase()))
    .returning({ id: users.id })
    .get();
  return row !== undefined;
}
