// The mails of leads: one lead at once (for companies that chose instant mail) and the daily digest of the rest.
import { html, mailLink, type MailTemplate } from '../mail/index.ts';

export interface LeadLine {
  [key: string]: unknown;
  /** The listing the lead is about, and whether it is a 求购 (a buyer) or a 供应 (a supplier). */
  title: string;
  kind: 'supply' | 'demand';
  link: string;
  /** The company's own listing it fits. */
  yourTitle: string;
}

export const leadMail: MailTemplate<LeadLine & { feed: string }> = {
  name: 'lead-instant',
  subject: (d, c) => c.t(`leads.mail.subject.${d.kind}`, { title: d.title }),
  body: (d, c) => {
    const intro = c.t(`leads.mail.intro.${d.kind}`, { title: d.title, yours: d.yourTitle });
    const open = mailLink(d.link, c.t('leads.mail.open'));
    const feed = mailLink(d.feed, c.t('leads.mail.feed'));
    return { text: `${intro}\n\n${open.text}\n${feed.text}`, html: html`<p>${intro}</p>${open.html}${feed.html}` };
  },
};

export const leadDigestMail: MailTemplate<{ [key: string]: unknown; leads: LeadLine[]; feed: string }> = {
  name: 'lead-digest',
  subject: (d, c) => c.t('leads.mail.digestSubject', { n: d.leads.length }),
  body: (d, c) => {
    const intro = c.t('leads.mail.digestIntro', { n: d.leads.length });
    const line = (l: LeadLine) => `${c.t(`kind.${l.kind}`)} ${l.title} — ${l.link}`;
    const feed = mailLink(d.feed, c.t('leads.mail.feed'));
    return {
      text: [intro, '', ...d.leads.map(line), '', feed.text].join('\n'),
      html: html`<p>${intro}</p><ul>${d.leads.map((l) => html`<li>${c.t(`kind.${l.kind}`)} <a href="${l.link}">${l.title}</a> <small>(${c.t('leads.mail.fits', { yours: l.yourTitle })})</small></li>`)}</ul>${feed.html}`,
    };
  },
};
