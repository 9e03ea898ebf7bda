// The data functions behind the public pages, against a real SQLite file.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings } from '../../db/schema.ts';
import { getBrowsePage, getDirectory, getHomePage } from '../../src/server/browse/index.ts';
import { getCompanyPage } from '../../src/server/companies/page.ts';
import { GoneError, NotFoundError } from '../../src/server/errors.ts';
import { forgetCounts } from '../../src/server/listings/counts.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import { PAGE_SIZE } from '../../src/server/pagination.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { DAY, freshDb, makeCompany, makeListing, regionBySlug } from '../helpers/db.ts';

const db = freshDb();
const now = Date.now();
const donghu = regionBySlug(db, 'donghu'); // a district of Nanchang
const ruijin = regionBySlug(db, 'ruijin'); // a county-level city of Ganzhou
const nanchang = regionBySlug(db, 'nanchang');
const firstIndustry = getTaxonomy(db).categories.roots[0]!;
const [leafA, leafB] = getTaxonomy(db).categories.children(firstIndustry.id);

const supplier = makeCompany(db, { name: '南昌宏达农业有限公司', regionId: donghu.id, verified: true, verifiedAt: now - 10 * DAY });
const buyer = makeCompany(db, { name: '瑞金恒丰贸易有限公司', regionId: ruijin.id });
const live = makeListing(db, supplier.id, { title: '供应优质早籼稻', categoryId: leafA!.id, regionId: donghu.id, priceMin: 260_000, priceMax: 260_000, priceUnit: '吨' });
const demand = makeListing(db, buyer.id, { kind: 'demand', title: '求购晚稻 500 吨', categoryId: leafB!.id, regionId: ruijin.id, negotiable: true, publishedAt: now - 2 * DAY });
const expired = makeListing(db, supplier.id, { title: '过期的信息', categoryId: leafA!.id, expiresAt: now - DAY });
const expiredByStatus = makeListing(db, supplier.id, { title: '已标记过期', status: 'expired', categoryId: leafA!.id, expiresAt: now - DAY });
const closed = makeListing(db, supplier.id, { title: '已关闭的信息', status: 'closed', categoryId: leafA!.id });
const removed = makeListing(db, supplier.id, { title: '已删除的信息', status: 'removed', categoryId: leafA!.id });
const draft = makeListing(db, supplier.id, { title: '草稿', status: 'draft', publishedAt: null, expiresAt: null });
forgetCounts(db);

describe('home page', () => {
  const home = getHomePage(db, now);

  it('shows only live listings, newest first, split by kind', () => {
    expect(home.latestSupply.map((l) => l.id)).toEqual([live.id]);
    expect(home.latestDemand.map((l) => l.id)).toEqual([demand.id]);
  });

  it('counts live listings per city (counties included) and per industry', () => {
    expect(home.totals).toEqual({ listings: 2, companies: 2 });
    const count = (slug: string) => home.cities.find((c) => c.item.slug === slug)!.count;
    expect(count('nanchang')).toBe(1);
    expect(count('ganzhou')).toBe(1);
    expect(count('jiujiang')).toBe(0);
    expect(home.cities).toHaveLength(11);
    expect(home.categories.find((c) => c.item.id === firstIndustry.id)!.count).toBe(2);
  });

  it('the directory lists every county under its city', () => {
    const dir = getDirectory(db, now);
    const ganzhou = dir.cities.find((c) => c.item.slug === 'ganzhou')!;
    expect(ganzhou.children.map((c) => c.item.nameZh)).toContain('瑞金市');
    expect(ganzhou.children.find((c) => c.item.slug === 'ruijin')!.count).toBe(1);
  });
});

