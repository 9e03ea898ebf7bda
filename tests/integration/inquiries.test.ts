// Inquiries end to end in the domain, against a real SQLite file: who can send what, the visitor's confirmation,
// threads and who may read them, replies and their mail, the inbox's filters and counts, and every abuse limit.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inquiryThreads, listingDailyStats, mailOutbox } from '../../db/schema.ts';
import type { SessionUser } from '../../src/server/auth/user.ts';
import { ConflictError, GoneError, InvalidError, NotFoundError, RateLimitedError } from '../../src/server/errors.ts';
import { formStamp, STAMP_GRANULARITY_MS } from '../../src/server/inquiries/keys.ts';
import { LIMITS } from '../../src/server/inquiries/limits.ts';
import { companyMembers } from '../../src/server/inquiries/access.ts';
import { confirmInquiry, heldInquiries, purgeUnconfirmed, reviewHeldInquiry, sendInquiry, SAME_MESSAGE_COMPANIES, type InquiryTarget } from '../../src/server/inquiries/send.ts';
import { archiveThread, blockAsker, inbox, inboxPage, openThread, renewThreadLink, replyToThread, unreadThreadCount } from '../../src/server/inquiries/threads.ts';
import { chinaDay } from '../../src/server/listings/views.ts';
import { freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';

const NOW = Date.now();
const db = freshDb();

const member = (u: { id: string; email: string; displayName: string }): SessionUser => ({ ...u, isAdmin: false });
const seller = makeUser(db, { email: 'seller@example.com' });
const company = makeCompany(db, { ownerId: seller.id, name: '南昌粮油有限公司', phone: '0791-86123456' });
const supply = makeListing(db, company.id, { title: '供应五常大米', kind: 'supply' });
const buyer = makeUser(db, { email: 'buyer@example.com', displayName: '李采购' });
const buyerCompany = makeCompany(db, { ownerId: buyer.id, name: '九江食品厂' });
const demand = makeListing(db, buyerCompany.id, { title: '求购大豆', kind: 'demand' });
const stranger = makeUser(db, { email: 'stranger@example.com' });
const companyMembersOf = (companyId: number) => companyMembers(db, companyId)[0]!.id;

let ip = 0;
function send(target: InquiryTarget, user: SessionUser | null, values: Record<string, string>, at = NOW, over: { ip?: string; started?: string } = {}) {
  return sendInquiry(
    db,
    { target, user, values: { started: over.started ?? formStamp(db, at - 60_000), ...values }, ip: over.ip ?? `10.0.${Math.floor(++ip / 250)}.${ip % 250}`, locale: 'zh-CN' },
    at,
  );
}
const ask = { contactName: '李采购', message: '请问大米 50 吨的价格？', quantity: '50', quantityUnit: '吨', targetPrice: '4.2', priceUnit: '斤' };
const mails = (template: string) => db.select().from(mailOutbox).where(eq(mailOutbox.template, template)).all();
const fieldsOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidError || e instanceof ConflictError) return { ...e.fields, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
};

