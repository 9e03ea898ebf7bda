// Lead matching: quality on the hand-labelled fixture, the bounds, the outbox's durability across a crash, the
// daily digest and instant mail, and the query plans of everything it reads.
import { count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { leads, mailOutbox, matchOutbox } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { leadBoard, leadBoardFeed } from '../../src/server/leads/board.ts';
import { drainMatches, leadsPage, matchesOfListing, queueLeadDigests, setLeadMailMode } from '../../src/server/leads/index.ts';
import { keyTerms } from '../../src/server/leads/match.ts';
import { MATCH_LEASE_MS, MAX_LEADS_PER_COMPANY_PER_DAY } from '../../src/server/leads/record.ts';
import { createListing, updateListing } from '../../src/server/listings/write.ts';
// makeListing writes no search outbox row: tests rebuild the index after adding listings that way.
import { rebuildFts } from '../../src/server/search/indexer.ts';
import { DEMANDS } from '../fixtures/leads-matching.ts';
import { statementsOf, unindexed } from '../helpers/plans.ts';
import { categoryBySlug, DAY, freshDb, makeCompany, makeListing, makeUser, regionBySlug } from '../helpers/db.ts';
import { precisionAt5 } from '../../scripts/bench/leads-quality.ts';

const NOW = Date.now();

function supplier(db: Db, title: string, category: string, region = 'donghu') {
  const user = makeUser(db);
  const company = makeCompany(db, { ownerId: user.id });
  const listing = makeListing(db, company.id, { title, kind: 'supply', categoryId: categoryBySlug(db, category).id, regionId: regionBySlug(db, region).id });
  return { user, company, listing };
}

/** A buyer posting a 求购 through the real write path (so the trigger queues it), as the form does. */
function postDemand(db: Db, title: string, category: string, region = 'donghu', at = NOW) {
  const user = makeUser(db);
  const company = makeCompany(db, { ownerId: user.id });
  const listing = createListing(db, user.id, { kind: 'demand', title, category, region, description: `${title}，量大从优，请有货的厂家联系。` }, at);
  return { user, company, listing };
}

const leadCount = (db: Db, where = eq(leads.id, leads.id)) => db.select({ n: count() }).from(leads).where(where).get()!.n;

describe('matching quality', () => {
  it('finds fitting suppliers: precision@5 >= 0.8 on the hand-labelled fixture', async () => {
    const { precision, perDemand } = await precisionAt5(freshDb(), NOW);
    expect(perDemand).toHaveLength(DEMANDS.length);
    expect(DEMANDS.length).toBeGreaterThanOrEqual(30);
    expect(precision).toBeGreaterThanOrEqual(0.8);
  });

  it('takes the goods out of a title, not the verbs, quantities or places', () => {
    const places = new Set(['江西', '南昌']);
    const terms = keyTerms('求购江西螺纹钢 200吨 长期', {}, places);
    expect(terms).toContain('螺纹钢');
    expect(terms.some((t) => /求购|长期|江西|200/.test(t))).toBe(false);
  });
});

describe('the matcher job', () => {
  let db: Db;
  beforeAll(() => {
    db = freshDb();
  });

  it('gives a steel supplier a lead for a matching 求购, none to one in another industry, none to the buyer itself', async () => {
    const steel = supplier(db, 'HRB400螺纹钢 现货', 'rebar');
    const tea = supplier(db, '婺源绿茶 螺纹钢茶罐包装', 'tea');
    rebuildFts(db, NOW);
    db.delete(matchOutbox).run();
    const buyer = postDemand(db, '求购螺纹钢 HRB400 100吨', 'rebar');
    // The buyer's own supply of the same goods: never a lead for its own company.
    makeListing(db, buyer.company.id, { title: 'HRB400螺纹钢 库存', kind: 'supply', categoryId: categoryBySlug(db, 'rebar').id });
    rebuildFts(db, NOW);
    expect(db.select({ n: count() }).from(matchOutbox).get()!.n).toBeGreaterThan(0);
    await drainMatches(db, () => NOW);
    expect(leadsPage(db, steel.user.id).leads.map((l) => l.listing.id)).toEqual([buyer.listing.id]);
    expect(leadsPage(db, tea.user.id).leads).toEqual([]);
    expect(leadCount(db, eq(leads.companyId, buyer.company.id))).toBe(0);
    // The buyer sees who was matched, on the dashboard and on the listing page.
    expect(leadsPage(db, buyer.user.id).matched.map((m) => m.company.name)).toEqual([steel.company.name]);
    expect(matchesOfListing(db, buyer.user.id, buyer.listing.id).map((m) => m.listingId)).toEqual([steel.listing.id]);
    expect(matchesOfListing(db, steel.user.id, buyer.listing.id)).toEqual([]);
    expect(db.select({ n: count() }).from(matchOutbox).get()!.n).toBe(0);
  });

  it('matches a new supply listing against live 求购 listings and tells their owners', async () => {
    const buyer = postDemand(db, '求购无缝钢管 20#', 'steel-pipe', 'donghu', NOW - DAY);
    rebuildFts(db, NOW);
    db.delete(matchOutbox).run();
    const seller = makeUser(db);
    const company = makeCompany(db, { ownerId: seller.id });
    const supply = createListing(db, seller.id, { kind: 'supply', title: '20#无缝钢管 大口径', category: 'steel-pipe', region: 'xihu', description: '无缝钢管现货，规格齐全。' }, NOW);
    await drainMatches(db, () => NOW);
    const page = leadsPage(db, buyer.user.id);
    expect(page.leads.map((l) => [l.listing.id, l.mine.id])).toEqual([[supply.id, buyer.listing.id]]);
    expect(matchesOfListing(db, buyer.user.id, buyer.listing.id).map((m) => m.listingId)).toContain(supply.id);
    expect(leadCount(db, eq(leads.companyId, company.id))).toBe(0);
  });

  it('matches again only when an edit changes what the listing matches on, and never tells a company twice', async () => {
    const steel = supplier(db, '不锈钢板 304 冷轧', 'stainless-steel');
    rebuildFts(db, NOW);
    db.delete(matchOutbox).run();
    const buyer = postDemand(db, '求购304不锈钢板', 'stainless-steel');
    await drainMatches(db, () => NOW);
    expect(leadCount(db, eq(leads.listingId, buyer.listing.id))).toBe(1);
    updateListing(db, buyer.user.id, buyer.listing.id, { description: '改了说明，不改匹配。' }, NOW + 1);
    expect(db.select({ n: count() }).from(matchOutbox).get()!.n).toBe(0);
    updateListing(db, buyer.user.id, buyer.listing.id, { title: '求购304不锈钢板 冷轧' }, NOW + 2);
    expect(db.select({ n: count() }).from(matchOutbox).get()!.n).toBe(1);
    await drainMatches(db, () => NOW + 2);
    expect(leadCount(db, eq(leads.listingId, buyer.listing.id))).toBe(1);
    expect(leadsPage(db, steel.user.id).leads).toHaveLength(1);
  });

  it('loses and doubles nothing when it crashes between computing and recording', async () => {
    const steel = supplier(db, '电解铜 阴极铜 1#', 'copper');
    rebuildFts(db, NOW);
    db.delete(matchOutbox).run();
    const buyer = postDemand(db, '求购电解铜 50吨', 'copper');
    await expect(
      drainMatches(db, () => NOW, {
        afterCompute: (_id, matches) => {
          expect(matches.map((m) => m.companyId)).toContain(steel.company.id);
          throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    expect(leadCount(db, eq(leads.listingId, buyer.listing.id))).toBe(0);
    expect(db.select({ n: count() }).from(matchOutbox).get()!.n).toBe(1);
    // The crashed batch's claim holds its row until the lease lapses, then it is matched again.
    await drainMatches(db, () => NOW + MATCH_LEASE_MS - 1);
    expect(leadCount(db, eq(leads.listingId, buyer.listing.id))).toBe(0);
    await drainMatches(db, () => NOW + MATCH_LEASE_MS);
    expect(leadCount(db, eq(leads.listingId, buyer.listing.id))).toBe(1);
    // A crash after the commit but before anything else: the same listing queued again records nothing new.
    db.insert(matchOutbox).values({ listingId: buyer.listing.id, createdAt: NOW }).run();
    await drainMatches(db, () => NOW);
    expect(leadCount(db, eq(leads.listingId, buyer.listing.id))).toBe(1);
  });
});

describe('bounds', () => {
  it('holds 20 per listing and 50 per company per day with 1,000 matching companies', async () => {
    const db = freshDb();
    const cat = categoryBySlug(db, 'cement');
    const heavy = supplier(db, 'P.O42.5水泥 散装', 'cement', 'donghu');
    const rows = [];
    for (let i = 0; i < 1000; i++) {
      const user = makeUser(db);
      const company = makeCompany(db, { ownerId: user.id });
      // Farther away than the heavy one, so it is the best match of every demand.
      rows.push(makeListing(db, company.id, { title: `42.5水泥 散装 ${i}号`, kind: 'supply', categoryId: cat.id, regionId: regionBySlug(db, 'yushui').id }));
    }
    rebuildFts(db, NOW);
    db.delete(matchOutbox).run();
    const demands = [];
    for (let i = 0; i < 60; i++) demands.push(postDemand(db, `求购水泥 42.5 散装 ${i}批`, 'cement', 'donghu', NOW));
    await drainMatches(db, () => NOW);
    for (const d of demands) expect(leadCount(db, eq(leads.listingId, d.listing.id))).toBeLessThanOrEqual(20);
    const perCompany = db.select({ companyId: leads.companyId, n: count() }).from(leads).groupBy(leads.companyId).all();
    expect(Math.max(...perCompany.map((r) => r.n))).toBeLessThanOrEqual(MAX_LEADS_PER_COMPANY_PER_DAY);
    expect(leadCount(db)).toBeGreaterThan(20);
    expect(leadCount(db, eq(leads.companyId, heavy.company.id))).toBe(MAX_LEADS_PER_COMPANY_PER_DAY);
    // The next China day, the same company may get leads again.
    const tomorrow = postDemand(db, '求购水泥 42.5 散装 明天', 'cement', 'donghu', NOW + DAY);
    await drainMatches(db, () => NOW + DAY);
    expect(leadCount(db, eq(leads.listingId, tomorrow.listing.id))).toBe(20);
  }, 120_000);
});

describe('lead mail', () => {
  it('sends a lead at once by choice, else in the next day\'s digest, once', async () => {
    const db = freshDb();
    const instant = supplier(db, '瓦楞纸箱 定做', 'cartons');
    const daily = supplier(db, '五层瓦楞纸箱 重型', 'cartons');
    const quiet = supplier(db, '瓦楞纸箱 三层 搬家箱', 'cartons');
    expect(() => setLeadMailMode(db, instant.user.id, { mail: 'sometimes' }, NOW)).toThrow();
    setLeadMailMode(db, instant.user.id, { mail: 'instant' }, NOW);
    setLeadMailMode(db, quiet.user.id, { mail: 'off' }, NOW);
    rebuildFts(db, NOW);
    db.delete(matchOutbox).run();
    const buyer = postDemand(db, '求购瓦楞纸箱 1万个', 'cartons');
    await drainMatches(db, () => NOW);
    const mails = () => db.select().from(mailOutbox).all();
    expect(mails().map((m) => [m.toAddress, m.template])).toEqual([[instant.user.email, 'lead-instant']]);
    expect(mails()[0]!.subject).toContain('求购瓦楞纸箱');
    expect(queueLeadDigests(db, NOW)).toBe(0); // the day is not over
    expect(queueLeadDigests(db, NOW + DAY)).toBe(1);
    expect(queueLeadDigests(db, NOW + DAY + 1)).toBe(0);
    const digest = mails().find((m) => m.template === 'lead-digest')!;
    expect(digest.toAddress).toBe(daily.user.email);
    expect(digest.text).toContain(`/listing/${buyer.listing.id}`);
    expect(mails().some((m) => m.toAddress === quiet.user.email)).toBe(false);
  });
});

describe('query plans of leads', () => {
  it('read through an index at every step', async () => {
    const db = freshDb();
    const s = supplier(db, 'HRB400螺纹钢', 'rebar');
    rebuildFts(db, NOW);
    let buyer: ReturnType<typeof postDemand>;
    const seen = await statementsOf(db, async () => {
      buyer = postDemand(db, '求购螺纹钢', 'rebar');
      await drainMatches(db, () => NOW);
      queueLeadDigests(db, NOW + DAY);
      leadsPage(db, s.user.id);
      leadsPage(db, buyer.user.id, buyer.listing.id);
      matchesOfListing(db, buyer.user.id, buyer.listing.id);
      setLeadMailMode(db, s.user.id, { mail: 'instant' }, NOW);
    });
    const bad = unindexed(db, seen, ['listings', 'leads', 'match_outbox', 'mail_outbox', 'companies', 'webhook_endpoints']);
    expect(seen.some((q) => q.includes('"leads"'))).toBe(true);
    expect(bad).toEqual([]);
  });
});

describe('the buy-lead board', () => {
  it('lists live 求购 listings by region and industry, newest first, with a feed each; unknown choices are 404', async () => {
    const db = freshDb();
    const { company } = supplier(db, 'HRB400螺纹钢 现货', 'rebar');
    const steel = makeListing(db, company.id, { kind: 'demand', title: '求购螺纹钢', categoryId: categoryBySlug(db, 'rebar').id, regionId: regionBySlug(db, 'yushui').id });
    const tea = makeListing(db, company.id, { kind: 'demand', title: '求购绿茶', categoryId: categoryBySlug(db, 'tea').id, regionId: regionBySlug(db, 'donghu').id });
    makeListing(db, company.id, { kind: 'demand', title: '过期的求购', categoryId: categoryBySlug(db, 'tea').id, expiresAt: NOW - 1 });
    const ids = (input: { region?: string; category?: string }) => leadBoard(db, { ...input, page: 1 }, NOW).listings.items.map((l) => l.id);
    expect(ids({}).sort()).toEqual([steel.id, tea.id].sort());
    expect(ids({ region: 'xinyu' })).toEqual([steel.id]);
    expect(ids({ region: 'donghu', category: 'agriculture' })).toEqual([tea.id]);
    expect(ids({ category: 'rebar' })).toEqual([steel.id]);
    expect(leadBoard(db, { page: 1 }, NOW).filtered).toBe(false);
    expect(leadBoard(db, { category: 'tea', page: 1 }, NOW).filtered).toBe(true);
    expect(() => leadBoard(db, { region: 'atlantis', page: 1 }, NOW)).toThrow(/leads board/);
    const xml = leadBoardFeed(db, { category: 'steel' }, { siteUrl: 'https://example.com', siteName: '江西供求信息网', locale: 'zh-CN', t: translator('zh-CN') }, NOW);
    expect(xml).toContain(`https://example.com/listing/${steel.id}-`);
    expect(xml).not.toContain('求购绿茶');
    expect(xml).toContain('https://example.com/feeds/leads.xml?category=steel');
  });
});
