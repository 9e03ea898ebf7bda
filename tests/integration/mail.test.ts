// The mail queue against a real SMTP server in this process: what is queued arrives (text and HTML, escaped), a
// refusing server is retried with a growing delay, and a crash between the send and the "sent" mark never makes a
// second message: the retry carries the same Message-ID.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mailOutbox } from '../../db/schema.ts';
import { registerAttemptMail } from '../../src/server/auth/mails.ts';
import { config } from '../../src/server/config.ts';
import { escapeHtml, html, paragraphs, queueMail, type MailTemplate } from '../../src/server/mail/index.ts';
import { LEASE_MS, MAX_ATTEMPTS, mailBackoffMs, messageIdFor, sendDueMail, smtpTransport, startMailSender } from '../../src/server/mail/sender.ts';
import { log } from '../../src/server/observability/log.ts';
import { freshDb } from '../helpers/db.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const NOW = Date.UTC(2026, 10, 30, 4);
const FROM = '"江西供求信息网" <noreply@example.com>';
const db = freshDb();
let smtp: TestSmtpServer;

const note: MailTemplate<{ name: string; message: string }> = {
  name: 'test-note',
  subject: (d) => `给 ${d.name} 的通知`,
  body: (d) => ({ text: `${d.name}：\n${d.message}`, html: html`<p>${d.name}：</p>${paragraphs(d.message)}` }),
};

function queue(key: string, data = { name: '王经理', message: '第一行\n<script>alert(1)</script>' }) {
  return db.transaction((tx) => queueMail(tx, { to: 'Buyer@Example.com', template: note, data, idempotencyKey: key, locale: 'zh-CN' }, NOW));
}

const row = (key: string) => db.select().from(mailOutbox).where(eq(mailOutbox.idempotencyKey, key)).get()!;

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp.close());
beforeEach(() => {
  smtp.mails.length = 0;
  db.delete(mailOutbox).run();
});

