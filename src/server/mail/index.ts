// One mail module for the whole site. A use case queues its mail inside its own transaction:
//
//   queueMail(tx, { to, template: inquiryConfirmMail, data, idempotencyKey: `inquiry-confirm:${id}`, locale }, now)
//
// The mail commits with the change or not at all, and the sender job (sender.ts) delivers it after the commit with
// retries, so a write never waits on or fails because of the mail server. A template renders subject, text and HTML
// from its data in the recipient's language when queued; the row keeps the rendering, so the sender needs no
// knowledge of any concept, and the inbox can show the same notification while mail is off.
import { and, desc, eq } from 'drizzle-orm';
import { mailOutbox } from '../../../db/schema.ts';
import { config, siteName } from '../config.ts';
import type { Db } from '../db.ts';
import { translator, type Locale, type Translate } from '../i18n/index.ts';
import { html, type SafeHtml } from './html.ts';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailContext {
  t: Translate;
  locale: Locale;
  site: string;
  siteUrl: string;
}

/** A kind of mail: its name and how it reads. `body` gives the text part and the HTML part of the same content. */
export interface MailTemplate<D> {
  name: string;
  subject(data: D, c: MailContext): string;
  body(data: D, c: MailContext): { text: string; html: SafeHtml };
}

export interface QueuedMail<D> {
  to: string;
  template: MailTemplate<D>;
  data: D;
  /** The same key queued twice is one mail (a retried use case sends nothing twice); it also names the Message-ID. */
  idempotencyKey: string;
  locale: Locale;
  /** Headers the mail carries besides the usual ones (an alert's List-Unsubscribe). */
  headers?: Record<string, string>;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let scheduled = false;

function mailContext(locale: Locale): MailContext {
  return { t: translator(locale), locale, site: siteName(locale), siteUrl: config().SITE_URL };
}

/** Subject, text and HTML of a mail, in the frame every mail of the site shares. */
export function renderMail<D>(template: MailTemplate<D>, data: D, locale: Locale): RenderedMail {
  const c = mailContext(locale);
  const body = template.body(data, c);
  const footer = c.t('mail.footer', { site: c.site });
  // A subject is one header line: line breaks typed into a title must not start a new header.
  const subject = template.subject(data, c).replace(/[\r\n]+/g, ' ').trim();
  return {
    subject,
    text: `${body.text.trim()}\n\n-- \n${footer}\n${c.siteUrl}\n`,
    html: html`<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${subject}</title></head><body style="font-family:system-ui,sans-serif;line-height:1.6;color:#222;max-width:640px">${body.html}<hr><p style="color:#666;font-size:13px">${footer}<br><a href="${c.siteUrl}">${c.siteUrl}</a></p></body></html>`.value,
  };
}

/** Queues a mail in the caller's transaction; returns false when the key was already queued. */
export function queueMail<D extends Record<string, unknown>>(tx: Pick<Db, 'insert'>, mail: QueuedMail<D>, now: number): boolean {
  const rendered = renderMail(mail.template, mail.data, mail.locale);
  const inserted = tx
    .insert(mailOutbox)
    .values({
      idempotencyKey: mail.idempotencyKey,
      toAddress: mail.to.trim().toLowerCase(),
      template: mail.template.name,
      data: mail.data,
      ...rendered,
      createdAt: now,
      nextAttemptAt: now,
      headers: mail.headers ?? null,
    })
    .onConflictDoNothing()
    .run();
  if (inserted.changes > 0 && !scheduled && listeners.size > 0) {
    scheduled = true;
    // better-sqlite3 transactions are synchronous: by the time this runs, the caller's transaction has ended.
    setImmediate(() => {
      scheduled = false;
      for (const listener of listeners) listener();
    });
  }
  return inserted.changes > 0;
}

/** Called soon after a mail is queued (the sender subscribes); returns the unsubscribe function. */
export function onMailQueued(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Mail to an address still waiting to be sent, newest first: the inbox shows these while mail is off. */
export function unsentMailTo(db: Db, address: string, limit = 10) {
  return db
    .select({ id: mailOutbox.id, subject: mailOutbox.subject, template: mailOutbox.template, createdAt: mailOutbox.createdAt, status: mailOutbox.status })
    .from(mailOutbox)
    .where(and(eq(mailOutbox.toAddress, address.trim().toLowerCase()), eq(mailOutbox.status, 'queued')))
    .orderBy(desc(mailOutbox.createdAt))
    .limit(limit)
    .all();
}

/** Whether mail leaves the site (SMTP_URL is set); otherwise it stays queued. */
export function mailIsOn(): boolean {
  return config().SMTP_URL !== undefined;
}

/** A link in a mail: the address written out in the text part, a link in the HTML part. */
export function mailLink(href: string, label: string): { text: string; html: SafeHtml } {
  return { text: `${label}: ${href}`, html: html`<p><a href="${href}">${label}</a></p><p style="font-size:13px;color:#666">${href}</p>` };
}

export { escapeHtml, html, paragraphs } from './html.ts';
