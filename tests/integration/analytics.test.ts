// Seller analytics equal what happened: views flushed, phones revealed, inquiries sent and replies written, per day,
// for the company and for one listing; the CSV carries the same figures and never a formula.
import { describe, expect, it } from 'vitest';
import { companyDailyStats } from '../../db/schema.ts';
import { countDaily } from '../../src/server/analytics/daily.ts';
import { analyticsCsv, analyticsReport } from '../../src/server/analytics/report.ts';
import { revealContact } from '../../src/server/companies/contact.ts';
import { ForbiddenError, NotFoundError } from '../../src/server/errors.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { formStamp } from '../../src/server/inquiries/keys.ts';
import { sendInquiry } from '../../src/server/inquiries/send.ts';
import { replyToThread } from '../../src/server/inquiries/threads.ts';
import { flushViews, recordView } from '../../src/server/listings/views.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';

const db = freshDb();
const NOW = Date.now();
const seller = makeUser(db);
const company = makeCompany(db, { ownerId: seller.id, phone: '0791-86123456' });
const rice = makeListing(db, company.id, { title: '=HYPERLINK("http://evil.example","点我")' });
const beans = makeListing(db, company.id, { title: '供应大豆' });
const buyer = { ...makeUser(db), isAdmin: false };
const person = { userId: null, userAgent: 'Mozilla/5.0' };

function ask(listingId: number, at: number) {
  return sendInquiry(db, { target: { listingId }, user: buyer, values: { started: formStamp(db, at - 60_000), contactName: '李', message: `询价 ${at}` }, ip: '192.0.2.1', locale: 'zh-CN' }, at).threadId;
}

describe('seller analytics', () => {
  it('count what the test did, per day, for the company and one listing', () => {
    for (let i = 0; i < 3; i++) recordView(rice.id, seller.id, person);
    recordView(beans.id, seller.id, person);
    recordView(rice.id, seller.id, { userId: seller.id, userAgent: 'Mozilla/5.0' }); // the owner's own view
    recordView(rice.id, seller.id, { userId: null, userAgent: 'Googlebot/2.1' });
    flushViews(db);
    revealContact(db, company.slug, { listingId: rice.id, userId: null, ip: '192.0.2.9' }, NOW);
    revealContact(db, company.slug, { listingId: null, userId: null, ip: '192.0.2.9' }, NOW);
    const t1 = ask(rice.id, NOW);
    ask(beans.id, NOW);
    replyToThread(db, t1, { userId: seller.id }, { message: '已收到，稍后报价。' }, null, NOW);
    const yesterday = ask(rice.id, NOW - DAY);

    const report = analyticsReport(db, seller.id, { range: 7, listingId: null }, NOW);
    expect(report.days).toHaveLength(7);
    expect(report.totals).toEqual({ views: 4, reveals: 2, inquiries: 3, replies: 1 });
    expect(report.days.at(-1)).toMatchObject({ views: 4, reveals: 2, inquiries: 2, replies: 1 });
    expect(report.days.at(-2)).toMatchObject({ views: 0, inquiries: 1 });
    expect(yesterday).toBeGreaterThan(0);

    const one = analyticsReport(db, seller.id, { range: 30, listingId: rice.id }, NOW);
    expect(one.days).toHaveLength(30);
    expect(one.totals).toEqual({ views: 3, reveals: 1, inquiries: 2, replies: 1 });
  });

  it('exports the same figures as CSV, the formula-looking title as text', () => {
    const report = analyticsReport(db, seller.id, { range: 7, listingId: rice.id }, NOW);
    const csv = analyticsCsv(report, translator('zh-CN'));
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('日期,信息,浏览,查看电话,询价/报价,回复');
    expect(lines).toHaveLength(8);
    expect(lines.at(-1)).toBe(`${report.days.at(-1)!.date},"'=HYPERLINK(""http://evil.example"",""点我"")",3,1,1,1`);
    for (const line of lines.slice(1)) expect(line.split(',')[1]!.startsWith('"\'=')).toBe(true);
  });

  it('only for the company’s own listings; a member without a company is told to make one', () => {
    const other = makeListing(db, makeCompany(db).id);
    expect(() => analyticsReport(db, seller.id, { range: 7, listingId: other.id }, NOW)).toThrow(NotFoundError);
    expect(() => analyticsReport(db, makeUser(db).id, { range: 7, listingId: null }, NOW)).toThrow(ForbiddenError);
  });

  it('closed days are summed once into the company rollup and read from it; today and yesterday stay live', () => {
    const owner = makeUser(db);
    const c = makeCompany(db, { ownerId: owner.id });
    const l = makeListing(db, c.id);
    for (const daysAgo of [10, 10, 5, 1, 0]) countDaily(db, { companyId: c.id, listingId: l.id }, 'reveals', NOW - daysAgo * DAY);
    const first = analyticsReport(db, owner.id, { range: 30, listingId: null }, NOW);
    expect(first.totals.reveals).toBe(5);
    expect(db.select().from(companyDailyStats).all().filter((r) => r.companyId === c.id)).toHaveLength(28);
    countDaily(db, { companyId: c.id, listingId: l.id }, 'reveals', NOW);
    countDaily(db, { companyId: c.id, listingId: l.id }, 'reveals', NOW - DAY);
    const again = analyticsReport(db, owner.id, { range: 30, listingId: null }, NOW);
    expect(again.totals.reveals).toBe(7);
    expect(again.days.map((d) => d.reveals)).toEqual(analyticsReport(db, owner.id, { range: 30, listingId: l.id }, NOW).days.map((d) => d.reveals));
    expect(analyticsReport(db, owner.id, { range: 90, listingId: null }, NOW).totals.reveals).toBe(7);
  });
});
