// Accounts and sessions against a real SQLite file: every rule of registration, sign-in, sessions and passwords.
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mailOutbox, sessions, users } from '../../db/schema.ts';
import { authPolicy, changePassword, register as registerOrNull, setAuthPolicy, signIn, signOut } from '../../src/server/auth/accounts.ts';
import { DEFAULT_COST, hashPassword, isCommonPassword, MAX_CONCURRENT_HASHES, scryptRuns, verifyPassword } from '../../src/server/auth/passwords.ts';
import { SESSION_DAYS, sessionCookie, startSession, validateSession } from '../../src/server/auth/sessions.ts';
import { ConflictError, InvalidError, RateLimitedError } from '../../src/server/errors.ts';
import { createBackoff } from '../../src/server/rate-limit.ts';
import { hashToken } from '../../src/server/tokens.ts';
import { DAY, freshDb, makeUser } from '../helpers/db.ts';

const db = freshDb({ seed: false });
// A cheap hash keeps this file fast; the cost a real server uses is tested on its own below.
const CHEAP = { ln: 10, r: 8, p: 1 };
setAuthPolicy(db, { cost: CHEAP });

const now = Date.now();
let n = 0;
const newEmail = () => `buyer${++n}@example.com`;
const form = (over: Record<string, string> = {}) => {
  const password = over.password ?? 'Ganjiang-2026';
  return { email: newEmail(), displayName: '王经理', password, passwordRepeat: password, ...over };
};

/** A registration of a new email, which signs in. */
async function register(...args: Parameters<typeof registerOrNull>) {
  const signedIn = await registerOrNull(...args);
  if (!signedIn) throw new Error('expected a new account');
  return signedIn;
}

