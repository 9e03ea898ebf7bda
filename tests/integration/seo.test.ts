// Sitemaps, feeds and similar listings read from a real SQLite file.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, listings } from '../../db/schema.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { forgetCounts } from '../../src/server/listings/counts.ts';
import { similarListings } from '../../src/server/listings/queries.ts';
import { getFeed } from '../../src/server/seo/feed.ts';
import { getSitemapFile, getSitemapIndex, sitemapFiles } from '../../src/server/seo/sitemap.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { checkXml, xmlTexts } from '../helpers/xml.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser, regionBySlug } from '../helpers/db.ts';

const SITE = 'https://example.cn';
const db = freshDb();
const now = Date.now();
const donghu = regionBySlug(db, 'donghu');
const ruijin = regionBySlug(db, 'ruijin');
const industry = getTaxonomy(db).categories.roots[0]!;
const [leafA, leafB] = getTaxonomy(db).categories.children(industry.id);

// A member's company: demo companies (nobody's) stay out of the sitemaps (see the last test).
const company = makeCompany(db, { name: '南昌宏达农业有限公司', regionId: donghu.id, updatedAt: now - 5 * DAY, ownerId: makeUser(db).id });
const live = makeListing(db, company.id, { title: '供应优质早籼稻 & 晚稻', categoryId: leafA!.id, regionId: donghu.id, updatedAt: now - 2 * DAY });
const other = makeListing(db, company.id, { kind: 'demand', title: '求购晚稻 500 吨', categoryId: leafB!.id, regionId: ruijin.id });
const expired = makeListing(db, company.id, { title: '过期的早籼稻', categoryId: leafA!.id, regionId: donghu.id, expiresAt: now - DAY });
const removed = makeListing(db, company.id, { title: '已删除的信息', status: 'removed', categoryId: leafA!.id });
// A listing far in the ids: chunks are packed by count, so it shares the first chunk (ids hold no URL of their own).
const far = makeListing(db, company.id, { id: 50_001, title: '第二块的信息', categoryId: leafA!.id, regionId: donghu.id, updatedAt: now - 3 * DAY });
forgetCounts(db);

const body = (name: string) => [...getSitemapFile(db, SITE, name, now).body()].join('');

describe('sitemap index', () => {
  it('points to the hub sitemaps, the company chunks that list a company, and the listing chunks packed by count', () => {
    expect(sitemapFiles(db, now).map((f) => f.name)).toEqual([
      'regions.xml',
      'categories.xml',
      'region-categories.xml',
      'companies-0.xml',
      'listings-0.xml',
    ]);
    const { xml } = getSitemapIndex(db, SITE, now);
    expect(checkXml(xml).errors).toEqual([]);
    expect(xmlTexts(xml, 'loc')).toContain(`${SITE}/sitemaps/listings-0.xml`);
  });

  it('dates a listing chunk in the index by the version it was last served with', () => {
    const lastmodOf = (name: string) => sitemapFiles(db, now).find((f) => f.name === name)!.lastmod;
    const served = getSitemapFile(db, SITE, 'listings-0', now);
    getSitemapFile(db, SITE, 'companies-0', now);
    expect(served.lastmod).toBe(Math.max(live.updatedAt, other.updatedAt, far.updatedAt));
    expect(lastmodOf('listings-0.xml')).toBe(served.lastmod);
    expect(lastmodOf('companies-0.xml')).toBe(company.updatedAt);
    // Ten minutes on, that version is no longer trusted and the index leaves lastmod out.
    expect(sitemapFiles(db, now + 11 * 60_000).find((f) => f.name === 'listings-0.xml')!.lastmod).toBeNull();
  });
});

