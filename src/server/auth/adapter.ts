// Lucia's storage, on our drizzle tables. Every id Lucia hands this adapter is already the SHA-256 of the browser's
// token (sessions.ts hashes before calling Lucia), so the sessions table never holds a usable cookie value.
import { and, eq, lte } from 'drizzle-orm';
import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia';
import { sessions, users } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

export interface UserAttributes {
  email: string;
  displayName: string;
  isAdmin: boolean;
}

type SessionRow = typeof sessions.$inferSelect;

const toDatabaseSession = (row: SessionRow): DatabaseSession => ({
  id: row.id,
  userId: row.userId,
  expiresAt: new Date(row.expiresAt),
  attributes: {},
});

export class SessionAdapter implements Adapter {
  constructor(private readonly db: Db) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const row = this.db
      .select({ session: sessions, user: { id: users.id, email: users.email, displayName: users.displayName, isAdmin: users.isAdmin } })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sessionId))
      .get();
    if (!row) return [null, null];
    const { id, ...attributes } = row.user;
    return [toDatabaseSession(row.session), { id, attributes }];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    return this.db.select().from(sessions).where(eq(sessions.userId, userId)).all().map(toDatabaseSession);
  }

  async setSession(session: DatabaseSession): Promise<void> {
    this.db.insert(sessions).values({ id: session.id, userId: session.userId, expiresAt: session.expiresAt.getTime() }).run();
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    this.db.update(sessions).set({ expiresAt: expiresAt.getTime() }).where(eq(sessions.id, sessionId)).run();
  }

  async deleteSession(sessionId: string): Promise<void> {
    this.db.delete(sessions).where(eq(sessions.id, sessionId)).run();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    this.db.delete(sessions).where(eq(sessions.userId, userId)).run();
  }

  async deleteExpiredSessions(): Promise<void> {
    this.db.delete(sessions).where(lte(sessions.expiresAt, Date.now())).run();
  }

  /** The user's own expired sessions (through the user index, so cheap enough to run at every sign-in). */
  deleteExpiredUserSessions(userId: string, now: number): void {
    this.db.delete(sessions).where(and(eq(sessions.userId, userId), lte(sessions.expiresAt, now))).run();
  }
}
