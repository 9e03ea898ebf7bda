// The mail of favourites: a kept listing changed its price or is no longer live.
import type { FavouriteChange } from '../../../db/schema.ts';
import { html, mailLink, type MailTemplate } from '../mail/index.ts';

export const favouriteChangeMail: MailTemplate<{ [key: string]: unknown; change: FavouriteChange; title: string; price: string; link: string }> = {
  name: 'favourite-change',
  subject: (d, c) => c.t(`favourites.mail.subject.${d.change}`, { title: d.title }),
  body: (d, c) => {
    const intro = c.t(`favourites.mail.body.${d.change}`, { title: d.title, price: d.price });
    const link = mailLink(d.link, c.t('favourites.mail.open'));
    return { text: `${intro}\n\n${link.text}`, html: html`<p>${intro}</p>${link.html}` };
  },
};
