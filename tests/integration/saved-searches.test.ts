// Saved searches and their alerts: what fits a search is what /search answers (checked against searchListings), the
// alert holds only listings new since the last one and never the member's own, goes out once through the real mail
// queue to a real SMTP server with List-Unsubscribe and a working signed unsubscribe link, the private feed, the
// bounds, a crash between finding and recording, a category that leaves the taxonomy, and the plans of its queries.
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailOutbox, savedSearches, savedSearchHits, savedSearchOutbox } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { createListing } from '../../src/server/listings/write.ts';
import { sendDueMail, smtpTransport } from '../../src/server/mail/sender.ts';
import { drainSavedSearchMatches, queueSavedSearchAlerts, savedSearchRound, searchesFitting } from '../../src/server/saved-searches/alerts.ts';
import { fits, listingText } from '../../src/server/saved-searches/fit.ts';
import {
  createSavedSearch,
  deleteSavedSearch,
  MAX_SAVED_SEARCHES,
  parseSavedQuery,
  resubscribe,
  savedSearchesPage,
  savedSearchFeed,
  unsubscribe,
  updateSavedSearch,
} from '../../src/server/saved-searches/index.ts';
import { documentsFor } from '../../src/server/search/documents.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { invalidFields } from '../helpers/errors.ts';
import { statementsOf, unindexed } from '../helpers/plans.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { categoryBySlug, DAY, freshDb, makeCompany, makeListing, makeUser, regionBySlug } from '../helpers/db.ts';

const NOW = Date.now();
const t = translator('zh-CN');
const opts = { t, locale: 'zh-CN' as const };

function member(db: Db) {
  const user = makeUser(db);
  const company = makeCompany(db, { ownerId: user.id });
  return { user, company };
}

/** A listing through the real write path, so the trigger queues it for the matcher. */
function post(db: Db, userId: string, title: string, over: Record<string, string> = {}, at = NOW) {
  return createListing(db, userId, { kind: 'supply', category: 'rebar', region: 'donghu', title, priceType: 'single', price: '3800', priceUnit: '吨', description: `${title}，厂家直销。`, ...over }, at);
}

const pendingOutbox = (db: Db) => db.select({ n: count() }).from(savedSearchOutbox).get()!.n;

