// The alert mail of a saved search: the new listings that fit it (at most MAX_LISTED, then how many more, with a link
// to the search), and how to stop the alerts.
import { html, mailLink, type MailTemplate } from '../mail/index.ts';

export interface AlertLine {
  [key: string]: unknown;
  title: string;
  kind: 'supply' | 'demand';
  link: string;
  /** Price, place and company, as one line. */
  details: string;
}

export interface AlertData {
  [key: string]: unknown;
  name: string;
  listings: AlertLine[];
  /** Fitting listings not in this mail (over the mail's or the pending alert's bound). */
  more: number;
  search: string;
  dashboard: string;
  unsubscribe: string;
}

export const MAX_LISTED = 20;

export const savedSearchAlertMail: MailTemplate<AlertData> = {
  name: 'saved-search-alert',
  subject: (d, c) => c.t('savedSearches.mail.subject', { name: d.name, n: d.listings.length + d.more }),
  body: (d, c) => {
    const intro = c.t('savedSearches.mail.intro', { name: d.name, n: d.listings.length + d.more });
    const more = d.more > 0 ? c.t('savedSearches.mail.more', { n: d.more }) : '';
    const search = mailLink(d.search, c.t('savedSearches.mail.search'));
    const dashboard = mailLink(d.dashboard, c.t('savedSearches.mail.dashboard'));
    const stop = c.t('savedSearches.mail.unsubscribe');
    return {
      text: [
        intro,
        '',
        ...d.listings.map((l) => `${c.t(`kind.${l.kind}`)} ${l.title} (${l.details})\n  ${l.link}`),
        ...(more ? ['', more] : []),
        '',
        search.text,
        dashboard.text,
        '',
        `${stop}: ${d.unsubscribe}`,
      ].join('\n'),
      html: html`<p>${intro}</p><ul>${d.listings.map((l) => html`<li>${c.t(`kind.${l.kind}`)} <a href="${l.link}">${l.title}</a><br><small>${l.details}</small></li>`)}</ul>${more ? html`<p>${more}</p>` : ''}${search.html}${dashboard.html}<p style="font-size:13px;color:#666"><a href="${d.unsubscribe}">${stop}</a></p>`,
    };
  },
};
