// Every query the inquiry, mail and analytics use cases run reads through an index: the statements are captured as
// the use cases run, and EXPLAIN QUERY PLAN of each must show no full scan and no temporary sort of a table that
// grows with the site (listings, threads, messages, daily stats, the mail queue).
import { describe, expect, it } from 'vitest';
import { analyticsReport } from '../../src/server/analytics/report.ts';
import { getApiInquiry, listApiInquiries } from '../../src/server/api/inquiries.ts';
import { revealContact } from '../../src/server/companies/contact.ts';
import { formStamp } from '../../src/server/inquiries/keys.ts';
import { responseFigures } from '../../src/server/inquiries/figures.ts';
import { confirmInquiry, purgeUnconfirmed, sendInquiry } from '../../src/server/inquiries/send.ts';
import { blockAsker, inbox, INBOX_FILTERS, openThread, replyToThread, threadAction, unreadThreadCount } from '../../src/server/inquiries/threads.ts';
import { flushViews, recordView } from '../../src/server/listings/views.ts';
import { unsentMailTo } from '../../src/server/mail/index.ts';
import { sendDueMail, smtpTransport } from '../../src/server/mail/sender.ts';
import { freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { statementsOf, unindexed } from '../helpers/plans.ts';
import { startSmtpServer } from '../helpers/smtp.ts';

const GROWING = ['listings', 'inquiry_threads', 'inquiry_messages', 'listing_daily_stats', 'mail_outbox', 'inquiry_blocks'];

describe('query plans of inquiries, mail and analytics', () => {
  it('use an index for every statement', async () => {
    const db = freshDb();
    const NOW = Date.now();
    const seller = makeUser(db);
    const company = makeCompany(db, { ownerId: seller.id, phone: '0791-1234567' });
    const listings = Array.from({ length: 30 }, (_, i) => makeListing(db, company.id, { title: `供应产品${i}` }));
    const buyer = { ...makeUser(db), isAdmin: false };
    const ask = (listingId: number, user: typeof buyer | null, at: number, email?: string) =>
      sendInquiry(db, { target: { listingId }, user, values: { started: formStamp(db, at - 60_000), contactName: '李', message: `询价 ${at} 请报价`, ...(email ? { email } : {}) }, ip: `192.0.2.${at % 200}`, locale: 'zh-CN' }, at);
    for (let i = 0; i < 15; i++) ask(listings[i]!.id, buyer, NOW - i * 1000);

    const seen = await statementsOf(db, async () => {
      const open = ask(listings[20]!.id, buyer, NOW);
      const pending = ask(listings[21]!.id, null, NOW, 'v@example.com');
      const confirmed = confirmInquiry(db, pending.confirmToken!, NOW);
      purgeUnconfirmed(db, NOW);
      for (const f of INBOX_FILTERS) {
        inbox(db, seller.id, f, 1);
        inbox(db, buyer.id, f, 1);
      }
      unreadThreadCount(db, seller.id);
      openThread(db, open.threadId, { userId: seller.id });
      replyToThread(db, open.threadId, { userId: seller.id }, { message: '您好，可以供货。' }, null, NOW);
      threadAction(db, open.threadId, { userId: seller.id }, { action: 'archive' }, NOW);
      blockAsker(db, confirmed.threadId, seller.id, true, NOW);
      responseFigures(db, company.id, NOW);
      revealContact(db, company.slug, { listingId: listings[0]!.id, userId: null, ip: '198.51.100.1' }, NOW);
      recordView(listings[0]!.id, null, { userId: null, userAgent: 'Mozilla/5.0' });
      flushViews(db);
      analyticsReport(db, seller.id, { range: 90, listingId: null }, NOW);
      analyticsReport(db, seller.id, { range: 30, listingId: listings[0]!.id }, NOW);
      const principal = { tokenId: 1, companyId: company.id, userId: seller.id };
      listApiInquiries(db, principal, new URLSearchParams({ since: String(NOW - 60_000) }));
      getApiInquiry(db, principal, open.threadId);
      unsentMailTo(db, 'x@example.com');
      const smtp = await startSmtpServer();
      await sendDueMail(db, smtpTransport(smtp.url), NOW, { from: 'a@example.com' });
      await smtp.close();
    });
    expect(seen.length).toBeGreaterThan(20);
    expect(unindexed(db, seen, GROWING)).toEqual([]);
  });
});