describe('what fits a saved search is what /search finds', () => {
  it('agrees with searchListings on every search of a labelled set', async () => {
    const db = freshDb();
    const seller = makeCompany(db);
    const rebar = categoryBySlug(db, 'rebar').id;
    const pipe = categoryBySlug(db, 'steel-pipe').id;
    const donghu = regionBySlug(db, 'donghu').id;
    const xihu = regionBySlug(db, 'xihu').id;
    const rows = [
      { title: 'HRB400E螺纹钢 盘螺', categoryId: rebar, regionId: donghu, attributes: { grade: 'HRB400E', diameter: 12 }, priceMin: 380000, priceMax: 380000 },
      { title: '三级螺纹钢 现货', categoryId: rebar, regionId: xihu, attributes: { grade: 'HRB400', diameter: 25 }, priceMin: 395000, priceMax: 395000 },
      { title: '无缝钢管 20#', categoryId: pipe, regionId: donghu, attributes: { material: '20#', od: 108 }, priceMin: 520000, priceMax: 520000 },
      { title: '焊管 Q235B 镀锌', categoryId: pipe, regionId: xihu, attributes: { material: 'Q235B', od: 60 }, priceMin: null, priceMax: null, negotiable: true },
      { title: '求购螺纹钢200吨', kind: 'demand' as const, categoryId: rebar, regionId: donghu, attributes: {}, priceMin: null, priceMax: null },
      { title: '热镀锌管 DN50', categoryId: pipe, regionId: xihu, attributes: { od: 60 }, priceMin: 480000, priceMax: 480000 },
      { title: '带肋钢筋 国标', categoryId: rebar, regionId: xihu, attributes: { grade: 'HRB500' }, priceMin: 410000, priceMax: 410000 },
      // 电缆's synonym 电线 must not match inside the longer dictionary word 电线杆.
      { title: '水泥电线杆 12米', categoryId: pipe, regionId: xihu, attributes: {}, priceMin: null, priceMax: null },
      { title: '铜芯电线 BV2.5', categoryId: pipe, regionId: xihu, attributes: {}, priceMin: null, priceMax: null },
      { title: 'Steel pipes for export', categoryId: pipe, regionId: donghu, attributes: { od: 219 }, priceMin: 600000, priceMax: 650000 },
    ].map((r) => makeListing(db, seller.id, { description: '质量保证', ...r, attributes: r.attributes as Record<string, string | number> }));
    rebuildFts(db, NOW);
    const queries = [
      'q=螺纹钢',
      'q=钢管',
      'q=钢',
      'q=pipe',
      'q=螺纹钢&kind=demand',
      'q=螺纹钢&region=xihu',
      'region=nanchang&category=steel',
      'category=rebar&a.grade=HRB400E',
      'category=steel-pipe&a.od.min=100',
      'category=steel-pipe&a.od.min=50&a.od.max=120',
      'q=钢&price_min=3900',
      'q=钢&price_max=4000',
      'kind=supply&category=steel-pipe',
      'q=盘螺 HRB400E',
      'q=无缝管',
      'q=不锈钢',
      'q=带肋钢筋',
      'q=hrb400',
      'q=镀锌钢管',
      'q=50',
      'q=镀',
      'q=电缆',
    ];
    const docs = documentsFor(db, rows.map((r) => r.id), NOW);
    let found = 0;
    for (const q of queries) {
      const parsed = parseSavedQuery(db, q, NOW);
      const hits = (await searchListings(db, new URLSearchParams(q), NOW)).hits.map((h) => h.id);
      // Each listing once, however many relevance tiers it is in (q=盘螺 HRB400E listed one twice).
      expect(new Set(hits).size, q).toBe(hits.length);
      const expected = hits.sort((a, b) => a - b);
      const got = docs.filter((d) => fits(d, listingText(d), parsed.filters, parsed.query)).map((d) => d.id).sort((a, b) => a - b);
      expect(got, q).toEqual(expected);
      if (got.length > 0) found++;
    }
    // Most of the set finds something, so agreeing is not agreeing on nothing.
    expect(found).toBeGreaterThanOrEqual(queries.length - 2);

    // The reverse index offers every search a listing fits: through it, each listing finds exactly the searches
    // that checking all of them finds.
    const users = Array.from({ length: Math.ceil(queries.length / MAX_SAVED_SEARCHES) }, () => makeUser(db));
    const ids = queries.map((q, i) => createSavedSearch(db, users[Math.floor(i / MAX_SAVED_SEARCHES)]!.id, { query: q, name: q, frequency: 'daily' }, NOW));
    for (const d of docs) {
      const all = queries.flatMap((q, i) => {
        const p = parseSavedQuery(db, q, NOW);
        return fits(d, listingText(d), p.filters, p.query) ? [ids[i]] : [];
      });
      expect((await searchesFitting(db, d, NOW)).map((x) => x.id).sort((a, b) => a - b), d.title).toEqual(all);
    }
  });
});

describe('saving searches', () => {
  it('saves, renames, changes and deletes a member own searches, within the limit, with messages for bad input', () => {
    const db = freshDb();
    const { user } = member(db);
    const other = member(db);
    const id = createSavedSearch(db, user.id, { query: 'q=螺纹钢&category=rebar&region=donghu&sort=newest&days=7', name: '螺纹钢', frequency: 'instant' }, NOW);
    const row = db.select().from(savedSearches).where(eq(savedSearches.id, id)).get()!;
    // Regions and categories by id; sort and "within days" are not part of what a search asks.
    expect(row.query).toBe(`q=%E8%9E%BA%E7%BA%B9%E9%92%A2&region=${regionBySlug(db, 'donghu').id}&category=${categoryBySlug(db, 'rebar').id}`);
    expect(invalidFields(() => createSavedSearch(db, user.id, { query: '', name: 'x' }, NOW))).toEqual({ query: 'savedSearches.empty' });
    expect(invalidFields(() => createSavedSearch(db, user.id, { query: 'category=nope', name: 'x' }, NOW))).toEqual({ query: 'search.unknownCategory' });
    expect(invalidFields(() => createSavedSearch(db, user.id, { query: 'q=a', name: ' ' }, NOW))).toEqual({ name: 'savedSearches.nameRequired' });
    expect(invalidFields(() => createSavedSearch(db, user.id, { query: 'q=a', name: 'x', frequency: 'hourly' }, NOW))).toEqual({ frequency: 'savedSearches.invalidFrequency' });
    updateSavedSearch(db, user.id, { id: String(id), name: '钢筋', frequency: 'weekly' }, NOW);
    expect(() => updateSavedSearch(db, other.user.id, { id: String(id), name: 'mine', frequency: 'off' }, NOW)).toThrow(/saved search/);
    const page = savedSearchesPage(db, user.id, 'q=钢管&kind=demand', opts, NOW);
    expect(page.searches.map((s) => [s.name, s.frequency, s.description])).toEqual([['钢筋', 'weekly', '“螺纹钢” · 建筑钢材 · 东湖区']]);
    expect(page.draft).toMatchObject({ name: '钢管', description: '“钢管” · 求购' });
    for (let i = 1; i < MAX_SAVED_SEARCHES; i++) createSavedSearch(db, user.id, { query: `q=钢${i}`, name: `s${i}` }, NOW);
    expect(invalidFields(() => createSavedSearch(db, user.id, { query: 'q=more', name: 'more' }, NOW))).toEqual({ _: 'savedSearches.tooMany' });
    deleteSavedSearch(db, user.id, { id: String(id) });
    expect(savedSearchesPage(db, user.id, null, opts, NOW).searches).toHaveLength(MAX_SAVED_SEARCHES - 1);
  });

  it('marks a search whose category left the taxonomy, which then fits nothing', async () => {
    const db = freshDb();
    const { user } = member(db);
    const seller = member(db);
    const id = createSavedSearch(db, user.id, { query: 'q=螺纹钢', name: 'x' }, NOW);
    // As if categories.json lost a category after a restart: the stored id names nothing.
    db.update(savedSearches).set({ query: 'q=螺纹钢&category=999999' }).where(eq(savedSearches.id, id)).run();
    expect(savedSearchesPage(db, user.id, null, opts, NOW).searches[0]).toMatchObject({ broken: true, searchPath: null });
    post(db, seller.user.id, '螺纹钢 HRB400');
    await drainSavedSearchMatches(db, () => NOW);
    expect(db.select({ n: count() }).from(savedSearchHits).get()!.n).toBe(0);
  });
});

