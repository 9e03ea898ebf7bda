// What only the site's operators do, from the command line (scripts/admin.ts): no page offers these.
import { eq } from 'drizzle-orm';
import { users } from '../../db/schema.ts';
import type { Db } from './db.ts';

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
