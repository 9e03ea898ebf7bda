// The mail of freshness: a listing expires in three days; one click says it is still available.
import { html, mailLink, type MailTemplate } from '../mail/index.ts';

export const expiringMail: MailTemplate<{ [key: string]: unknown; title: string; link: string; listingUrl: string; expiresAt: number }> = {
  name: 'listing-expiring',
  subject: (d, c) => c.t('freshness.mail.subject', { title: d.title }),
  body: (d, c) => {
    const date = new Date(d.expiresAt + 8 * 3600_000).toISOString().slice(0, 10);
    const intro = c.t('freshness.mail.body', { title: d.title, date });
    const yes = mailLink(d.link, c.t('freshness.mail.stillAvailable'));
    const open = mailLink(d.listingUrl, c.t('freshness.mail.open'));
    return { text: `${intro}\n\n${yes.text}\n${open.text}`, html: html`<p>${intro}</p>${yes.html}${open.html}` };
  },
};
