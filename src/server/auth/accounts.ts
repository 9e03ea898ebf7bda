// Accounts: registration, sign-in, password change. Each returns what the edge needs (a session ticket) or throws a
// typed error (InvalidError with field message keys, ConflictError, RateLimitedError); nothing here knows HTTP.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { sessions, users } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import { addressKey, createRateLimiter, type RateLimiter } from '../rate-limit.ts';
import { parseInput } from '../validation.ts';
import { DEFAULT_COST, hashPassword, isCommonPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword, type ScryptCost } from './passwords.ts';
import { endSession, startSession, type SessionTicket } from './sessions.ts';
import type { SessionUser } from './user.ts';

const MINUTE = 60_000;

/**
 * The limits, and why:
 * - signInPerAccount: 5 failed sign-ins per email per 15 min. Online guessing gets 480 tries a day at most, far too few
 *   for any password that passed the common-password check; a real user who mistypes 5 times waits 15 min at worst.
 *   Counted per email whether or not it is registered, so the limit does not reveal which emails exist.
 * - signInPerIp: 30 failed sign-ins per IP per 15 min. Stops one address from spraying many accounts; higher than the
 *   per-account limit because a company's office shares one address.
 * - registerPerIp: 10 registrations per IP per hour. Each costs a scrypt hash (half a second, 128 MiB), so this also
 *   caps the CPU one address can burn, and slows bulk creation of spam accounts.
 * - passwordChangePerUser: 5 wrong current passwords per 15 min, so a borrowed signed-in browser cannot be used to
 *   guess the password.
 * - resetRequestPerIp / resetRequestPerEmail: 10 reset mails asked per IP and 3 per email an hour, so the form cannot
 *   flood an inbox or be used to send mail in bulk; counted for unknown emails too, so the limit reveals nothing.
 * - resetPerIp: 20 failed uses of reset links per IP per 15 min (a token has 160 bits: this only keeps a guesser from
 *   burning CPU on the password hash).
 * A limited request answers before any hashing, so it costs the server next to nothing.
 */
export interface AuthPolicy {
  cost: ScryptCost;
  signInPerAccount: RateLimiter;
  signInPerIp: RateLimiter;
  registerPerIp: RateLimiter;
  passwordChangePerUser: RateLimiter;
  resetRequestPerIp: RateLimiter;
  resetRequestPerEmail: RateLimiter;
  resetPerIp: RateLimiter;
}

function defaultPolicy(): AuthPolicy {
  return {
    cost: DEFAULT_COST,
    signInPerAccount: createRateLimiter({ limit: 5, windowMs: 15 * MINUTE }),
    signInPerIp: createRateLimiter({ limit: 30, windowMs: 15 * MINUTE }),
    registerPerIp: createRateLimiter({ limit: 10, windowMs: 60 * MINUTE }),
    passwordChangePerUser: createRateLimiter({ limit: 5, windowMs: 15 * MINUTE }),
    resetRequestPerIp: createRateLimiter({ limit: 10, windowMs: 60 * MINUTE }),
    resetRequestPerEmail: createRateLimiter({ limit: 3, windowMs: 60 * MINUTE }),
    resetPerIp: createRateLimiter({ limit: 20, windowMs: 15 * MINUTE }),
  };
}

// In memory, per database (one server process serves one database; each test file gets its own).
const policies = new WeakMap<Db, AuthPolicy>();

export function authPolicy(db: Db): AuthPolicy {
  let p = policies.get(db);
  if (!p) {
    p = defaultPolicy();
    policies.set(db, p);
    void dummyHash(p.cost); // ready before the first sign-in of an unknown email needs it
  }
  return p;
}

/** Replaces parts of a database's policy (tests: a cheaper hash cost, limits with their own clock). */
export function setAuthPolicy(db: Db, overrides: Partial<AuthPolicy>): void {
  const p = { ...(policies.get(db) ?? defaultPolicy()), ...overrides };
  policies.set(db, p);
  void dummyHash(p.cost);
}

// A hash no password matches but that costs the same to check: an unknown email takes as long as a wrong password.
const dummyHashes = new Map<string, Promise<string>>();
function dummyHash(cost: ScryptCost): Promise<string> {
  const key = `${cost.ln},${cost.r},${cost.p}`;
  let h = dummyHashes.get(key);
  if (!h) {
    h = hashPassword(randomUUID(), cost);
    dummyHashes.set(key, h);
  }
  return h;
}

const EMAIL_FORMAT = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CONTROL_CHARS = /[\p{Cc}\p{Cf}]/u;

/** Emails are compared trimmed and lower-cased, so one inbox is one account. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const emailField = z
  .string({ error: 'account.emailRequired' })
  .trim()
  .toLowerCase()
  .min(1, 'account.emailRequired')
  .max(254, 'account.emailInvalid')
  .regex(EMAIL_FORMAT, 'account.emailInvalid');

export const newPasswordField = z
  .string({ error: 'account.passwordRequired' })
  .min(1, 'account.passwordRequired')
  .min(PASSWORD_MIN, 'account.passwordTooShort')
  .max(PASSWORD_MAX, 'account.passwordTooLong')
  .refine((p) => !isCommonPassword(p), 'account.passwordTooCommon');

/** The email, or the part before @: the first guess for anyone who knows the email. */
export function isLikeEmail(password: string, email: string): boolean {
  const p = password.toLowerCase();
  return p === email || p === email.split('@')[0];
}

