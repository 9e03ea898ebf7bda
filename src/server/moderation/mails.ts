// What the owner of a listing hears when a moderator decides.
import { html, mailLink, paragraphs, type MailTemplate } from '../mail/index.ts';

interface Decision {
  [key: string]: unknown;
  title: string;
  link: string;
  reason: string;
}

export const approvedMail: MailTemplate<Decision> = {
  name: 'moderation-approved',
  subject: (d, c) => c.t('moderation.mail.approvedSubject', { title: d.title }),
  body: (d, c) => {
    const intro = c.t('moderation.mail.approvedBody', { title: d.title });
    const link = mailLink(d.link, c.t('moderation.mail.open'));
    return { text: `${intro}\n\n${link.text}`, html: html`<p>${intro}</p>${link.html}` };
  },
};

export const rejectedMail: MailTemplate<Decision> = {
  name: 'moderation-rejected',
  subject: (d, c) => c.t('moderation.mail.rejectedSubject', { title: d.title }),
  body: (d, c) => {
    const intro = c.t('moderation.mail.rejectedBody', { title: d.title });
    const link = mailLink(d.link, c.t('moderation.mail.edit'));
    return { text: `${intro}\n\n${d.reason}\n\n${link.text}`, html: html`<p>${intro}</p><blockquote>${paragraphs(d.reason)}</blockquote>${link.html}` };
  },
};