describe('a member asks on a supply listing', () => {
  let threadId = 0;

  it('is delivered at once, counted for the day, and the seller is mailed', () => {
    const sent = send({ listingId: supply.id }, member(buyer), ask);
    expect(sent.status).toBe('open');
    threadId = sent.threadId;
    const thread = db.select().from(inquiryThreads).where(eq(inquiryThreads.id, threadId)).get()!;
    expect(thread).toMatchObject({ kind: 'inquiry', companyId: company.id, askerEmail: 'buyer@example.com', companyUnread: true });
    expect(thread.terms).toEqual({ quantity: 50, quantityUnit: '吨', priceMin: 420, priceMax: 420, priceUnit: '斤' });
    const [mail] = mails('inquiry-new');
    expect(mail).toMatchObject({ toAddress: 'seller@example.com', status: 'queued' });
    expect(mail!.text).toContain('请问大米 50 吨的价格？');
    expect(mail!.text).toContain(`/dashboard/inbox/${threadId}`);
    const day = db.select().from(listingDailyStats).where(eq(listingDailyStats.listingId, supply.id)).get();
    expect(day).toMatchObject({ day: chinaDay(NOW), inquiries: 1, replies: 0 });
  });

  it('while mail is off (no SMTP_URL) the seller reads the notification in the inbox', () => {
    const { notifications } = inboxPage(db, seller, 'all', 1);
    expect(notifications!.map((n) => n.subject)).toEqual([`新询价：供应五常大米（来自 李采购）`]);
  });

  it('shows in both inboxes with the unread count; a third member cannot read it', () => {
    expect(unreadThreadCount(db, seller.id)).toBe(1);
    expect(unreadThreadCount(db, buyer.id)).toBe(0);
    expect(inbox(db, seller.id, 'received', 1).items.map((i) => i.id)).toEqual([threadId]);
    expect(inbox(db, seller.id, 'sent', 1).total).toBe(0);
    expect(inbox(db, buyer.id, 'sent', 1).items[0]).toMatchObject({ id: threadId, counterpart: '南昌粮油有限公司', side: 'asker' });
    expect(() => openThread(db, threadId, { userId: stranger.id })).toThrow(NotFoundError);
    expect(() => replyToThread(db, threadId, { userId: stranger.id }, { message: '我也想要报价' }, null, NOW)).toThrow(NotFoundError);
    expect(() => openThread(db, threadId, { threadKey: 'x'.repeat(43) })).toThrow(NotFoundError);
  });

  it('the seller reads it (read state) and replies: first reply time, the buyer unread and mailed, the contact details inside', () => {
    const view = openThread(db, threadId, { userId: seller.id });
    expect(view.side).toBe('company');
    expect(view.thread.askerPhone).toBe('');
    expect(view.company.phone).toBe('0791-86123456');
    expect(unreadThreadCount(db, seller.id)).toBe(0);
    replyToThread(db, threadId, { userId: seller.id }, { message: '4.5 元/斤，含税。' }, null, NOW + 60_000);
    const thread = db.select().from(inquiryThreads).where(eq(inquiryThreads.id, threadId)).get()!;
    expect(thread).toMatchObject({ firstReplyAt: NOW + 60_000, askerUnread: true, lastMessageAt: NOW + 60_000 });
    expect(unreadThreadCount(db, buyer.id)).toBe(1);
    expect(mails('inquiry-reply').map((m) => m.toAddress)).toEqual(['buyer@example.com']);
    replyToThread(db, threadId, { userId: seller.id }, { message: '量大可优惠。' }, null, NOW + 120_000);
    expect(db.select().from(inquiryThreads).where(eq(inquiryThreads.id, threadId)).get()!.firstReplyAt).toBe(NOW + 60_000);
    const buyerView = openThread(db, threadId, { userId: buyer.id });
    expect(buyerView.messages.map((m) => [m.fromCompany, m.body])).toEqual([
      [false, '请问大米 50 吨的价格？'],
      [true, '4.5 元/斤，含税。'],
      [true, '量大可优惠。'],
    ]);
    expect(unreadThreadCount(db, buyer.id)).toBe(0);
    expect(db.select().from(listingDailyStats).where(eq(listingDailyStats.listingId, supply.id)).get()!.replies).toBe(2);
  });

  it('archive moves it out of the reader’s inbox only; a new message brings it back', () => {
    archiveThread(db, threadId, { userId: seller.id }, true);
    expect(inbox(db, seller.id, 'received', 1).total).toBe(0);
    expect(inbox(db, seller.id, 'archived', 1).items.map((i) => i.id)).toEqual([threadId]);
    expect(inbox(db, buyer.id, 'all', 1).total).toBe(1);
    replyToThread(db, threadId, { userId: buyer.id }, { message: '好的，请发合同。' }, null, NOW + 180_000);
    expect(inbox(db, seller.id, 'received', 1).total).toBe(1);
    expect(inbox(db, seller.id, 'unread', 1).items.map((i) => i.id)).toEqual([threadId]);
  });

  it('refuses a member asking on their own company’s listing', () => {
    expect(fieldsOf(() => send({ listingId: supply.id }, member(seller), ask)).message).toBe('inquiry.ownCompany');
  });

  it('a supplier quotes on a demand listing; a quote needs a price', () => {
    expect(fieldsOf(() => send({ listingId: demand.id }, member(seller), { contactName: '王经理', message: '可供大豆 100 吨。' }))).toMatchObject({
      priceMin: 'inquiry.quotePriceRequired',
    });
    const sent = send({ listingId: demand.id }, member(seller), { contactName: '王经理', message: '可供大豆 100 吨。', priceMin: '3.1', priceMax: '3.3', priceUnit: '斤', deliveryTime: '7 天内' });
    const thread = db.select().from(inquiryThreads).where(eq(inquiryThreads.id, sent.threadId)).get()!;
    expect(thread).toMatchObject({ kind: 'quote', companyId: buyerCompany.id, status: 'open' });
    expect(thread.terms).toMatchObject({ priceMin: 310, priceMax: 330, deliveryTime: '7 天内' });
    expect(() => openThread(db, sent.threadId, { userId: stranger.id })).toThrow(NotFoundError);
  });
});

