// Password reset against a real SQLite file: the mail is queued with a link, the token is stored hashed, works once
// and for an hour, ends every session, and the request answers the same for unknown emails; both are rate-limited.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { mailOutbox, passwordResets } from '../../db/schema.ts';
import { register, setAuthPolicy, signIn } from '../../src/server/auth/accounts.ts';
import { RESET_TTL_MS, requestPasswordReset, resetPassword, resetTokenIsValid } from '../../src/server/auth/reset.ts';
import { validateSession } from '../../src/server/auth/sessions.ts';
import { InvalidError, RateLimitedError } from '../../src/server/errors.ts';
import { hashToken } from '../../src/server/tokens.ts';
import { freshDb } from '../helpers/db.ts';

const db = freshDb({ seed: false });
setAuthPolicy(db, { cost: { ln: 10, r: 8, p: 1 } });
const now = Date.now();
let n = 0;
let ip = 0;
const client = () => ({ ip: `10.9.0.${++ip}` });

async function member(password = 'Ganjiang-2026') {
  const email = `reset${++n}@example.com`;
  const { user, session } = (await register(db, { email, displayName: '李经理', password, passwordRepeat: password }, client(), now))!;
  return { email, user, session };
}

function mailedToken(email: string): string {
  const mails = db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, email)).all().filter((m) => m.template === 'password-reset');
  const m = /reset-password\?token=([a-z2-7]+)/.exec(mails.at(-1)?.text ?? '');
  if (!m) throw new Error(`no reset mail to ${email}`);
  return m[1]!;
}

async function fields(p: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InvalidError) return e.fields;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('password reset', () => {
  it('mails a one-hour link whose token is kept only hashed, in the reader language', async () => {
    const { email, user } = await member();
    requestPasswordReset(db, { email: ` ${email.toUpperCase()} ` }, client(), 'en', now);
    const token = mailedToken(email);
    const mail = db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, email)).get()!;
    expect(mail.subject).toContain('Reset your password');
    expect(mail.text).toContain('/en/reset-password?token=');
    const rows = db.select().from(passwordResets).where(eq(passwordResets.userId, user.id)).all();
    expect(rows).toEqual([expect.objectContaining({ id: hashToken(token), expiresAt: now + RESET_TTL_MS })]);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('answers an unknown email exactly as a registered one, and mails nothing', async () => {
    const before = db.select().from(mailOutbox).all().length;
    expect(requestPasswordReset(db, { email: 'nobody@example.com' }, client(), 'zh-CN', now)).toBeUndefined();
    expect(db.select().from(mailOutbox).all().length).toBe(before);
    expect(await fields(Promise.resolve().then(() => requestPasswordReset(db, { email: 'not-an-email' }, client(), 'zh-CN', now)))).toEqual({
      email: 'account.emailInvalid',
    });
  });

  it('sets the new password, ends every session, and the link works once', async () => {
    const { email, session } = await member();
    const other = await signIn(db, { email, password: 'Ganjiang-2026' }, client(), now);
    requestPasswordReset(db, { email }, client(), 'zh-CN', now);
    const token = mailedToken(email);
    expect(resetTokenIsValid(db, token, now)).toBe(true);

    await expect(resetPassword(db, { token, password: 'Poyang-Lake-88', passwordRepeat: 'Poyang-Lake-88' }, client(), now)).resolves.toEqual({ email });
    expect(await validateSession(db, session.token)).toBeNull();
    expect(await validateSession(db, other.session.token)).toBeNull();
    await expect(signIn(db, { email, password: 'Poyang-Lake-88' }, client(), now)).resolves.toBeTruthy();

    expect(resetTokenIsValid(db, token, now)).toBe(false);
    expect(await fields(resetPassword(db, { token, password: 'Another-Pass-99', passwordRepeat: 'Another-Pass-99' }, client(), now))).toEqual({
      _: 'account.resetInvalid',
    });
  });

  it('refuses a link after an hour, and an earlier link once a later one was used', async () => {
    const { email } = await member();
    requestPasswordReset(db, { email }, client(), 'zh-CN', now);
    const first = mailedToken(email);
    expect(await fields(resetPassword(db, { token: first, password: 'Poyang-Lake-88', passwordRepeat: 'Poyang-Lake-88' }, client(), now + RESET_TTL_MS))).toEqual({
      _: 'account.resetInvalid',
    });
    requestPasswordReset(db, { email }, client(), 'zh-CN', now + 1);
    const second = mailedToken(email);
    expect(second).not.toBe(first);
    await resetPassword(db, { token: second, password: 'Poyang-Lake-88', passwordRepeat: 'Poyang-Lake-88' }, client(), now + 2);
    expect(resetTokenIsValid(db, first, now + 3)).toBe(false);
  });

  it('applies the password rules and reports each field', async () => {
    const { email } = await member();
    requestPasswordReset(db, { email }, client(), 'zh-CN', now);
    const token = mailedToken(email);
    expect(await fields(resetPassword(db, { token, password: '123456789', passwordRepeat: 'x' }, client(), now))).toEqual({
      password: 'account.passwordTooCommon',
      passwordRepeat: 'account.passwordRepeatMismatch',
    });
    expect(await fields(resetPassword(db, { token, password: email, passwordRepeat: email }, client(), now))).toEqual({ password: 'account.passwordLikeEmail' });
    expect(await fields(resetPassword(db, { token: 'forged', password: 'Poyang-Lake-88', passwordRepeat: 'Poyang-Lake-88' }, client(), now))).toEqual({
      _: 'account.resetInvalid',
    });
    expect(resetTokenIsValid(db, token, now)).toBe(true);
  });

  it('limits requests per email (3 an hour, unknown emails too) and per IP (10 an hour)', async () => {
    const { email } = await member();
    for (let i = 0; i < 3; i++) requestPasswordReset(db, { email }, client(), 'zh-CN', now);
    expect(() => requestPasswordReset(db, { email }, client(), 'zh-CN', now)).toThrow(RateLimitedError);
    for (let i = 0; i < 3; i++) requestPasswordReset(db, { email: 'ghost@example.com' }, client(), 'zh-CN', now);
    expect(() => requestPasswordReset(db, { email: 'ghost@example.com' }, client(), 'zh-CN', now)).toThrow(RateLimitedError);
    const one = { ip: '10.8.0.1' };
    for (let i = 0; i < 10; i++) requestPasswordReset(db, { email: `spray${i}@example.com` }, one, 'zh-CN', now);
    expect(() => requestPasswordReset(db, { email: 'spray-more@example.com' }, one, 'zh-CN', now)).toThrow(RateLimitedError);
  });
});
