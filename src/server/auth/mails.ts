// The mail to an account's owner when someone registers with their email: the registration page answers as if the
// email were new (so it does not tell who has an account), and the owner hears of it here instead.
import { mailLink, paragraphs, html, type MailTemplate } from '../mail/index.ts';

export const registerAttemptMail: MailTemplate<{ loginUrl: string }> = {
  name: 'account-register-attempt',
  subject: (_d, c) => c.t('account.mail.registerAttemptSubject', { site: c.site }),
  body: (d, c) => {
    const body = c.t('account.mail.registerAttemptBody', { site: c.site });
    const link = mailLink(d.loginUrl, c.t('account.mail.signIn'));
    return { text: `${body}\n\n${link.text}`, html: html`${paragraphs(body)}${link.html}` };
  },
};
