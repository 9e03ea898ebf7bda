// A listing's page: 相关推荐 from other companies, nearest first, and the view count, read from a real SQLite file.
import { describe, expect, it } from 'vitest';
import { getListingPage } from '../../src/server/listings/page.ts';
import { recordView } from '../../src/server/listings/views.ts';
import { DAY, freshDb, makeCompany, makeListing, regionBySlug } from '../helpers/db.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';

const db = freshDb();
const now = Date.now();
const donghu = regionBySlug(db, 'donghu');
const xihu = regionBySlug(db, 'xihu'); // the same city (Nanchang), another county
const nanchang = regionBySlug(db, 'nanchang');
const ruijin = regionBySlug(db, 'ruijin'); // another city
const industry = getTaxonomy(db).categories.roots[0]!;
const [pipe, other] = getTaxonomy(db).categories.children(industry.id);

const mine = makeCompany(db, { name: '南昌宏达管业有限公司', regionId: donghu.id });
const theirs = makeCompany(db, { name: '赣州长城钢管有限公司', regionId: ruijin.id });
const at = (daysAgo: number) => ({ publishedAt: now - daysAgo * DAY });

const listing = makeListing(db, mine.id, { title: '供应无缝钢管', categoryId: pipe!.id, regionId: donghu.id, ...at(5) });
const ownSameCounty = makeListing(db, mine.id, { title: '供应焊接钢管', categoryId: pipe!.id, regionId: donghu.id, ...at(1) });
const sameCounty = makeListing(db, theirs.id, { title: '东湖区钢管现货', categoryId: pipe!.id, regionId: donghu.id, ...at(9) });
const sameCity = makeListing(db, theirs.id, { title: '西湖区钢管现货', categoryId: pipe!.id, regionId: xihu.id, ...at(3) });
const cityWide = makeListing(db, theirs.id, { title: '南昌钢管批发', categoryId: pipe!.id, regionId: nanchang.id, ...at(4) });
const elsewhere = makeListing(db, theirs.id, { title: '瑞金钢管', categoryId: pipe!.id, regionId: ruijin.id, ...at(0.5) });
makeListing(db, theirs.id, { title: '别的行业', categoryId: other!.id, regionId: donghu.id, ...at(0.1) });
makeListing(db, theirs.id, { title: '已过期的钢管', categoryId: pipe!.id, regionId: donghu.id, ...at(2), expiresAt: now - DAY });
makeListing(db, theirs.id, { title: '已关闭的钢管', categoryId: pipe!.id, regionId: donghu.id, ...at(2), status: 'closed' });

describe('相关推荐 on a live listing', () => {
  it('lists live listings of other companies in its subcategory: its county first, then its city, then anywhere', () => {
    const page = getListingPage(db, listing.id, now);
    expect(page.state).toBe('live');
    expect(page.similar.map((l) => l.id)).toEqual([sameCounty.id, sameCity.id, cityWide.id, elsewhere.id]);
    // The company's own listings are listed apart, under 更多该企业信息.
    expect(page.moreFromCompany.map((l) => l.id)).toEqual([ownSameCounty.id]);
  });

  it('stops at the limit without repeating a listing found at a nearer step', () => {
    for (let i = 0; i < 10; i++) makeListing(db, theirs.id, { title: `东湖区钢管 ${i}`, categoryId: pipe!.id, regionId: donghu.id, ...at(10 + i) });
    const ids = getListingPage(db, listing.id, now).similar.map((l) => l.id);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    expect(ids[0]).toBe(sameCounty.id);
    expect(ids).not.toContain(sameCity.id);
  });
});

describe('a listing that is no longer live', () => {
  it('points on to live listings like it, its own company included', () => {
    const closed = makeListing(db, mine.id, { title: '停售的钢管', categoryId: pipe!.id, regionId: donghu.id, ...at(6), status: 'closed' });
    const ids = getListingPage(db, closed.id, now).similar.map((l) => l.id);
    expect(ids[0]).toBe(ownSameCounty.id);
    expect(ids).not.toContain(closed.id);
  });
});

describe('the view count', () => {
  it('adds the views counted since the last write to those written', () => {
    const before = getListingPage(db, elsewhere.id, now).views;
    recordView(elsewhere.id, null, { userId: null, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' });
    expect(getListingPage(db, elsewhere.id, now).views).toBe(before + 1);
  });
});
