// Delivers queued mail through the site's outbox runner (../outbox): each batch claims the due rows for one lease,
// sends them, then marks each sent, or reschedules it with a growing delay. A sender that crashes
// mid-round leaves its rows claimed until the lease lapses; then they are sent again with the same Message-ID
// (derived from the idempotency key), which mail stores treat as the same message. So a crash loses nothing, and the
// one window SMTP cannot close (after the server's "250 OK", before our mark) delivers the same message, not a second one.
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import { mailOutbox } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { log } from '../observability/log.ts';
import { backoffMs, claimDue, scheduleJob } from '../outbox/index.ts';
import { onMailQueued } from './index.ts';

/** How long a claimed row is left to its sender before another round may take it (well above one SMTP send). */
export const LEASE_MS = 2 * 60_000;
export const MAX_ATTEMPTS = 10;
const BATCH = 20;
const PERIOD_MS = 10_000;

/** 30 s, 1 min, 2 min ... at most an hour: ten attempts span about eight hours of a mail server being away. */
export function mailBackoffMs(attempts: number): number {
  return backoffMs(attempts, 30_000, 3_600_000);
}

/** The Message-ID of a queued mail: the same for every attempt at it. */
export function messageIdFor(idempotencyKey: string, siteUrl = config().SITE_URL): string {
  const host = new URL(siteUrl).hostname || 'localhost';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${host}>`;
}

export function mailFrom(): string {
  const { MAIL_FROM, SITE_NAME, SITE_URL } = config();
  if (MAIL_FROM) return MAIL_FROM;
  const host = new URL(SITE_URL).hostname;
  return `"${SITE_NAME.replace(/["\\]/g, '')}" <noreply@${host.includes('.') ? host : `${host}.localdomain`}>`;
}

export function smtpTransport(url: string): Transporter {
  return nodemailer.createTransport(url);
}

export interface SendRound {
  sent: number;
  retried: number;
  failed: number;
}

export interface SendOptions {
  from?: string;
  batch?: number;
  /** Runs after the SMTP server accepted a mail and before it is marked sent (tests crash here). */
  afterSend?: (id: number) => void;
}

/** One round: sends what is due; returns what happened. */
export async function sendDueMail(db: Db, transport: Transporter, now: number, options: SendOptions = {}): Promise<SendRound> {
  const round: SendRound = { sent: 0, retried: 0, failed: 0 };
  const from = options.from ?? mailFrom();
  for (const row of claimDue(db, mailOutbox, eq(mailOutbox.status, 'queued'), { now, batch: options.batch ?? BATCH, leaseMs: LEASE_MS })) {
    const attempts = row.attempts + 1;
    try {
      await transport.sendMail({
        from,
        to: row.toAddress,
        subject: row.subject,
        text: row.text,
        html: row.html,
        messageId: messageIdFor(row.idempotencyKey),
        headers: row.headers ?? undefined,
      });
    } catch (e) {
      const failed = attempts >= MAX_ATTEMPTS;
      db.update(mailOutbox)
        .set({
          attempts,
          status: failed ? 'failed' : 'queued',
          nextAttemptAt: now + mailBackoffMs(attempts),
          lastError: String((e as Error).message ?? e).slice(0, 500),
        })
        .where(eq(mailOutbox.id, row.id))
        .run();
      if (failed) round.failed++;
      else round.retried++;
      continue;
    }
    options.afterSend?.(row.id);
    db.update(mailOutbox).set({ attempts, status: 'sent', sentAt: Date.now(), lastError: null }).where(eq(mailOutbox.id, row.id)).run();
    round.sent++;
  }
  return round;
}

let announcedOff = false;

/** The server's sender: a round right after mail is queued and every few seconds. Without SMTP_URL, mail stays queued. */
export function startMailSender(db: Db): void {
  const url = config().SMTP_URL;
  if (!url) {
    if (!announcedOff) log().warn('mail is off (SMTP_URL is not set): mail stays queued; members see notifications in their inbox');
    announcedOff = true;
    return;
  }
  const transport = smtpTransport(url);
  const job = scheduleJob('mail-sender', { firstAfterMs: 1_000, everyMs: PERIOD_MS }, async () => {
    const r = await sendDueMail(db, transport, Date.now());
    // A full batch may have left more due behind it.
    return { done: r.sent + r.failed, more: r.sent + r.retried + r.failed === BATCH };
  });
  onMailQueued(job.kick);
}