describe('alerts', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.close());

  it('mails one alert for two new listings, none for the member own, once, with a one-click unsubscribe that works', async () => {
    const db = freshDb();
    const buyer = member(db);
    const seller = member(db);
    const id = createSavedSearch(db, buyer.user.id, { query: 'q=螺纹钢&category=rebar', name: '螺纹钢', frequency: 'instant' }, NOW);
    post(db, buyer.user.id, '本公司螺纹钢'); // the member's own: never in their alert
    post(db, seller.user.id, 'HRB400螺纹钢 A');
    post(db, seller.user.id, 'HRB400螺纹钢 B');
    post(db, seller.user.id, '无缝钢管', { category: 'steel-pipe' }); // another category
    expect(await savedSearchRound(db, () => NOW)).toBe(3); // two hits, one mail
    expect(pendingOutbox(db)).toBe(0);
    expect(await savedSearchRound(db, () => NOW + 1)).toBe(0);

    const round = await sendDueMail(db, smtpTransport(smtp.url), NOW + 2);
    expect(round.sent).toBe(1);
    const mail = await smtp.waitFor((m) => m.to.includes(buyer.user.email));
    expect(mail.subject).toBe('“螺纹钢”有 2 条新信息');
    expect(mail.text).toContain('HRB400螺纹钢 A');
    expect(mail.text).toContain('HRB400螺纹钢 B');
    expect(mail.text).not.toContain('本公司');
    expect(mail.text).not.toContain('无缝钢管');
    const header = /^List-Unsubscribe: <([^>]+)>/im.exec(mail.raw.replace(/\r?\n[ \t]+/g, ' '))?.[1];
    expect(header).toMatch(/\/saved-searches\/unsubscribe\?s=\d+&t=[\w-]{43}$/);
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/im);
    expect(mail.text).toContain(header!);

    // A third listing: a new alert with it alone (never the two again).
    post(db, seller.user.id, 'HRB400螺纹钢 C', {}, NOW + 10);
    await savedSearchRound(db, () => NOW + 10);
    const mails = db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, buyer.user.email)).all();
    expect(mails).toHaveLength(2);
    expect(mails[1]!.text).toContain('HRB400螺纹钢 C');
    expect(mails[1]!.text).not.toContain('螺纹钢 A');

    // The link, with no session: alerts stop; a forged one changes nothing.
    const link = new URL(header!);
    const input = { s: link.searchParams.get('s')!, t: link.searchParams.get('t')! };
    expect(invalidFields(() => unsubscribe(db, { ...input, t: 'x'.repeat(43) }, NOW))).toEqual({ _: 'savedSearches.badLink' });
    expect(unsubscribe(db, input, NOW + 20)).toEqual({ name: '螺纹钢', was: 'instant' });
    post(db, seller.user.id, 'HRB400螺纹钢 D', {}, NOW + 30);
    await savedSearchRound(db, () => NOW + 30);
    expect(await queueSavedSearchAlerts(db, NOW + 30 * DAY)).toBe(0);
    expect(db.select({ n: count() }).from(mailOutbox).where(eq(mailOutbox.toAddress, buyer.user.email)).get()!.n).toBe(2);
    expect(resubscribe(db, { ...input, frequency: 'daily' }, NOW + 40)).toEqual({ name: '螺纹钢', frequency: 'daily' });

    // The private feed: what was found, with the signature; refused without it.
    const feed = savedSearchFeed(db, input.s === String(id) ? { s: id, t: new URL(savedSearchesPage(db, buyer.user.id, null, opts, NOW).searches[0]!.feedUrl).searchParams.get('t') } : {}, { siteName: 'site', ...opts }, NOW + 50);
    expect(feed).toContain('HRB400螺纹钢 A');
    expect(feed).not.toContain('本公司');
    expect(invalidFields(() => savedSearchFeed(db, input, { siteName: 'site', ...opts }, NOW))).toEqual({ _: 'savedSearches.badLink' });
  });

  it('waits a day (or a week) between alerts of a daily (weekly) search', async () => {
    const db = freshDb();
    const buyer = member(db);
    const seller = member(db);
    createSavedSearch(db, buyer.user.id, { query: 'q=螺纹钢', name: 'daily', frequency: 'daily' }, NOW);
    createSavedSearch(db, buyer.user.id, { query: 'q=螺纹钢', name: 'weekly', frequency: 'weekly' }, NOW);
    post(db, seller.user.id, '螺纹钢 一');
    post(db, seller.user.id, '螺纹钢 二');
    await savedSearchRound(db, () => NOW);
    const subjects = () => db.select({ s: mailOutbox.subject }).from(mailOutbox).all().map((m) => m.s).sort();
    expect(await queueSavedSearchAlerts(db, NOW + DAY - 1)).toBe(0);
    expect(await queueSavedSearchAlerts(db, NOW + DAY)).toBe(1);
    expect(subjects()).toEqual(['“daily”有 2 条新信息']);
    expect(await queueSavedSearchAlerts(db, NOW + 2 * DAY)).toBe(0);
    expect(await queueSavedSearchAlerts(db, NOW + 7 * DAY)).toBe(1);
    expect(subjects()).toEqual(['“daily”有 2 条新信息', '“weekly”有 2 条新信息']);
  });

  it('records nothing twice when the job crashes between finding and recording, and bounds a pending alert', async () => {
    const db = freshDb();
    const buyer = member(db);
    const seller = member(db);
    const id = createSavedSearch(db, buyer.user.id, { query: 'q=螺纹钢', name: 'x', frequency: 'daily' }, NOW);
    const l = post(db, seller.user.id, '螺纹钢 现货供应');
    await expect(drainSavedSearchMatches(db, () => NOW, { afterCompute: () => { throw new Error('crash'); } })).rejects.toThrow('crash');
    expect(pendingOutbox(db)).toBe(1);
    // The same listing queued again (it went live twice) and the outbox drained: one hit.
    db.insert(savedSearchOutbox).values({ listingId: l.id, createdAt: NOW }).run();
    await drainSavedSearchMatches(db, () => NOW);
    expect(db.select({ n: count() }).from(savedSearchHits).get()!.n).toBe(1);
    expect(pendingOutbox(db)).toBe(0);
    // Past MAX_PENDING, fits are counted, not kept.
    const doc = documentsFor(db, [l.id], NOW)[0]!;
    expect((await searchesFitting(db, doc, NOW)).map((s) => s.id)).toEqual([id]);
    for (let i = 0; i < 105; i++) makeListing(db, seller.company.id, { title: `螺纹钢 ${i}` });
    await drainSavedSearchMatches(db, () => NOW);
    expect(db.select({ n: count() }).from(savedSearchHits).get()!.n).toBe(100);
    expect(db.select().from(savedSearches).get()!.overflow).toBe(6);
    expect(await queueSavedSearchAlerts(db, NOW + DAY)).toBe(1);
    const mail = db.select().from(mailOutbox).get()!;
    expect(mail.subject).toBe('“x”有 106 条新信息');
    expect(mail.text).toContain(t('savedSearches.mail.more', { n: 86 }));
  });

  it('reads through indexes', async () => {
    const db = freshDb();
    const buyer = member(db);
    const seller = member(db);
    for (let i = 0; i < 5; i++) createSavedSearch(db, buyer.user.id, { query: `q=螺纹钢${i}`, name: `x${i}`, frequency: 'instant' }, NOW);
    post(db, seller.user.id, '螺纹钢1');
    const seen = await statementsOf(db, async () => {
      await savedSearchRound(db, () => NOW);
      await queueSavedSearchAlerts(db, NOW + DAY);
      savedSearchesPage(db, buyer.user.id, null, opts, NOW);
    });
    const bad = unindexed(db, seen, ['saved_searches', 'saved_search_anchors', 'saved_search_hits', 'listings']);
    expect(bad).toEqual([]);
  });
});