describe('the inbox', () => {
  it('pages received and sent threads together, newest activity first', () => {
    const owner = makeUser(db);
    const own = makeListing(db, makeCompany(db, { ownerId: owner.id }).id);
    const elsewhere = makeListing(db, makeCompany(db, { ownerId: makeUser(db).id }).id);
    const at = NOW + 50 * 3_600_000;
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const sent = i % 2 === 0 ? send({ listingId: own.id }, member(makeUser(db)), { ...ask, message: `收到的第 ${i} 条` }, at + i * 1000) : send({ listingId: elsewhere.id }, member(owner), { ...ask, message: `发出的第 ${i} 条` }, at + i * 1000);
      ids.push(sent.threadId);
    }
    const first = inbox(db, owner.id, 'all', 1);
    const second = inbox(db, owner.id, 'all', 2);
    expect(first).toMatchObject({ total: 30, pages: 2 });
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual([...ids].reverse());
    expect(first.items.map((i) => i.side).slice(0, 2)).toEqual(['asker', 'company']);
    expect(inbox(db, owner.id, 'received', 1).total).toBe(15);
    expect(inbox(db, owner.id, 'sent', 1).total).toBe(15);
  });
});

describe('a visitor asks', () => {
  it('is held until the mailed link is clicked, then delivered; the visitor follows the thread through a private link', () => {
    const sent = send({ listingId: supply.id }, null, { ...ask, contactName: '张先生', email: 'Zhang@Example.com', phone: '13812345678' });
    expect(sent.status).toBe('pending');
    expect(inbox(db, seller.id, 'received', 1).items.map((i) => i.id)).not.toContain(sent.threadId);
    const confirm = mails('inquiry-confirm').at(-1)!;
    expect(confirm.toAddress).toBe('zhang@example.com');
    const token = /confirm\?t=([a-z2-7]+)/.exec(confirm.text)![1]!;
    expect(token).toBe(sent.confirmToken);
    const confirmed = confirmInquiry(db, token, NOW + 3_600_000);
    expect(confirmed.status).toBe('open');
    expect(() => confirmInquiry(db, token, NOW + 3_600_000)).toThrow(NotFoundError);
    expect(inbox(db, seller.id, 'received', 1).items.map((i) => i.id)).toContain(sent.threadId);
    const key = new URL(confirmed.link).searchParams.get('k')!;
    expect(mails('inquiry-link').at(-1)!.text).toContain(confirmed.link);
    const view = openThread(db, sent.threadId, { threadKey: key });
    expect(view.side).toBe('asker');
    expect(view.company.phone).toBe('0791-86123456');
    expect(openThread(db, sent.threadId, { userId: seller.id }).thread.askerPhone).toBe('13812345678');

    replyToThread(db, sent.threadId, { userId: seller.id }, { message: '张先生您好，可以供货。' }, null, NOW + 4_000_000);
    const reply = mails('inquiry-reply').at(-1)!;
    expect(reply.toAddress).toBe('zhang@example.com');
    expect(reply.text).toContain(confirmed.link);
    replyToThread(db, sent.threadId, { threadKey: key }, { message: '谢谢，请报最低价。' }, null, NOW + 5_000_000);
    expect(mails('inquiry-reply').at(-1)!.toAddress).toBe('seller@example.com');

    // Renewing the link: the old one stops working, the new one is mailed.
    renewThreadLink(db, sent.threadId, key, NOW + 6_000_000);
    expect(() => openThread(db, sent.threadId, { threadKey: key })).toThrow(NotFoundError);
    const renewed = new URL(/https?:\/\/\S+/.exec(mails('inquiry-link').at(-1)!.text.split('\n').find((l) => l.includes('/inquiry/'))!)![0]).searchParams.get('k')!;
    expect(openThread(db, sent.threadId, { threadKey: renewed }).side).toBe('asker');
  });

  it('a visitor must give an email; an expired confirmation is refused, and unconfirmed inquiries are deleted after 24 h', () => {
    expect(fieldsOf(() => send({ listingId: supply.id }, null, { ...ask, contactName: '访客' }))).toMatchObject({ email: 'inquiry.emailRequired' });
    const sent = send({ listingId: supply.id }, null, { ...ask, contactName: '访客', email: 'late@example.com' });
    expect(() => confirmInquiry(db, sent.confirmToken!, NOW + 24 * 3_600_000)).toThrow(GoneError);
    expect(purgeUnconfirmed(db, NOW + 24 * 3_600_000 - 1)).toBe(0);
    expect(purgeUnconfirmed(db, NOW + 24 * 3_600_000)).toBe(1);
    expect(db.select().from(inquiryThreads).where(eq(inquiryThreads.id, sent.threadId)).get()).toBeUndefined();
  });

  it('a general inquiry on the company page', () => {
    const sent = send({ companySlug: company.slug }, member(stranger), { contactName: '赵', message: '贵公司是否代加工？' });
    expect(db.select().from(inquiryThreads).where(eq(inquiryThreads.id, sent.threadId)).get()).toMatchObject({ kind: 'general', listingId: null });
    expect(db.select().from(listingDailyStats).where(eq(listingDailyStats.listingId, 0)).get()).toMatchObject({ companyId: company.id, inquiries: 1 });
  });
});

