// Accounts: registration, sign-in, password change. Each returns what the edge needs (a session ticket) or throws a
// typed error (InvalidError with field message keys, RateLimitedError); nothing here knows HTTP.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { sessions, users } from '../../../db/schema.ts';
import { config } from '../config.ts';
import { noteSignInFailure, recordAudit } from '../audit/index.ts';
import type { Db } from '../db.ts';
import { InvalidError, NotFoundError, RateLimitedError } from '../errors.ts';
import { addressKey, createBackoff, createRateLimiter, type Backoff, type RateLimiter } from '../rate-limit.ts';
import { DEFAULT_LOCALE } from '../i18n/index.ts';
import { queueMail } from '../mail/index.ts';
import { absoluteUrl } from '../urls.ts';
import { parseInput } from '../validation.ts';
import { registerAttemptMail } from './mails.ts';
import { DEFAULT_COST, hashesWaiting, hashPassword, isCommonPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword, type ScryptCost } from './passwords.ts';
import { endSession, startSession, type SessionTicket } from './sessions.ts';
import type { SessionUser } from './user.ts';

const MINUTE = 60_000;

/**
 * The limits, and why (OWASP's authentication guidance: slow guessing down without letting anyone lock the owner out):
 * - signInPerPair: failures of one email from one address. Three are free, then each waits twice as long as the last
 *   (1 s, 2 s, 4 s ... up to 15 min). A guesser at one address gets a few dozen tries a day; the owner at another
 *   address is not affected at all.
 * - signInPerAccount: failures of one email from every address (guessing spread over many addresses). Fifty are
 *   free, then the same doubling delays, except for addresses the account signed in from in the last 30 days
 *   (knownPairs): the owner's own devices never wait for someone else's failures.
 *   Both count unknown emails too, so the limits do not reveal which emails exist.
 * - signInPerIp: 30 failed sign-ins per IP per 15 min. Stops one address from spraying many accounts; higher than the
 *   per-pair allowance because a company's office shares one address.
 * - Hashing: at most two scrypt runs at once (passwords.ts); waiting sign-ins go by priority, known devices first,
 *   then attempts with no recent failures (account, pair or address), then the rest. When more than
 *   `busyQueue` hashes already wait ahead of an attempt with recent failures, it is refused at once (429): a flood
 *   of guesses costs the server nothing and cannot push the owner's sign-in back.
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
  signInPerPair: Backoff;
  signInPerAccount: Backoff;
  signInPerIp: RateLimiter;
  /** email|address -> when that pair last signed in successfully. */
  knownPairs: Map<string, number>;
  busyQueue: number;
  registerPerIp: RateLimiter;
  passwordChangePerUser: RateLimiter;
  resetRequestPerIp: RateLimiter;
  resetRequestPerEmail: RateLimiter;
  resetPerIp: RateLimiter;
}

const KNOWN_PAIR_MS = 30 * 24 * 60 * MINUTE;
const MAX_KNOWN_PAIRS = 100_000;

function defaultPolicy(db: Db): AuthPolicy {
  const delays = { db, firstDelayMs: 1000, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE };
  return {
    cost: DEFAULT_COST,
    signInPerPair: createBackoff({ name: 'signin-pair', free: 3, ...delays }),
    signInPerAccount: createBackoff({ name: 'signin-account', free: 50, ...delays }),
    signInPerIp: createRateLimiter({ name: 'signin-ip', db, limit: 30, windowMs: 15 * MINUTE }),
    knownPairs: new Map(),
    busyQueue: 8,
    registerPerIp: createRateLimiter({ name: 'register-ip', db, limit: 10, windowMs: 60 * MINUTE }),
    passwordChangePerUser: createRateLimiter({ name: 'password-change-user', db, limit: 5, windowMs: 15 * MINUTE }),
    resetRequestPerIp: createRateLimiter({ name: 'reset-request-ip', db, limit: 10, windowMs: 60 * MINUTE }),
    resetRequestPerEmail: createRateLimiter({ name: 'reset-request-email', db, limit: 3, windowMs: 60 * MINUTE }),
    resetPerIp: createRateLimiter({ name: 'reset-ip', db, limit: 20, windowMs: 15 * MINUTE }),
  };
}

function isKnownPair(policy: AuthPolicy, pair: string, now: number): boolean {
  const at = policy.knownPairs.get(pair);
  return at !== undefined && now - at < KNOWN_PAIR_MS;
}

function rememberPair(policy: AuthPolicy, pair: string, now: number): void {
  policy.knownPairs.delete(pair); // re-inserted last: the map's order is oldest success first
  policy.knownPairs.set(pair, now);
  for (const oldest of policy.knownPairs.keys()) {
    if (policy.knownPairs.size <= MAX_KNOWN_PAIRS) break;
    policy.knownPairs.delete(oldest);
  }
}

// In memory, per database (one server process serves one database; each test file gets its own).
const policies = new WeakMap<Db, AuthPolicy>();