async function invalidFields(p: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InvalidError || e instanceof ConflictError) return e.fields;
    throw e;
  }
  throw new Error('expected the call to fail');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('password hashing', () => {
  it('hashes with scrypt at the OWASP cost, salted, and verifies only the right password', async () => {
    const hash = await hashPassword('茶油 Camellia 2026', DEFAULT_COST);
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    expect(hash).not.toContain('Camellia');
    expect(await verifyPassword('茶油 Camellia 2026', hash)).toBe(true);
    expect(await verifyPassword('茶油 camellia 2026', hash)).toBe(false);
    expect(await hashPassword('茶油 Camellia 2026', DEFAULT_COST)).not.toBe(hash);
  });

  it('refuses a malformed or absurdly expensive stored hash instead of computing it', async () => {
    expect(await verifyPassword('x', '!')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=30,r=8,p=1$AAAA$AAAA')).toBe(false);
  });

  it('knows the common passwords, Chinese favourites included', () => {
    for (const p of ['123456', '12345678', 'woaini1314', 'qwertyuiop', '5201314', 'Password', 'a123456789', 'zzzzzzzz']) {
      expect(isCommonPassword(p), p).toBe(true);
    }
    expect(isCommonPassword('Ganjiang-2026')).toBe(false);
  });
});

describe('registration', () => {
  it('creates the user with a normalised email and signs them in', async () => {
    const { user, session } = await register(db, form({ email: '  Zhang.Wei@Example.COM ', displayName: ' 张伟 ' }), { ip: '10.0.0.1' }, now);
    expect(user).toMatchObject({ email: 'zhang.wei@example.com', displayName: '张伟', isAdmin: false });
    const row = db.select().from(users).all().find((u) => u.id === user.id)!;
    expect(row.passwordHash).toMatch(/^\$scrypt\$/);
    expect(row.createdAt).toBe(now);
    expect((await validateSession(db, session.token))?.user.id).toBe(user.id);
  });

  it('answers an email already registered, however it is written, like a new one: same work, no second account', async () => {
    await register(db, form({ email: 'li@example.com' }), { ip: '10.0.0.1' }, now);
    const hashes = async (email: string) => {
      const before = scryptRuns();
      const result = await registerOrNull(db, form({ email }), { ip: '10.0.0.1' }, now);
      return { hashes: scryptRuns() - before, signedIn: result !== null };
    };
    const taken = await hashes(' LI@example.com');
    const fresh = await hashes('li.new@example.com');
    // The page redirects both to the dashboard; only a new account gets a session (the owner of a taken one is told).
    expect(taken).toEqual({ hashes: 1, signedIn: false });
    expect(fresh).toEqual({ hashes: 1, signedIn: true });
    expect(db.select().from(users).all().filter((u) => u.email === 'li@example.com')).toHaveLength(1);
    // The owner is told, once a day however often it is tried.
    await registerOrNull(db, form({ email: 'li@example.com' }), { ip: '10.0.0.2' }, now);
    const told = db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, 'li@example.com')).all();
    expect(told.map((m) => m.template)).toEqual(['account-register-attempt']);
    expect(told[0]!.text).toContain('/login');
    expect(db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, 'li.new@example.com')).all()).toEqual([]);
  });

  it('checks every field and says what is wrong with each', async () => {
    expect(await invalidFields(register(db, {}, { ip: '10.0.0.1' }, now))).toEqual({
      email: 'account.emailRequired',
      displayName: 'account.displayNameRequired',
      password: 'account.passwordRequired',
      passwordRepeat: 'account.passwordRepeatMismatch',
    });
    expect(await invalidFields(register(db, form({ email: 'not-an-email' }), { ip: '10.0.0.1' }, now))).toEqual({ email: 'account.emailInvalid' });
    expect(await invalidFields(register(db, form({ displayName: '长'.repeat(41) }), { ip: '10.0.0.1' }, now))).toEqual({ displayName: 'account.displayNameTooLong' });
    expect(await invalidFields(register(db, form({ displayName: '张\u0000伟' }), { ip: '10.0.0.1' }, now))).toEqual({ displayName: 'account.displayNameInvalid' });
  });

  it('refuses passwords that are too short, too long, common, or the email; and a mistyped repeat', async () => {
    const refused = async (password: string, repeat = password, email = newEmail()) =>
      invalidFields(register(db, { email, displayName: '王', password, passwordRepeat: repeat }, { ip: '10.0.0.1' }, now));
    expect(await refused('Ab3$xyz')).toEqual({ password: 'account.passwordTooShort' });
    expect(await refused('x'.repeat(60) + 'Y'.repeat(69))).toEqual({ password: 'account.passwordTooLong' });
    expect(await refused('woaini1314')).toEqual({ password: 'account.passwordTooCommon' });
    expect(await refused('QWERTYUIOP')).toEqual({ password: 'account.passwordTooCommon' });
    expect(await refused('chen.jie@example.com', 'chen.jie@example.com', 'chen.jie@example.com')).toEqual({ password: 'account.passwordLikeEmail' });
    expect(await refused('Ganjiang-2026', 'Ganjiang-2027')).toEqual({ passwordRepeat: 'account.passwordRepeatMismatch' });
    // 8 and 128 characters are fine.
    await expect(refused('Pz7#kq2L')).rejects.toThrow('expected the call to fail');
    await expect(refused('Pz7#kq2L'.repeat(16))).rejects.toThrow('expected the call to fail');
  });

  it('limits registrations per IP (10 an hour) before hashing anything', async () => {
    const ip = '10.9.9.9';
    for (let i = 0; i < 10; i++) await register(db, form(), { ip }, now);
    await expect(register(db, form(), { ip }, now)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(register(db, form(), { ip }, now + 61 * 60_000)).resolves.toBeTruthy();
    await expect(register(db, form(), { ip: '10.9.9.10' }, now)).resolves.toBeTruthy();
  });

  it('counts attempts with a registered email too, so the form cannot test many emails', async () => {
    const ip = '10.9.8.1';
    await register(db, form({ email: 'enum@example.com' }), { ip }, now);
    for (let i = 0; i < 9; i++) {
      expect(await registerOrNull(db, form({ email: 'enum@example.com' }), { ip }, now)).toBeNull();
    }
    await expect(register(db, form({ email: 'enum@example.com' }), { ip }, now)).rejects.toBeInstanceOf(RateLimitedError);
  });
});