const registerSchema = z
  .object({
    email: emailField,
    displayName: z
      .string({ error: 'account.displayNameRequired' })
      .trim()
      .min(1, 'account.displayNameRequired')
      .max(40, 'account.displayNameTooLong')
      .refine((s) => !CONTROL_CHARS.test(s), 'account.displayNameInvalid'),
    password: newPasswordField,
    passwordRepeat: z.string({ error: 'account.passwordRepeatMismatch' }),
  })
  .superRefine((v, ctx) => {
    if (v.password !== v.passwordRepeat) ctx.addIssue({ code: 'custom', path: ['passwordRepeat'], message: 'account.passwordRepeatMismatch' });
    if (isLikeEmail(v.password, v.email)) ctx.addIssue({ code: 'custom', path: ['password'], message: 'account.passwordLikeEmail' });
  });

const signInSchema = z.object({
  email: z.string({ error: 'account.emailRequired' }).trim().toLowerCase().min(1, 'account.emailRequired'),
  password: z.string({ error: 'account.passwordRequired' }).min(1, 'account.passwordRequired'),
});

const changePasswordSchema = z
  .object({
    currentPassword: z.string({ error: 'account.passwordRequired' }).min(1, 'account.passwordRequired'),
    newPassword: newPasswordField,
    newPasswordRepeat: z.string({ error: 'account.passwordRepeatMismatch' }),
  })
  .refine((v) => v.newPassword === v.newPasswordRepeat, { path: ['newPasswordRepeat'], message: 'account.passwordRepeatMismatch' });

export interface SignedIn {
  user: SessionUser;
  session: SessionTicket;
}

const toSessionUser = (row: typeof users.$inferSelect): SessionUser => ({
  id: row.id,
  email: row.email,
  displayName: row.displayName,
  isAdmin: row.isAdmin,
});

/** What the browser brought along: its address, and the session it had (ended when a new one starts). */
export interface Client {
  ip: string;
  sessionToken?: string;
}

/** Creates an account (fields email, displayName, password, passwordRepeat) and signs it in. */
export async function register(db: Db, input: unknown, client: Client, now: number): Promise<SignedIn> {
  const data = parseInput(registerSchema, input);
  const policy = authPolicy(db);
  const taken = () => new ConflictError('account.emailTaken', { email: 'account.emailTaken' });
  // Counted before the email check too, so the form cannot be used to test many emails for being registered.
  policy.registerPerIp.consume(addressKey(client.ip), now);
  if (db.select({ id: users.id }).from(users).where(eq(users.email, data.email)).get()) throw taken();
  const passwordHash = await hashPassword(data.password, policy.cost);
  let row: typeof users.$inferSelect;
  try {
    row = db
      .insert(users)
      .values({ id: randomUUID(), email: data.email, passwordHash, displayName: data.displayName, createdAt: now })
      .returning()
      .get();
  } catch (e) {
    // Two registrations of one email at the same moment: the unique index decides, the loser hears "taken".
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw taken();
    throw e;
  }
  return { user: toSessionUser(row), session: await replaceSession(db, row.id, client) };
}

// A new session id at every sign-in; the one the browser had before ends, so an old copy of the cookie (or one
// planted by someone else: session fixation) is worth nothing.
async function replaceSession(db: Db, userId: string, client: Client): Promise<SessionTicket> {
  if (client.sessionToken) await endSession(db, client.sessionToken);
  return startSession(db, userId);
}

/**
 * Signs in with email and password. An unknown email and a wrong password get the same error, after the same work
 * (a hash is checked either way); repeated failures are limited per email and per IP.
 */
export async function signIn(db: Db, input: unknown, client: Client, now: number): Promise<SignedIn> {
  const data = parseInput(signInSchema, input);
  const policy = authPolicy(db);
  const ip = addressKey(client.ip);
  // Counted before the hash is checked, so parallel guesses cannot all pass before the first failure is counted.
  policy.signInPerIp.consume(ip, now);
  policy.signInPerAccount.consume(data.email, now);
  const row = db.select().from(users).where(eq(users.email, data.email)).get();
  const matches =
    data.password.length <= PASSWORD_MAX &&
    (await verifyPassword(data.password, row?.passwordHash ?? (await dummyHash(policy.cost))));
  if (!matches || !row) throw new InvalidError('sign-in failed', { _: 'account.signInFailed' });
  // Only failures count against the limits.
  policy.signInPerIp.refund(ip, now);
  policy.signInPerAccount.reset(data.email);
  return { user: toSessionUser(row), session: await replaceSession(db, row.id, client) };
}

/** Ends the session of this token (sign-out). */
export async function signOut(db: Db, token: string): Promise<void> {
  await endSession(db, token);
}

/**
 * Changes the password (fields currentPassword, newPassword, newPasswordRepeat). Every session of the user ends,
 * on other devices too; the browser that made the change gets a fresh session.
 */
export async function changePassword(db: Db, userId: string, input: unknown, now: number): Promise<SessionTicket> {
  const data = parseInput(changePasswordSchema, input);
  const policy = authPolicy(db);
  const row = db.select().from(users).where(eq(users.id, userId)).get();
  if (!row) throw new NotFoundError('user');
  policy.passwordChangePerUser.consume(userId, now);
  if (!(await verifyPassword(data.currentPassword, row.passwordHash))) {
    throw new InvalidError('wrong password', { currentPassword: 'account.currentPasswordWrong' });
  }
  if (isLikeEmail(data.newPassword, row.email)) throw new InvalidError('weak password', { newPassword: 'account.passwordLikeEmail' });
  policy.passwordChangePerUser.reset(userId);
  const passwordHash = await hashPassword(data.newPassword, policy.cost);
  // One transaction: the new password never exists beside sessions that were opened with the old one.
  db.transaction(
    (tx) => {
      tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
      tx.delete(sessions).where(eq(sessions.userId, userId)).run();
    },
    { behavior: 'immediate' },
  );
  return startSession(db, userId);
}
