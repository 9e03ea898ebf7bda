// What the owner hears when a moderator decides: one shape for every decision (a listing, a batch, a verification):
// a subject, a sentence, the moderator's reason for a refusal, and a link.
import { eq } from 'drizzle-orm';
import { companies, users } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { DEFAULT_LOCALE, type MessageKey } from '../i18n/index.ts';
import { html, mailLink, paragraphs, queueMail, type MailTemplate } from '../mail/index.ts';

export interface DecisionMail {
  [key: string]: unknown;
  /** Named in the subject and the sentence as {title} and {name}. */
  title: string;
  link: string;
  /** The moderator's words; empty for an approval. */
  reason: string;
  /** Extra values of the sentence, e.g. {n} listings. */
  n?: number;
}

/** A decision mail: `keys` are the subject, the sentence and the link's label. */
export function decisionMail(name: string, keys: { subject: MessageKey; body: MessageKey; link: MessageKey }): MailTemplate<DecisionMail> {
  const params = (d: DecisionMail) => ({ title: d.title, name: d.title, n: d.n ?? 0 });
  return {
    name,
    subject: (d, c) => c.t(keys.subject, params(d)),
    body: (d, c) => {
      const intro = c.t(keys.body, params(d));
      const link = mailLink(d.link, c.t(keys.link));
      if (!d.reason) return { text: `${intro}\n\n${link.text}`, html: html`<p>${intro}</p>${link.html}` };
      return { text: `${intro}\n\n${d.reason}\n\n${link.text}`, html: html`<p>${intro}</p><blockquote>${paragraphs(d.reason)}</blockquote>${link.html}` };
    },
  };
}

export const approvedMail = decisionMail('moderation-approved', { subject: 'moderation.mail.approvedSubject', body: 'moderation.mail.approvedBody', link: 'moderation.mail.open' });
export const rejectedMail = decisionMail('moderation-rejected', { subject: 'moderation.mail.rejectedSubject', body: 'moderation.mail.rejectedBody', link: 'moderation.mail.edit' });

/** Queues a decision mail to the owner of a company (none for a company nobody owns), in the decision's transaction. */
export function mailOwner(
  tx: Pick<Db, 'select' | 'insert'>,
  companyId: number,
  mail: { template: MailTemplate<DecisionMail>; data: DecisionMail; idempotencyKey: string },
  now: number,
): void {
  const owner = tx.select({ email: users.email }).from(companies).innerJoin(users, eq(users.id, companies.ownerId)).where(eq(companies.id, companyId)).get();
  if (owner) queueMail(tx, { ...mail, to: owner.email, locale: DEFAULT_LOCALE }, now);
}
