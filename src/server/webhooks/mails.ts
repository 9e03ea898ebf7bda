// The mail of webhooks: an endpoint was disabled after failing again and again.
import { html, mailLink, type MailTemplate } from '../mail/index.ts';

export const endpointDisabledMail: MailTemplate<{ [key: string]: unknown; url: string; failures: number; link: string }> = {
  name: 'webhook-disabled',
  subject: (_d, c) => c.t('webhooks.mail.disabledSubject'),
  body: (d, c) => {
    const intro = c.t('webhooks.mail.disabledBody', { url: d.url, n: d.failures });
    const link = mailLink(d.link, c.t('webhooks.mail.open'));
    return { text: `${intro}\n\n${link.text}`, html: html`<p>${intro}</p>${link.html}` };
  },
};