describe('mail queue', () => {
  it('delivers a queued mail over SMTP, text and HTML, every value escaped in the HTML', async () => {
    expect(queue('k1')).toBe(true);
    const round = await sendDueMail(db, smtpTransport(smtp.url), NOW, { from: FROM });
    expect(round).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['buyer@example.com']);
    expect(mail.from).toBe('noreply@example.com');
    expect(mail.subject).toBe('给 王经理 的通知');
    expect(mail.messageId).toBe(messageIdFor('k1'));
    expect(mail.text).toContain('<script>alert(1)</script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain('请勿直接回复');
    expect(row('k1')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it("names the site in the reader's language: the English site name in an English mail, the Chinese one otherwise", async () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      db.transaction((tx) => queueMail(tx, { to: `${locale}@example.com`, template: registerAttemptMail, data: { loginUrl: 'https://example.com/login' }, idempotencyKey: `site-name:${locale}`, locale }, NOW));
    }
    expect(await sendDueMail(db, smtpTransport(smtp.url), NOW, { from: FROM })).toMatchObject({ sent: 2 });
    const en = smtp.mails.find((m) => m.to[0] === 'en@example.com')!;
    const zh = smtp.mails.find((m) => m.to[0] === 'zh-cn@example.com')!;
    const { SITE_NAME, SITE_NAME_EN } = config();
    expect(SITE_NAME_EN).not.toBe(SITE_NAME);
    expect(en.subject).toContain(SITE_NAME_EN);
    expect(en.text).toContain(SITE_NAME_EN);
    expect(en.html).toContain(escapeHtml(SITE_NAME_EN));
    for (const part of [en.subject, en.text, en.html]) expect(part).not.toContain(SITE_NAME);
    expect(zh.subject).toContain(SITE_NAME);
    expect(zh.text).toContain(SITE_NAME);
  });

  it('queues a key once: the same use case run twice sends one mail', async () => {
    expect(queue('same')).toBe(true);
    expect(queue('same')).toBe(false);
    await sendDueMail(db, smtpTransport(smtp.url), NOW, { from: FROM });
    await sendDueMail(db, smtpTransport(smtp.url), NOW + 10 * LEASE_MS, { from: FROM });
    expect(smtp.mails).toHaveLength(1);
  });

  it('keeps a mail the server refuses and retries it later with a growing delay, then gives up after the last attempt', async () => {
    queue('retry');
    smtp.refuseNext(2);
    const transport = smtpTransport(smtp.url);
    expect(await sendDueMail(db, transport, NOW, { from: FROM })).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(row('retry')).toMatchObject({ status: 'queued', attempts: 1, nextAttemptAt: NOW + mailBackoffMs(1) });
    expect(row('retry').lastError).toContain('451');
    // Not due yet: nothing is tried.
    expect(await sendDueMail(db, transport, NOW + mailBackoffMs(1) - 1, { from: FROM })).toEqual({ sent: 0, retried: 0, failed: 0 });
    const t2 = NOW + mailBackoffMs(1);
    expect(await sendDueMail(db, transport, t2, { from: FROM })).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(mailBackoffMs(2)).toBeGreaterThan(mailBackoffMs(1));
    expect(row('retry').nextAttemptAt).toBe(t2 + mailBackoffMs(2));
    expect(await sendDueMail(db, transport, t2 + mailBackoffMs(2), { from: FROM })).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(smtp.mails).toHaveLength(1);

    queue('hopeless');
    smtp.refuseNext(MAX_ATTEMPTS);
    let at = NOW;
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      const r = await sendDueMail(db, transport, at, { from: FROM });
      expect(r.retried + r.failed).toBe(1);
      at += mailBackoffMs(i);
    }
    expect(row('hopeless')).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(await sendDueMail(db, transport, at + 86_400_000, { from: FROM })).toEqual({ sent: 0, retried: 0, failed: 0 });
  });

  it('a crash between the send and the mark: nothing is lost, and the retry is the same message (same Message-ID)', async () => {
    queue('crash');
    const transport = smtpTransport(smtp.url);
    const crash = new Error('process killed');
    await expect(
      sendDueMail(db, transport, NOW, {
        from: FROM,
        afterSend: () => {
          throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(smtp.mails).toHaveLength(1);
    // Still queued, but leased: a sender running meanwhile leaves it alone.
    expect(row('crash')).toMatchObject({ status: 'queued', nextAttemptAt: NOW + LEASE_MS });
    expect(await sendDueMail(db, transport, NOW + LEASE_MS - 1, { from: FROM })).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.mails).toHaveLength(1);
    // After the lease lapses the mail goes again with the Message-ID of the first attempt, so the recipient's mail
    // store keeps one message; then it is marked and never sent again.
    expect(await sendDueMail(db, transport, NOW + LEASE_MS, { from: FROM })).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(smtp.mails).toHaveLength(2);
    expect(new Set(smtp.mails.map((m) => m.messageId))).toEqual(new Set([messageIdFor('crash')]));
    expect(row('crash').status).toBe('sent');
    await sendDueMail(db, transport, NOW + 100 * LEASE_MS, { from: FROM });
    expect(smtp.mails).toHaveLength(2);
  });

  it('two senders running at once send a mail once (the claim is a lease)', async () => {
    for (let i = 0; i < 5; i++) queue(`pair-${i}`);
    const [a, b] = await Promise.all([
      sendDueMail(db, smtpTransport(smtp.url), NOW, { from: FROM }),
      sendDueMail(db, smtpTransport(smtp.url), NOW, { from: FROM }),
    ]);
    expect(a.sent + b.sent).toBe(5);
    expect(smtp.mails).toHaveLength(5);
    expect(new Set(smtp.mails.map((m) => m.messageId)).size).toBe(5);
  });

  it('a mail queued in a transaction that rolls back is never sent', async () => {
    expect(() =>
      db.transaction((tx) => {
        queueMail(tx, { to: 'x@example.com', template: note, data: { name: 'x', message: 'y' }, idempotencyKey: 'rolled', locale: 'en' }, NOW);
        throw new Error('the use case failed');
      }),
    ).toThrow('the use case failed');
    await sendDueMail(db, smtpTransport(smtp.url), NOW, { from: FROM });
    expect(smtp.mails).toHaveLength(0);
  });

  it('without SMTP_URL mail stays queued and the log says mail is off, once', () => {
    const warn = vi.spyOn(log(), 'warn').mockImplementation(() => {});
    queue('off');
    startMailSender(db);
    startMailSender(db);
    expect(warn.mock.calls.filter(([m]) => String(m).startsWith('mail is off'))).toHaveLength(1);
    warn.mockRestore();
    expect(row('off')).toMatchObject({ status: 'queued', attempts: 0 });
  });
});
