// Password reset by mail. The user asks with an email; if it is registered, a link with a random token goes to it
// (through the site's mail queue, in the same transaction as the token). The token is kept only as its SHA-256, works
// once and for an hour; using it sets the new password and ends every session of the account. The request answers the
// same whether or not the email is registered, and is rate-limited per address and per email either way.
import { and, eq, lte } from 'drizzle-orm';
import { z } from 'zod';
import { passwordResets, sessions, users } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';
import { html, mailLink, queueMail, type MailTemplate } from '../mail/index.ts';
import { addressKey } from '../rate-limit.ts';
import { hashToken, newToken } from '../tokens.ts';
import { parseInput } from '../validation.ts';
import { absoluteUrl, localePath } from '../urls.ts';
import { authPolicy, emailField, isLikeEmail, newPasswordField, type Client } from './accounts.ts';
import { hashPassword } from './passwords.ts';

/** How long a mailed link works. */
export const RESET_TTL_MS = 60 * 60_000;

const requestSchema = z.object({ email: emailField });

const resetSchema = z
  .object({
    token: z.string({ error: 'account.resetInvalid' }).trim().regex(/^[a-z2-7]{32}$/, 'account.resetInvalid'),
    password: newPasswordField,
    passwordRepeat: z.string({ error: 'account.passwordRepeatMismatch' }),
  })
  .refine((v) => v.password === v.passwordRepeat, { path: ['passwordRepeat'], message: 'account.passwordRepeatMismatch' });

export const resetMail: MailTemplate<{ name: string; link: string }> = {
  name: 'password-reset',
  subject: (_d, c) => c.t('account.resetMailSubject', { site: c.site }),
  body: (d, c) => {
    const intro = c.t('account.resetMailBody', { name: d.name, minutes: RESET_TTL_MS / 60_000 });
    const link = mailLink(d.link, c.t('account.resetMailLink'));
    const ignore = c.t('account.resetMailIgnore');
    return { text: `${intro}\n\n${link.text}\n\n${ignore}`, html: html`<p>${intro}</p>${link.html}<p>${ignore}</p>` };
  },
};

/**
 * Asks for a reset link (field email). Answers nothing either way; a registered email gets the mail, in the reader's
 * language. Limits: per IP, and per email (counted for unknown emails too, so the limit reveals nothing).
 */
export function requestPasswordReset(db: Db, input: unknown, client: Client, locale: Locale, now: number): void {
  const { email } = parseInput(requestSchema, input);
  const policy = authPolicy(db);
  policy.resetRequestPerIp.consume(addressKey(client.ip), now);
  policy.resetRequestPerEmail.consume(email, now);
  const user = db.select({ id: users.id, displayName: users.displayName }).from(users).where(eq(users.email, email)).get();
  if (!user) return;
  const token = newToken();
  const link = absoluteUrl(config().SITE_URL, localePath(locale, `/reset-password?token=${token}`));
  db.transaction((tx) => {
    tx.delete(passwordResets).where(and(eq(passwordResets.userId, user.id), lte(passwordResets.expiresAt, now))).run();
    tx.insert(passwordResets).values({ id: hashToken(token), userId: user.id, expiresAt: now + RESET_TTL_MS, createdAt: now }).run();
    queueMail(tx, { to: email, template: resetMail, data: { name: user.displayName, link }, idempotencyKey: `password-reset:${hashToken(token)}`, locale }, now);
  });
}

/** Whether a token from a link can still be used (the page shows the form only then). */
export function resetTokenIsValid(db: Db, token: string, now: number): boolean {
  if (!/^[a-z2-7]{32}$/.test(token)) return false;
  const row = db.select({ expiresAt: passwordResets.expiresAt }).from(passwordResets).where(eq(passwordResets.id, hashToken(token))).get();
  return !!row && row.expiresAt > now;
}

/**
 * Sets a new password with a mailed token (fields token, password, passwordRepeat). The token is used up, the
 * account's other reset links stop working, and every session of the account ends. Returns the account's email, so
 * the sign-in form can be filled in.
 */
export async function resetPassword(db: Db, input: unknown, client: Client, now: number): Promise<{ email: string }> {
  const policy = authPolicy(db);
  policy.resetPerIp.consume(addressKey(client.ip), now);
  const data = parseWith(input);
  const id = hashToken(data.token);
  const row = db
    .select({ userId: passwordResets.userId, expiresAt: passwordResets.expiresAt, email: users.email })
    .from(passwordResets)
    .innerJoin(users, eq(users.id, passwordResets.userId))
    .where(eq(passwordResets.id, id))
    .get();
  if (!row || row.expiresAt <= now) throw new InvalidError('reset link invalid', { _: 'account.resetInvalid' });
  if (isLikeEmail(data.password, row.email)) throw new InvalidError('weak password', { password: 'account.passwordLikeEmail' });
  const passwordHash = await hashPassword(data.password, policy.cost);
  const used = db.transaction(
    (tx) => {
      // Deleting the row is the use: of two requests with one token, only the one that deletes it sets the password.
      if (tx.delete(passwordResets).where(eq(passwordResets.id, id)).run().changes === 0) return false;
      tx.update(users).set({ passwordHash }).where(eq(users.id, row.userId)).run();
      tx.delete(sessions).where(eq(sessions.userId, row.userId)).run();
      tx.delete(passwordResets).where(eq(passwordResets.userId, row.userId)).run();
      return true;
    },
    { behavior: 'immediate' },
  );
  if (!used) throw new InvalidError('reset link used', { _: 'account.resetInvalid' });
  policy.resetPerIp.refund(addressKey(client.ip), now);
  return { email: row.email };
}

// The token is no field the reader can correct: its problem is the form's.
function parseWith(input: unknown) {
  try {
    return parseInput(resetSchema, input);
  } catch (e) {
    if (e instanceof InvalidError && 'token' in e.fields) throw new InvalidError('reset link invalid', { _: 'account.resetInvalid' });
    throw e;
  }
}