describe('region and category pages', () => {
  it('a city page includes its counties', () => {
    const page = getBrowsePage(db, { regionSlug: 'nanchang', page: 1 }, now);
    expect(page.listings.items.map((l) => l.id)).toEqual([live.id]);
    expect(page.regionPath.map((r) => r.slug)).toEqual(['jiangxi', 'nanchang']);
    expect(page.regionChoices.map((c) => c.item.slug)).toContain('donghu');
    expect(page.regionChoices.find((c) => c.item.slug === 'donghu')!.count).toBe(1);
  });

  it('a county without sub-regions offers its siblings that have listings (an empty one would lead nowhere)', () => {
    const page = getBrowsePage(db, { regionSlug: 'ruijin', page: 1 }, now);
    expect(page.listings.items.map((l) => l.id)).toEqual([demand.id]);
    expect(page.regionChoices.map((c) => c.item.slug)).toEqual(['ruijin']);
    const other = makeListing(db, buyer.id, { title: '章贡区求购稻谷', categoryId: leafB!.id, regionId: regionBySlug(db, 'zhanggong').id });
    forgetCounts(db);
    expect(getBrowsePage(db, { regionSlug: 'ruijin', page: 1 }, now).regionChoices.map((c) => c.item.slug).sort()).toEqual(['ruijin', 'zhanggong']);
    db.delete(listings).where(eq(listings.id, other.id)).run();
    forgetCounts(db);
  });

  it('the 供应 / 求购 tabs list one kind, with each tab counted, and industries without listings of the tab are left out', () => {
    const all = getBrowsePage(db, { page: 1 }, now);
    expect(all.kindCounts).toEqual({ all: 2, supply: 1, demand: 1 });
    expect(all.categoryChoices.map((c) => c.item.id)).toEqual([firstIndustry.id]);
    const demandTab = getBrowsePage(db, { kind: 'demand', page: 1 }, now);
    expect(demandTab.listings.items.map((l) => l.id)).toEqual([demand.id]);
    expect(demandTab.listings.total).toBe(1);
    const supplyInNanchang = getBrowsePage(db, { regionSlug: 'nanchang', kind: 'supply', page: 1 }, now);
    expect(supplyInNanchang.listings.items.map((l) => l.id)).toEqual([live.id]);
    expect(getBrowsePage(db, { regionSlug: 'nanchang', kind: 'demand', page: 1 }, now).listings.items).toEqual([]);
    expect(getBrowsePage(db, { categorySlug: leafA!.slug, kind: 'demand', page: 1 }, now).kindCounts).toEqual({ all: 1, supply: 1, demand: 0 });
  });

  it('an industry page includes its subcategories; a subcategory page only its own', () => {
    const top = getBrowsePage(db, { categorySlug: firstIndustry.slug, page: 1 }, now);
    expect(top.listings.items.map((l) => l.id).sort()).toEqual([live.id, demand.id].sort());
    expect(top.categoryChoices.map((c) => c.item.id)).toContain(leafA!.id);
    const leaf = getBrowsePage(db, { categorySlug: leafB!.slug, page: 1 }, now);
    expect(leaf.listings.items.map((l) => l.id)).toEqual([demand.id]);
    expect(leaf.categoryPath.map((c) => c.id)).toEqual([firstIndustry.id, leafB!.id]);
  });

  it('region x category narrows by both', () => {
    const both = getBrowsePage(db, { regionSlug: 'ganzhou', categorySlug: firstIndustry.slug, page: 1 }, now);
    expect(both.listings.items.map((l) => l.id)).toEqual([demand.id]);
    const none = getBrowsePage(db, { regionSlug: 'nanchang', categorySlug: leafB!.slug, page: 1 }, now);
    expect(none.listings.total).toBe(0);
    expect(none.listings.pages).toBe(1);
  });

  it('unknown slugs and pages past the end are not found', () => {
    expect(() => getBrowsePage(db, { regionSlug: 'atlantis', page: 1 }, now)).toThrow(NotFoundError);
    expect(() => getBrowsePage(db, { categorySlug: 'nothing', page: 1 }, now)).toThrow(NotFoundError);
    expect(() => getBrowsePage(db, { regionSlug: 'nanchang', categorySlug: 'nothing', page: 1 }, now)).toThrow(NotFoundError);
    expect(() => getBrowsePage(db, { regionSlug: 'nanchang', page: 2 }, now)).toThrow(NotFoundError);
  });

  it('paginates 20 to a page, newest first', () => {
    const local = freshDb();
    const co = makeCompany(local);
    const ids = Array.from({ length: 45 }, (_, i) => makeListing(local, co.id, { publishedAt: now - i * 60_000 }).id);
    const page = (n: number) => getBrowsePage(local, { regionSlug: 'nanchang', page: n }, now).listings;
    expect(page(1)).toMatchObject({ total: 45, pages: 3, page: 1 });
    expect(page(1).items.map((l) => l.id)).toEqual(ids.slice(0, PAGE_SIZE));
    expect(page(3).items.map((l) => l.id)).toEqual(ids.slice(40));
    expect(() => page(4)).toThrow(NotFoundError);
  });
});

describe('listing page', () => {
  it('gives a live listing with its company, paths and no other hidden listings', () => {
    const page = getListingPage(db, live.id, now);
    expect(page.state).toBe('live');
    expect(page.company.name).toBe('南昌宏达农业有限公司');
    expect(page.regionPath.map((r) => r.slug)).toEqual(['jiangxi', 'nanchang', 'donghu']);
    expect(page.categoryPath.map((c) => c.id)).toEqual([firstIndustry.id, leafA!.id]);
    expect(page.images).toEqual([]);
    expect(page.moreFromCompany).toEqual([]); // the supplier's other listings are all hidden or not live
  });

  it('still answers for expired and closed listings, and says so', () => {
    expect(getListingPage(db, expired.id, now).state).toBe('expired');
    expect(getListingPage(db, expiredByStatus.id, now).state).toBe('expired');
    expect(getListingPage(db, closed.id, now).state).toBe('closed');
  });

  it('is gone for a removed listing and not found for a draft or an unknown id', () => {
    expect(() => getListingPage(db, removed.id, now)).toThrow(GoneError);
    expect(() => getListingPage(db, draft.id, now)).toThrow(NotFoundError);
    expect(() => getListingPage(db, 987_654, now)).toThrow(NotFoundError);
  });
});

describe('company page', () => {
  it('shows the profile and only live listings', () => {
    const page = getCompanyPage(db, supplier.slug, 1, now);
    expect(page.company.verified).toBe(true);
    expect(page.listings.items.map((l) => l.id)).toEqual([live.id]);
    expect(page.regionPath.at(-1)!.slug).toBe('donghu');
  });

  it('is not found for an unknown slug or a page past the end', () => {
    expect(() => getCompanyPage(db, 'no-such-company', 1, now)).toThrow(NotFoundError);
    expect(() => getCompanyPage(db, buyer.slug, 2, now)).toThrow(NotFoundError);
  });

  it('lists the city name for a company whose region is a city itself', () => {
    const co = makeCompany(db, { regionId: nanchang.id });
    expect(getCompanyPage(db, co.slug, 1, now).regionPath.map((r) => r.slug)).toEqual(['jiangxi', 'nanchang']);
  });
});