describe('abuse limits', () => {
  it('a honeypot field or a form sent within 3 s is refused; a forged or stale stamp too', () => {
    expect(fieldsOf(() => send({ listingId: supply.id }, member(stranger), { ...ask, website: 'http://spam.example' }))).toMatchObject({ _: 'inquiry.refusedBot' });
    // The stamp counts from the next half-minute boundary after the page was shown.
    const shownAt = Math.ceil(NOW / STAMP_GRANULARITY_MS) * STAMP_GRANULARITY_MS;
    expect(fieldsOf(() => send({ listingId: supply.id }, member(stranger), ask, shownAt + 2_999, { started: formStamp(db, NOW) }))).toMatchObject({ _: 'inquiry.tooFast' });
    expect(send({ listingId: supply.id }, member(stranger), { ...ask, message: '三秒后再发，请报价。' }, shownAt + 3_000, { started: formStamp(db, NOW) }).status).toBe('open');
    expect(fieldsOf(() => send({ listingId: supply.id }, member(stranger), ask, NOW, { started: `${NOW - 10_000}.${'a'.repeat(43)}` }))).toMatchObject({ _: 'inquiry.formStale' });
    expect(fieldsOf(() => send({ listingId: supply.id }, member(stranger), ask, NOW, { started: formStamp(db, NOW - 25 * 3_600_000) }))).toMatchObject({ _: 'inquiry.formStale' });
  });

  it(`a member sends at most ${LIMITS.member} an hour, a visitor email ${LIMITS.visitorEmail}, an address ${LIMITS.ip}`, () => {
    const busy = makeUser(db);
    const at = NOW + 10 * 3_600_000;
    for (let i = 0; i < LIMITS.member; i++) send({ listingId: supply.id }, member(busy), { ...ask, message: `第 ${i} 条询价，请报价。` }, at);
    expect(() => send({ listingId: supply.id }, member(busy), { ...ask, message: '再来一条，请报价。' }, at)).toThrow(RateLimitedError);
    expect(send({ listingId: supply.id }, member(busy), { ...ask, message: '一小时后，请报价。' }, at + 3_600_000).status).toBe('open');

    for (let i = 0; i < LIMITS.visitorEmail; i++) send({ listingId: supply.id }, null, { ...ask, email: 'v@example.com', message: `访客第 ${i} 条，请报价。` }, at);
    expect(() => send({ listingId: supply.id }, null, { ...ask, email: 'V@example.com', message: '访客再一条，请报价。' }, at)).toThrow(RateLimitedError);

    for (let i = 0; i < LIMITS.ip; i++) send({ listingId: supply.id }, null, { ...ask, email: `ip${i}@example.com`, message: `同一地址第 ${i} 条。` }, at, { ip: '203.0.113.9' });
    expect(() => send({ listingId: supply.id }, null, { ...ask, email: 'ipx@example.com' }, at, { ip: '203.0.113.9' })).toThrow(RateLimitedError);
  });

  it(`the same message to more than ${SAME_MESSAGE_COMPANIES} companies within an hour is held for review`, () => {
    const at = NOW + 20 * 3_600_000;
    const spammer = makeUser(db);
    const text = '低价出售各类产品，欢迎来电 13800000000';
    const statuses = [];
    for (let i = 0; i <= SAME_MESSAGE_COMPANIES; i++) {
      const c = makeCompany(db, { ownerId: makeUser(db).id });
      const l = makeListing(db, c.id);
      statuses.push(send({ listingId: l.id }, member(spammer), { contactName: 'x', message: `${text}${i % 2 ? ' ' : ''}` }, at).status);
    }
    expect(statuses.slice(0, SAME_MESSAGE_COMPANIES).every((s) => s === 'open')).toBe(true);
    expect(statuses.at(-1)).toBe('held');
    // The operator reviews it: released, it reaches the company like any other.
    const [held] = heldInquiries(db);
    expect(held).toBeDefined();
    expect(inbox(db, companyMembersOf(held!.companyId), 'received', 1).total).toBe(0);
    expect(reviewHeldInquiry(db, held!.id, true, at)).toBe(true);
    expect(inbox(db, companyMembersOf(held!.companyId), 'received', 1).total).toBe(1);
    expect(reviewHeldInquiry(db, held!.id, true, at)).toBe(false);
    expect(heldInquiries(db)).toEqual([]);
  });

  it(`each side of a thread replies at most ${LIMITS.repliesPerThreadSide} times an hour (every reply is mailed)`, () => {
    const { threadId } = send({ listingId: supply.id }, member(makeUser(db)), { ...ask, message: '回复上限的测试消息' }, NOW + 40 * 3_600_000);
    const at = NOW + 40 * 3_600_000;
    for (let i = 0; i < LIMITS.repliesPerThreadSide; i++) replyToThread(db, threadId, { userId: seller.id }, { message: `第 ${i} 条回复内容` }, null, at);
    expect(() => replyToThread(db, threadId, { userId: seller.id }, { message: '再多一条回复' }, null, at)).toThrow(RateLimitedError);
    expect(() => replyToThread(db, threadId, { userId: seller.id }, { message: '一小时后的回复' }, null, at + 3_600_000)).not.toThrow();
  });

  it('a company blocks an asker: their next inquiry is refused with a clear message', () => {
    const pest = makeUser(db);
    const { threadId } = send({ listingId: supply.id }, member(pest), { ...ask, message: '骚扰消息一二三' }, NOW + 30 * 3_600_000);
    blockAsker(db, threadId, seller.id, true, NOW);
    expect(openThread(db, threadId, { userId: seller.id }).blocked).toBe(true);
    expect(fieldsOf(() => send({ listingId: supply.id }, member(pest), ask, NOW + 30 * 3_600_000)).message).toBe('inquiry.blocked');
    expect(() => blockAsker(db, threadId, pest.id, true, NOW)).toThrow(NotFoundError);
    blockAsker(db, threadId, seller.id, false, NOW);
    expect(send({ listingId: supply.id }, member(pest), { ...ask, message: '解除屏蔽后再问一次' }, NOW + 30 * 3_600_000).status).toBe('open');
  });
});