describe('listing sitemaps', () => {
  it('list only live listings, by canonical absolute URL, dated by their last update', () => {
    const xml = body('listings-0');
    expect(checkXml(xml).errors).toEqual([]);
    const locs = xmlTexts(xml, 'loc');
    expect(locs).toEqual([`${SITE}/listing/${live.id}-${live.slug}`, `${SITE}/listing/${other.id}-${other.slug}`, `${SITE}/listing/50001-${far.slug}`]);
    expect(locs.join()).not.toContain(`/listing/${expired.id}-`);
    expect(locs.join()).not.toContain(`/listing/${removed.id}-`);
    expect(xmlTexts(xml, 'lastmod')[0]).toBe(new Date(live.updatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('answer chunks past the last (listings) or the highest id (companies), and unknown names, with NotFound', () => {
    expect(() => getSitemapFile(db, SITE, 'listings-1', now)).toThrow(NotFoundError);
    expect(() => getSitemapFile(db, SITE, 'companies-1', now)).toThrow(NotFoundError);
    expect(() => getSitemapFile(db, SITE, 'users-0', now)).toThrow(NotFoundError);
  });

  it('change their ETag when a listing in the chunk changes or expires', () => {
    const before = getSitemapFile(db, SITE, 'listings-0', now).etag;
    expect(getSitemapFile(db, SITE, 'listings-0', now).etag).toBe(before);
    db.update(listings).set({ updatedAt: now }).where(eq(listings.id, other.id)).run();
    const edited = getSitemapFile(db, SITE, 'listings-0', now).etag;
    expect(edited).not.toBe(before);
    db.update(listings).set({ expiresAt: now - 1 }).where(eq(listings.id, other.id)).run();
    expect(getSitemapFile(db, SITE, 'listings-0', now).etag).not.toBe(edited);
    db.update(listings).set({ expiresAt: other.expiresAt, updatedAt: other.updatedAt }).where(eq(listings.id, other.id)).run();
    expect(getSitemapFile(db, SITE, 'listings-0', now).etag).toBe(before);
  });
  it('leave a chunk out of the index once its listings have all expired, before the sweep marks them', () => {
    const later = Math.max(live.expiresAt!, other.expiresAt!, far.expiresAt!) + 1;
    expect(sitemapFiles(db, later).map((f) => f.name)).not.toContain('listings-0.xml');
    expect(() => getSitemapFile(db, SITE, 'listings-0', later)).toThrow(NotFoundError);
  });
});

describe('demo data and the sitemaps', () => {
  it('leaves out demo companies (nobody owns them) and their listings, whose pages are noindex', () => {
    const demo = makeCompany(db, { name: '九江示例建材有限公司', regionId: donghu.id });
    const sample = makeListing(db, demo.id, { title: '示例信息', categoryId: leafA!.id, regionId: donghu.id });
    expect(body('listings-0')).not.toContain(`/listing/${sample.id}-`);
    expect(body('listings-0')).toContain(`/listing/${live.id}-`);
    expect(body('companies-0')).not.toContain(`/company/${demo.slug}<`);
    expect(body('companies-0')).toContain(`/company/${company.slug}<`);
    db.delete(listings).where(eq(listings.id, sample.id)).run();
    db.delete(companies).where(eq(companies.id, demo.id)).run();
  });
});

describe('hub sitemaps', () => {
  it('list the company, every region and category, and only region x category pages that have listings', () => {
    expect(xmlTexts(body('companies-0'), 'loc')).toEqual([`${SITE}/company/${company.slug}`]);
    const regions = xmlTexts(body('regions'), 'loc');
    expect(regions).toContain(`${SITE}/`);
    expect(regions).toContain(`${SITE}/region/ganzhou`);
    expect(regions).toHaveLength(2 + getTaxonomy(db).regions.byId.size);
    expect(xmlTexts(body('categories'), 'loc')).toContain(`${SITE}/category/${leafA!.slug}`);
    const pairs = xmlTexts(body('region-categories'), 'loc');
    expect(pairs).toContain(`${SITE}/region/donghu/${leafA!.slug}`);
    expect(pairs).toContain(`${SITE}/region/nanchang/${industry.slug}`);
    expect(pairs).toContain(`${SITE}/region/ruijin/${leafB!.slug}`);
    expect(pairs).not.toContain(`${SITE}/region/ruijin/${leafA!.slug}`);
    expect(pairs.some((p) => p.startsWith(`${SITE}/region/jiangxi/`))).toBe(false);
  });
});

describe('feeds', () => {
  const opts = { siteUrl: SITE, siteName: '江西供求信息网', locale: 'zh-CN' as const, t: translator('zh-CN') };

  it('site-wide: the newest live listings, escaped, well-formed', () => {
    const { xml } = getFeed(db, opts, now);
    expect(checkXml(xml).errors).toEqual([]);
    const links = xmlTexts(xml, 'link');
    expect(links[0]).toBe(`${SITE}/`);
    expect(links.slice(1).sort()).toEqual([live, other, far].map((l) => `${SITE}/listing/${l.id}-${l.slug}`).sort());
    expect(xmlTexts(xml, 'title')).toContain('供应 供应优质早籼稻 & 晚稻');
  });

  it('per region and per category, and NotFound for unknown ones', () => {
    const region = getFeed(db, { ...opts, regionSlug: 'ruijin' }, now).xml;
    expect(xmlTexts(region, 'link').slice(1)).toEqual([`${SITE}/listing/${other.id}-${other.slug}`]);
    expect(xmlTexts(region, 'title')[0]).toBe('瑞金市最新供求信息 - 江西供求信息网');
    const category = getFeed(db, { ...opts, categorySlug: leafB!.slug }, now).xml;
    expect(xmlTexts(category, 'link').slice(1)).toEqual([`${SITE}/listing/${other.id}-${other.slug}`]);
    expect(() => getFeed(db, { ...opts, regionSlug: 'atlantis' }, now)).toThrow(NotFoundError);
    expect(() => getFeed(db, { ...opts, categorySlug: 'nothing' }, now)).toThrow(NotFoundError);
  });
});

describe('similar listings for a listing that is no longer live', () => {
  it('offers live listings of the same subcategory, the same city first, never itself', () => {
    const elsewhere = makeListing(db, company.id, { title: '瑞金早籼稻', categoryId: leafA!.id, regionId: ruijin.id, publishedAt: now - 1000 });
    const ids = similarListings(db, expired, 8, now).map((l) => l.id);
    expect(ids).not.toContain(expired.id);
    expect(ids).not.toContain(removed.id);
    expect(ids).not.toContain(other.id);
    expect(ids.indexOf(live.id)).toBeLessThan(ids.indexOf(elsewhere.id));
    expect(new Set(ids)).toEqual(new Set([live.id, far.id, elsewhere.id]));
  });
});