describe('sign-in', () => {
  it('signs in with the email in any case and gives a new session each time', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.1.1' }, now);
    const a = await signIn(db, { email: email.toUpperCase(), password: 'Ganjiang-2026' }, { ip: '10.0.1.1' }, now);
    const b = await signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.1.1' }, now);
    expect(a.user.email).toBe(email);
    expect(a.session.token).not.toBe(b.session.token);
  });

  it('ends the session the browser had before (no session fixation)', async () => {
    const email = newEmail();
    const { session: before } = await register(db, form({ email }), { ip: '10.0.1.2' }, now);
    const planted = await startSession(db, makeUser(db).id);
    const after = await signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.1.2', sessionToken: planted.token }, now);
    expect(await validateSession(db, planted.token)).toBeNull();
    expect((await validateSession(db, after.session.token))?.user.email).toBe(email);
    expect(await validateSession(db, before.token)).not.toBeNull(); // another device, untouched
  });

  it('answers an unknown email exactly like a wrong password, after the same work (one scrypt each)', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.2.1' }, now);
    await invalidFields(signIn(db, { email: 'warm-up@example.com', password: 'whatever-1' }, { ip: '10.0.2.2' }, now));
    const attempt = async (input: object) => {
      const before = scryptRuns();
      const fields = await invalidFields(signIn(db, input, { ip: '10.0.2.2' }, now));
      return { fields, hashes: scryptRuns() - before };
    };
    const wrong = await attempt({ email, password: 'Wrong-password-1' });
    const unknown = await attempt({ email: 'nobody@example.com', password: 'Wrong-password-1' });
    expect(unknown).toEqual({ fields: { _: 'account.signInFailed' }, hashes: 1 });
    expect(wrong).toEqual(unknown);
    // Timings themselves are measured by `npm run bench:auth` (signInMsMedian), not asserted here.
  });

  it('five wrong passwords from elsewhere never lock the owner out', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.3.1' }, now);
    for (let i = 0; i < 5; i++) {
      expect(await invalidFields(signIn(db, { email, password: `wrong-${i}-password` }, { ip: `10.0.3.${i + 10}` }, now))).toEqual({ _: 'account.signInFailed' });
    }
    for (let i = 0; i < 4; i++) await invalidFields(signIn(db, { email, password: 'wrong-password' }, { ip: '10.0.3.50' }, now + i * 1000));
    await expect(signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.3.99' }, now + 5000)).resolves.toBeTruthy();
  });

  it('slows one address guessing one account with doubling delays after three free failures', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.4.1' }, now);
    const at = (t: number, password = 'wrong-password') => signIn(db, { email, password }, { ip: '10.0.4.2' }, now + t);
    for (let i = 0; i < 4; i++) expect(await invalidFields(at(0))).toEqual({ _: 'account.signInFailed' });
    // The fourth failure costs 1 s, the fifth 2 s, the sixth 4 s ..., the right password included.
    for (const [t, wait] of [[0, 1], [1000, 2], [3000, 4], [7000, 8]] as const) {
      const limited = await at(t, 'Ganjiang-2026').catch((e) => e);
      expect(limited, `at ${t} ms`).toBeInstanceOf(RateLimitedError);
      expect(limited.retryAfterSeconds).toBe(wait);
      await invalidFields(at(t + wait * 1000));
    }
    // Up to 15 minutes at most, and forgotten 15 minutes after the last failure.
    await expect(at(7000 + 8000 + 16 * 60_000, 'Ganjiang-2026')).resolves.toBeTruthy();
  });

  it('a success clears the pair: failures below the free allowance never slow the owner', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.4.1' }, now);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) await invalidFields(signIn(db, { email, password: 'wrong-password' }, { ip: '10.0.4.3' }, now));
      await signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.4.3' }, now);
    }
  });

  it('guessing spread over many addresses slows the account, except from addresses the owner signed in from', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.8.1' }, now);
    await signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.8.1' }, now);
    for (let i = 0; i < 51; i++) await invalidFields(signIn(db, { email, password: `guess-${i}-password` }, { ip: `10.8.${i}.1` }, now));
    await expect(signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.8.200' }, now)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.8.1' }, now)).resolves.toBeTruthy();
  });

  it("puts the owner's sign-in ahead of a flood of guesses from 40 addresses, and refuses the flood's overflow at once", async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.9.1' }, now);
    await signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.9.1' }, now);
    const settled: string[] = [];
    const track = (name: string, p: Promise<unknown>) =>
      p.then(
        () => settled.push(name),
        (e) => settled.push(e instanceof RateLimitedError ? `${name}:refused` : name),
      );
    // All 40 are queued (or refused) before the owner asks: the queue, not the arrival order, decides.
    const flood = Array.from({ length: 40 }, (_, i) => track(`guess${i}`, signIn(db, { email, password: `guess-${i}-password` }, { ip: `10.9.${i}.1` }, now)));
    const owner = track('owner', signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.0.9.1' }, now));
    await Promise.all([...flood, owner]);
    // Which hash finishes first depends on the machine's threads; the queue's order itself is tested step by step in
    // tests/unit/turns.test.ts. Here: the owner gets in, and the flood beyond the queue is refused without hashing.
    expect(settled).toContain('owner');
    expect(settled.filter((s) => s.endsWith(':refused')).length).toBeGreaterThanOrEqual(40 - MAX_CONCURRENT_HASHES - authPolicy(db).busyQueue);
  });

  it('limits failures per IP (30 per 15 minutes) across many accounts', async () => {
    const ip = '10.0.5.1';
    for (let i = 0; i < 30; i++) await invalidFields(signIn(db, { email: `spray${i}@example.com`, password: '123456789' }, { ip }, now));
    await expect(signIn(db, { email: 'spray-next@example.com', password: '123456789' }, { ip }, now)).rejects.toBeInstanceOf(RateLimitedError);
    // Other addresses are unaffected.
    expect(await invalidFields(signIn(db, { email: 'spray-next@example.com', password: '123456789' }, { ip: '10.0.5.2' }, now))).toEqual({ _: 'account.signInFailed' });
  });

  it('counts a burst of parallel guesses from one address before any hash is checked', async () => {
    const email = newEmail();
    await register(db, form({ email }), { ip: '10.0.6.1' }, now);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => signIn(db, { email, password: `guess-${i}-password` }, { ip: '10.0.6.2' }, now)),
    );
    const limited = results.filter((r) => r.status === 'rejected' && r.reason instanceof RateLimitedError);
    // Three free failures and the fourth, which starts the delays; the other eight wait.
    expect(limited).toHaveLength(8);
  });

  it('asks for both fields', async () => {
    expect(await invalidFields(signIn(db, { email: ' ', password: '' }, { ip: '10.0.7.1' }, now))).toEqual({
      email: 'account.emailRequired',
      password: 'account.passwordRequired',
    });
  });
});

