// The mails of inquiries: the visitor's confirmation link, a new inquiry for the company, a new reply for the other
// side, and a visitor's private link to the thread. Every value typed by someone is escaped in the HTML part.
import type { InquiryKind, InquiryTerms } from '../../../db/schema.ts';
import { html, mailLink, paragraphs, type MailContext, type MailTemplate } from '../mail/index.ts';
import { termsLines } from './input.ts';

interface About {
  [key: string]: unknown;
  kind: InquiryKind;
  /** The listing's title, or '' for a general inquiry. */
  listingTitle: string;
  companyName: string;
  link: string;
}

function subjectOf(c: MailContext, d: About): string {
  return d.listingTitle ? `${c.t(`inquiry.kind.${d.kind}`)}：${d.listingTitle}` : `${c.t('inquiry.kind.general')}：${d.companyName}`;
}

export const confirmMail: MailTemplate<About & { name: string }> = {
  name: 'inquiry-confirm',
  subject: (d, c) => c.t('inquiry.mail.confirmSubject', { what: subjectOf(c, d) }),
  body: (d, c) => {
    const intro = c.t('inquiry.mail.confirmBody', { name: d.name, company: d.companyName, hours: 24 });
    const link = mailLink(d.link, c.t('inquiry.mail.confirmLink'));
    return { text: `${intro}\n\n${link.text}\n\n${c.t('inquiry.mail.confirmIgnore')}`, html: html`${paragraphs(intro)}${link.html}<p>${c.t('inquiry.mail.confirmIgnore')}</p>` };
  },
};

export const newInquiryMail: MailTemplate<About & { askerName: string; message: string; terms: InquiryTerms }> = {
  name: 'inquiry-new',
  subject: (d, c) => c.t('inquiry.mail.newSubject', { what: subjectOf(c, d), name: d.askerName }),
  body: (d, c) => {
    const intro = c.t('inquiry.mail.newBody', { name: d.askerName, company: d.companyName });
    const terms = termsLines(c.t, c.locale, d.kind, d.terms);
    const link = mailLink(d.link, c.t('inquiry.mail.openThread'));
    return {
      text: [intro, ...terms.map((l) => `${l.label}: ${l.value}`), '', d.message, '', link.text].join('\n'),
      html: html`<p>${intro}</p>${terms.length > 0 ? html`<ul>${terms.map((l) => html`<li>${l.label}: ${l.value}</li>`)}</ul>` : ''}<blockquote>${paragraphs(d.message)}</blockquote>${link.html}`,
    };
  },
};

export const replyMail: MailTemplate<About & { fromName: string; message: string }> = {
  name: 'inquiry-reply',
  subject: (d, c) => c.t('inquiry.mail.replySubject', { what: subjectOf(c, d), name: d.fromName }),
  body: (d, c) => {
    const intro = c.t('inquiry.mail.replyBody', { name: d.fromName });
    const link = mailLink(d.link, c.t('inquiry.mail.openThread'));
    return { text: `${intro}\n\n${d.message}\n\n${link.text}`, html: html`<p>${intro}</p><blockquote>${paragraphs(d.message)}</blockquote>${link.html}` };
  },
};

export const threadLinkMail: MailTemplate<About & { name: string }> = {
  name: 'inquiry-link',
  subject: (d, c) => c.t('inquiry.mail.linkSubject', { what: subjectOf(c, d) }),
  body: (d, c) => {
    const intro = c.t('inquiry.mail.linkBody', { name: d.name, company: d.companyName });
    const link = mailLink(d.link, c.t('inquiry.mail.openThread'));
    return { text: `${intro}\n\n${link.text}\n\n${c.t('inquiry.mail.linkKeep')}`, html: html`<p>${intro}</p>${link.html}<p>${c.t('inquiry.mail.linkKeep')}</p>` };
  },
};
