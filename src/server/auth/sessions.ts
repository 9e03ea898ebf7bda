// Sessions: the only module that talks to Lucia (v3 is no longer developed upstream; replacing it means replacing
// this file and adapter.ts). The browser holds a random token; Lucia and the database only ever see its SHA-256.
// Lucia reads the clock itself (Date.now), so session times follow the real clock, not a `now` argument.
import { Lucia, TimeSpan } from 'lucia';
import type { Db } from '../db.ts';
import { hashToken, newToken } from '../tokens.ts';
import { SessionAdapter, type UserAttributes } from './adapter.ts';
import { SESSION_COOKIE, type SessionUser } from './user.ts';

/** A session lasts this long without use; used in its second half, it is extended to the full length again. */
export const SESSION_DAYS = 30;

/** What the browser gets: the token for the cookie and when it stops working. */
export interface SessionTicket {
  token: string;
  expiresAt: number;
}

export interface ValidSession {
  user: SessionUser;
  expiresAt: number;
  /** The expiry moved (the session was extended): the cookie must be sent again with the new lifetime. */
  extended: boolean;
}

/** The session cookie as plain data (name, value, attributes), for the HTTP edge to set. */
export interface SessionCookie {
  name: string;
  value: string;
  options: { httpOnly: true; sameSite: 'lax'; path: '/'; secure: boolean; maxAge: number };
}

type SiteLucia = Lucia<Record<never, never>, UserAttributes>;

declare module 'lucia' {
  interface Register {
    Lucia: SiteLucia;
    DatabaseUserAttributes: UserAttributes;
  }
}

interface Auth {
  lucia: SiteLucia;
  adapter: SessionAdapter;
}

const perDb = new WeakMap<Db, Auth>();

function auth(db: Db): Auth {
  let a = perDb.get(db);
  if (!a) {
    const adapter = new SessionAdapter(db);
    const lucia = new Lucia(adapter, {
      sessionExpiresIn: new TimeSpan(SESSION_DAYS, 'd'),
      sessionCookie: { name: SESSION_COOKIE },
      getUserAttributes: (attributes) => ({
        email: attributes.email,
        displayName: attributes.displayName,
        isAdmin: attributes.isAdmin,
      }),
    });
    a = { lucia, adapter };
    perDb.set(db, a);
  }
  return a;
}

// Tokens from newToken(): 32 characters of base32. Anything else is not worth a database lookup.
const TOKEN_FORMAT = /^[a-z2-7]{32}$/;

// Sessions of users who never come back are swept now and then, piggybacking on sign-ins (no timer needed).
const SWEEP_EVERY = 3_600_000;
const lastSweep = new WeakMap<Db, number>();

/** Starts a new session (always a new id: a session is never carried over from before sign-in). */
export async function startSession(db: Db, userId: string): Promise<SessionTicket> {
  const { lucia, adapter } = auth(db);
  const now = Date.now();
  if (now - (lastSweep.get(db) ?? 0) >= SWEEP_EVERY) {
    lastSweep.set(db, now);
    await adapter.deleteExpiredSessions();
  } else adapter.deleteExpiredUserSessions(userId, now);
  const token = newToken();
  const session = await lucia.createSession(userId, {}, { sessionId: hashToken(token) });
  return { token, expiresAt: session.expiresAt.getTime() };
}

/** The signed-in user for a token, extending the session when due; null for an unknown, ended or expired one. */
export async function validateSession(db: Db, token: string): Promise<ValidSession | null> {
  if (!TOKEN_FORMAT.test(token)) return null;
  const { user, session } = await auth(db).lucia.validateSession(hashToken(token));
  if (!session) return null;
  return {
    user: { id: user.id, email: user.email, displayName: user.displayName, isAdmin: user.isAdmin },
    expiresAt: session.expiresAt.getTime(),
    extended: session.fresh,
  };
}

/** Ends one session on the server (sign-out): the token stops working even if a copy of the cookie survives. */
export async function endSession(db: Db, token: string): Promise<void> {
  if (TOKEN_FORMAT.test(token)) await auth(db).lucia.invalidateSession(hashToken(token));
}

/** Ends every session of a user (password change, and later an admin blocking an account). */
export async function endUserSessions(db: Db, userId: string): Promise<void> {
  await auth(db).lucia.invalidateUserSessions(userId);
}

/** The cookie carrying a ticket, or (null) the blank cookie that removes it. */
export function sessionCookie(db: Db, ticket: SessionTicket | null, secure: boolean): SessionCookie {
  const { lucia } = auth(db);
  const cookie = ticket ? lucia.createSessionCookie(ticket.token) : lucia.createBlankSessionCookie();
  return {
    name: cookie.name,
    value: cookie.value,
    options: { httpOnly: true, sameSite: 'lax', path: '/', secure, maxAge: cookie.attributes.maxAge ?? 0 },
  };
}