describe('sessions', () => {
  it('keeps only the SHA-256 of the token in the database', async () => {
    const { session, user } = await register(db, form(), { ip: '10.1.0.1' }, now);
    const rows = db.select().from(sessions).all().filter((s) => s.userId === user.id);
    expect(rows.map((r) => r.id)).toEqual([hashToken(session.token)]);
    const file = db.$client.prepare("select count(*) from sessions where id = ?").pluck().get(session.token);
    expect(file).toBe(0);
    // The stored id does not work as a cookie.
    expect(await validateSession(db, rows[0]!.id)).toBeNull();
  });

  it('expires after 30 days unused, and is extended when used in its second half', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2026, 0, 1);
    vi.setSystemTime(t0);
    const user = makeUser(db);
    const ticket = await startSession(db, user.id);
    expect(ticket.expiresAt).toBe(t0 + SESSION_DAYS * DAY);

    vi.setSystemTime(t0 + 10 * DAY);
    const early = await validateSession(db, ticket.token);
    expect(early).toMatchObject({ extended: false, expiresAt: t0 + 30 * DAY });

    vi.setSystemTime(t0 + 20 * DAY);
    const late = await validateSession(db, ticket.token);
    expect(late).toMatchObject({ extended: true, expiresAt: t0 + 50 * DAY });

    vi.setSystemTime(t0 + 49 * DAY);
    expect(await validateSession(db, ticket.token)).not.toBeNull();
    vi.setSystemTime(t0 + 130 * DAY);
    expect(await validateSession(db, ticket.token)).toBeNull();
    // The expired row is gone, not only refused.
    expect(db.select().from(sessions).all().filter((s) => s.userId === user.id)).toEqual([]);
  });

  it('sign-out ends the session on the server', async () => {
    const { session } = await register(db, form(), { ip: '10.1.0.2' }, now);
    await signOut(db, session.token);
    expect(await validateSession(db, session.token)).toBeNull();
    expect(db.select().from(sessions).all().find((s) => s.id === hashToken(session.token))).toBeUndefined();
  });

  it('ignores tokens that are not ours without asking the database', async () => {
    expect(await validateSession(db, '')).toBeNull();
    expect(await validateSession(db, "' or 1=1 --")).toBeNull();
    expect(await validateSession(db, 'a'.repeat(32))).toBeNull();
  });

  it('builds an HttpOnly, SameSite=Lax cookie, Secure when asked, and a blank one to remove it', () => {
    const cookie = sessionCookie(db, { token: 'abc', expiresAt: 0 }, true);
    expect(cookie).toEqual({
      name: 'session',
      value: 'abc',
      options: { httpOnly: true, sameSite: 'lax', path: '/', secure: true, maxAge: SESSION_DAYS * 86_400 },
    });
    expect(sessionCookie(db, null, false)).toMatchObject({ value: '', options: { maxAge: 0, secure: false } });
  });
});