export function authPolicy(db: Db): AuthPolicy {
  let p = policies.get(db);
  if (!p) {
    p = defaultPolicy(db);
    policies.set(db, p);
    void dummyHash(p.cost); // ready before the first sign-in of an unknown email needs it
  }
  return p;
}

/** Replaces parts of a database's policy (tests: a cheaper hash cost, limits with their own clock). */
export function setAuthPolicy(db: Db, overrides: Partial<AuthPolicy>): void {
  const p = { ...(policies.get(db) ?? defaultPolicy(db)), ...overrides };
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

const DAY = 24 * 60 * MINUTE;

/**
 * Someone registered with an email that already has an account: the person registering sees the same answer as for
 * a new email (so the form does not tell who has an account), and the owner hears of it by mail instead, at most
 * once a day (the form must not become a way to flood someone's inbox).
 */
export function notifyExistingAccountOwner(db: Db, email: string, now: number): void {
  queueMail(
    db,
    {
      to: email,
      template: registerAttemptMail,
      data: { loginUrl: absoluteUrl(config().SITE_URL, '/login') },
      idempotencyKey: `register-attempt:${email}:${Math.floor(now / DAY)}`,
      locale: DEFAULT_LOCALE,
    },
    now,
  );
}

/**
 * Creates an account (fields email, displayName, password, passwordRepeat) and signs it in. An email that already
 * has an account gets null after the same work (a hash is computed either way) and its owner is told
 * (notifyExistingAccountOwner): the page answers both the same way.
 */
export async function register(db: Db, input: unknown, client: Client, now: number): Promise<SignedIn | null> {
  const data = parseInput(registerSchema, input);
  const policy = authPolicy(db);
  // Counted before the email check too, so the form cannot be used to test many emails for being registered.
  policy.registerPerIp.consume(addressKey(client.ip), now);
  // Hashed before looking the email up, so a taken email costs the same as a new one.
  const passwordHash = await hashPassword(data.password, policy.cost);
  let row: typeof users.$inferSelect | undefined;
  try {
    row = db
      .insert(users)
      .values({ id: randomUUID(), email: data.email, passwordHash, displayName: data.displayName, createdAt: now })
      .returning()
      .get();
  } catch (e) {
    // The unique index on the email decides (two registrations at the same moment included): the "taken" case.
    if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
  }
  if (!row) {
    notifyExistingAccountOwner(db, data.email, now);
    return null;
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
 * (a hash is checked either way); failures slow down their email+address pair, then the email from everywhere but
 * the owner's known addresses, and the address (see AuthPolicy).
 */
export async function signIn(db: Db, input: unknown, client: Client, now: number): Promise<SignedIn> {
  const data = parseInput(signInSchema, input);
  const policy = authPolicy(db);
  const ip = addressKey(client.ip);
  const pair = `${data.email}|${ip}`;
  const known = isKnownPair(policy, pair, now);
  policy.signInPerPair.check(pair, now);
  if (!known) policy.signInPerAccount.check(data.email, now);
  const recentFailures =
    policy.signInPerPair.failures(pair, now) +
    policy.signInPerAccount.failures(data.email, now) +
    (policy.signInPerIp.limit - policy.signInPerIp.remaining(ip, now));
  const priority = known ? 0 : recentFailures === 0 ? 1 : 2;
  // Under a flood, an attempt with recent failures is refused before it takes a place in the hashing queue.
  if (priority === 2 && hashesWaiting(2) >= policy.busyQueue) throw new RateLimitedError(60);
  // Counted before the hash is checked, so parallel guesses cannot all pass before the first failure is counted.
  policy.signInPerIp.consume(ip, now);
  policy.signInPerPair.fail(pair, now);
  policy.signInPerAccount.fail(data.email, now);
  const row = db.select().from(users).where(eq(users.email, data.email)).get();
  const matches =
    data.password.length <= PASSWORD_MAX &&
    (await verifyPassword(data.password, row?.passwordHash ?? (await dummyHash(policy.cost)), priority));
  if (!matches || !row) {
    noteSignInFailure(db, data.email, ip, now);
    throw new InvalidError('sign-in failed', { _: 'account.signInFailed' });
  }
  // Only failures count against the limits; this address is now one of the owner's.
  policy.signInPerIp.refund(ip, now);
  policy.signInPerPair.reset(pair);
  policy.signInPerAccount.forgive(data.email, now);
  rememberPair(policy, pair, now);
  // Told only to whoever knows the password: an administrator suspended the account (moderation/members.ts).
  if (row.suspendedAt !== null) throw new InvalidError('account suspended', { _: 'account.suspended' }, { _: { reason: row.suspendReason ?? '' } });
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
      recordAudit(tx, { actorId: userId, action: 'auth.passwordChanged', targetType: 'user', targetId: userId }, now);
    },
    { behavior: 'immediate' },
  );
  return startSession(db, userId);
}