describe('changing the password', () => {
  it('needs the current password, then ends every other session and the old password stops working', async () => {
    const email = newEmail();
    const { user, session: first } = await register(db, form({ email }), { ip: '10.2.0.1' }, now);
    const other = await signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.2.0.1' }, now);

    expect(await invalidFields(changePassword(db, user.id, { currentPassword: 'nope-nope', newPassword: 'Poyang-Lake-88', newPasswordRepeat: 'Poyang-Lake-88' }, now))).toEqual({
      currentPassword: 'account.currentPasswordWrong',
    });
    expect(await validateSession(db, other.session.token)).not.toBeNull();

    const fresh = await changePassword(db, user.id, { currentPassword: 'Ganjiang-2026', newPassword: 'Poyang-Lake-88', newPasswordRepeat: 'Poyang-Lake-88' }, now);
    expect(await validateSession(db, first.token)).toBeNull();
    expect(await validateSession(db, other.session.token)).toBeNull();
    expect((await validateSession(db, fresh.token))?.user.id).toBe(user.id);

    expect(await invalidFields(signIn(db, { email, password: 'Ganjiang-2026' }, { ip: '10.2.0.1' }, now))).toEqual({ _: 'account.signInFailed' });
    await expect(signIn(db, { email, password: 'Poyang-Lake-88' }, { ip: '10.2.0.1' }, now)).resolves.toBeTruthy();
  });

  it('applies the same rules to the new password', async () => {
    const { user } = await register(db, form(), { ip: '10.2.0.2' }, now);
    const change = (newPassword: string, repeat = newPassword) =>
      invalidFields(changePassword(db, user.id, { currentPassword: 'Ganjiang-2026', newPassword, newPasswordRepeat: repeat }, now));
    expect(await change('short')).toEqual({ newPassword: 'account.passwordTooShort' });
    expect(await change('1qaz2wsx')).toEqual({ newPassword: 'account.passwordTooCommon' });
    expect(await change('Poyang-Lake-88', 'Poyang-Lake-89')).toEqual({ newPasswordRepeat: 'account.passwordRepeatMismatch' });
  });

  it('limits wrong current passwords to 5 per 15 minutes', async () => {
    const { user } = await register(db, form(), { ip: '10.2.0.3' }, now);
    const attempt = () => changePassword(db, user.id, { currentPassword: 'guess-guess', newPassword: 'Poyang-Lake-88', newPasswordRepeat: 'Poyang-Lake-88' }, now);
    for (let i = 0; i < 5; i++) await invalidFields(attempt());
    await expect(attempt()).rejects.toBeInstanceOf(RateLimitedError);
  });
});

describe('policy', () => {
  it('can be given limiters with their own clock', async () => {
    let clock = 0;
    setAuthPolicy(db, { signInPerPair: createBackoff({ free: 0, firstDelayMs: 1000, maxDelayMs: 1000, windowMs: 1000, clock: () => clock }) });
    const email = newEmail();
    await invalidFields(signIn(db, { email, password: 'wrong-password' }, { ip: '10.3.0.1' }, 0));
    await expect(signIn(db, { email, password: 'wrong-password' }, { ip: '10.3.0.1' }, 0)).rejects.toBeInstanceOf(RateLimitedError);
    clock = 1000;
    expect(authPolicy(db).signInPerPair.failures(`${email}|10.3.0.1`)).toBe(0);
  });
});
