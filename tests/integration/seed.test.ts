import { count, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { categories, companies, listings, regions } from '../../db/schema.ts';
import { prepareSite } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { removeDemoData, writeDemoData } from '../../src/server/demo/generate.ts';
import { normalisePhone } from '../../src/server/companies/write.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { categoryBySlug, freshDb, makeCompany, makeListing, makeUser, REFERENCE_FILES, regionBySlug } from '../helpers/db.ts';

const NOW = Date.UTC(2026, 10, 24, 4);
const rows = (db: ReturnType<typeof freshDb>, table: typeof regions | typeof categories | typeof companies | typeof listings) =>
  db.select({ n: count() }).from(table).get()!.n;

describe('reference data', () => {
  it('loads regions and categories, and loading again changes nothing', () => {
    const db = freshDb({ seed: false });
    seedTaxonomy(db, REFERENCE_FILES);
    const before = { regions: db.select().from(regions).all(), categories: db.select().from(categories).all() };
    expect(before.regions).toHaveLength(112);
    seedTaxonomy(db, REFERENCE_FILES);
    expect(db.select().from(regions).all()).toEqual(before.regions);
    expect(db.select().from(categories).all()).toEqual(before.categories);
  });

  it('builds the tree: Ganzhou holds Ruijin, every subcategory has an industry', () => {
    const db = freshDb();
    const { regions: tree, categories: cats } = getTaxonomy(db);
    expect(tree.path(360781).map((r) => r.nameZh)).toEqual(['江西省', '赣州市', '瑞金市']);
    for (const c of cats.byId.values()) {
      if (c.parentId !== null) expect(cats.byId.get(c.parentId)?.parentId).toBeNull();
    }
  });
});

describe('first start', () => {
  const cfg = parseConfig({ DEMO_LISTINGS: '400' });

  it('writes demo data into an empty database, and only then', () => {
    const db = freshDb({ seed: false });
    expect(prepareSite(db, cfg, NOW).demo).toEqual({ companies: 33, listings: 400 });
    expect(rows(db, listings)).toBe(400);
    expect(prepareSite(db, cfg, NOW).demo).toBeNull();
    expect(rows(db, listings)).toBe(400);
    expect(rows(db, companies)).toBe(33);
  });

  it('writes no demo data when DEMO_LISTINGS is 0', () => {
    const db = freshDb({ seed: false });
    expect(prepareSite(db, parseConfig({ DEMO_LISTINGS: '0' }), NOW).demo).toBeNull();
    expect(rows(db, companies)).toBe(0);
    expect(rows(db, regions)).toBe(112);
  });
});

describe('demo data', () => {
  const db = freshDb();
  writeDemoData(db, { listings: 3000, seed: 1, now: NOW });
  const all = db.select().from(listings).all();

  it('is the same for the same seed', () => {
    const again = freshDb();
    writeDemoData(again, { listings: 3000, seed: 1, now: NOW });
    expect(again.select().from(listings).all()).toEqual(all);
    const other = freshDb();
    writeDemoData(other, { listings: 50, seed: 2, now: NOW });
    expect(other.select({ title: listings.title }).from(listings).all()).not.toEqual(all.slice(0, 50).map((l) => ({ title: l.title })));
  });

  it('verifies no demo company and gives each a phone no subscriber can have (area code, then 0000)', () => {
    const cos = db.select().from(companies).all();
    expect(cos.filter((c) => c.verified)).toEqual([]);
    for (const c of cos) {
      expect(c.phone).toMatch(/^0\d{2,3}-0000\d{4}$/);
      // A local number never starts with 0: the site itself refuses this number from a member.
      expect(normalisePhone(c.phone)).toBeNull();
    }
  });

  it('--remove deletes the demo companies and their listings, and keeps members\' companies', () => {
    const site = freshDb();
    writeDemoData(site, { listings: 200, seed: 3, now: NOW });
    const member = makeCompany(site, { ownerId: makeUser(site).id, name: '真实会员企业有限公司' });
    const kept = makeListing(site, member.id, { title: '会员的真实供应信息' });
    const demoCompanies = site.select().from(companies).all().length - 1;
    expect(removeDemoData(site)).toBe(demoCompanies);
    expect(site.select({ id: companies.id }).from(companies).all()).toEqual([{ id: member.id }]);
    expect(site.select({ id: listings.id }).from(listings).all()).toEqual([{ id: kept.id }]);
  });

  it('covers every city, both kinds and every status', () => {
    const { regions: tree } = getTaxonomy(db);
    const cities = new Set(all.map((l) => tree.path(l.regionId)[1]?.id));
    expect(cities.size).toBe(11);
    expect(new Set(all.map((l) => l.kind))).toEqual(new Set(['supply', 'demand']));
    expect(new Set(all.map((l) => l.status))).toEqual(new Set(['active', 'expired', 'closed', 'removed', 'draft']));
  });

  it('keeps live listings unexpired and expired ones past their date', () => {
    for (const l of all) {
      if (l.status === 'active') expect(l.expiresAt!).toBeGreaterThan(NOW);
      if (l.status === 'expired') expect(l.expiresAt!).toBeLessThan(NOW);
      if (l.status === 'draft') expect(l.publishedAt).toBeNull();
    }
  });

  it('writes plausible listings: Chinese titles, slugs, prices in order, known units', () => {
    for (const l of all.slice(0, 300)) {
      expect(l.title).toMatch(/[\u4e00-\u9fff]/);
      expect(l.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(l.description.length).toBeGreaterThan(30);
      if (l.negotiable) expect(l.priceMin).toBeNull();
      else expect(l.priceMax!).toBeGreaterThanOrEqual(l.priceMin!);
      expect(l.priceUnit).not.toBe('');
    }
  });

  it('gives every company a unique slug, a region and listings in its region', () => {
    const cos = db.select().from(companies).all();
    expect(new Set(cos.map((c) => c.slug)).size).toBe(cos.length);
    const first = cos[0]!;
    const theirs = db.select().from(listings).where(eq(listings.companyId, first.id)).all();
    expect(theirs.length).toBeGreaterThan(0);
  });

  it('clusters industries where they are in Jiangxi: ceramics in Jingdezhen, rare earths in Ganzhou', () => {
    // Each company has one industry (that of all its listings) and one city: count companies, not listings, which a
    // few busy companies would sway.
    const companyCity = new Map<number, { industry: number; city: number }>();
    const regionsTree = getTaxonomy(db).regions;
    const cityOf = new Map(db.select().from(companies).all().map((c) => [c.id, regionsTree.path(c.regionId)[1]!.id]));
    for (const l of all) companyCity.set(l.companyId, { industry: l.topCategoryId, city: cityOf.get(l.companyId)! });
    const cos = [...companyCity.values()];
    const share = (city: number, of: typeof cos) => of.filter((c) => c.city === city).length / of.length;
    const jingdezhen = regionBySlug(db, 'jingdezhen').id;
    const ganzhou = regionBySlug(db, 'ganzhou').id;
    const ceramics = cos.filter((c) => c.industry === categoryBySlug(db, 'ceramics').id);
    const rareEarths = cos.filter((c) => c.industry === categoryBySlug(db, 'nonferrous-rare-earth').id);
    expect(share(jingdezhen, ceramics)).toBeGreaterThan(2 * share(jingdezhen, cos));
    expect(share(ganzhou, rareEarths)).toBeGreaterThan(1.5 * share(ganzhou, cos));
  });

  it('gives each company one industry and a few subcategories that fit its name, with nothing else bought or sold', () => {
    const byCompany = new Map<number, Set<number>>();
    for (const l of all) byCompany.set(l.companyId, (byCompany.get(l.companyId) ?? new Set()).add(l.categoryId));
    const cats = getTaxonomy(db).categories;
    for (const [companyId, leaves] of byCompany) {
      const name = db.select({ name: companies.name }).from(companies).where(eq(companies.id, companyId)).get()!.name;
      expect(new Set([...leaves].map((id) => cats.byId.get(id)!.parentId)).size, name).toBe(1);
      expect(leaves.size, name).toBeLessThanOrEqual(3);
    }
    // A name that says what the company sells is kept to it: 门窗 sells doors and windows, 砂石 sand and gravel.
    const named = (word: string, slug: string) => {
      const cos = db.select({ id: companies.id }).from(companies).where(like(companies.name, `%${word}%`)).all();
      for (const c of cos) for (const id of byCompany.get(c.id) ?? []) expect(cats.byId.get(id)!.slug, word).toBe(slug);
    };
    named('门窗', 'doors-windows');
    named('砂石', 'aggregates');
    named('财税咨询', 'accounting-tax');
  });

  it('writes titles that do not repeat the kind badge, and no sentence twice', () => {
    for (const l of all) {
      if (l.kind === 'supply') expect(l.title.replaceAll('供应商', ''), l.title).not.toContain('供应');
      else expect(l.title, l.title).not.toContain('求购');
      const sentences = l.description.split('。').filter(Boolean);
      expect(new Set(sentences).size, l.description).toBe(sentences.length);
    }
    for (const c of db.select().from(companies).all()) {
      const sentences = c.description.split('。').filter(Boolean);
      expect(new Set(sentences).size, c.description).toBe(sentences.length);
      // What it deals in is said once, with one founding year.
      expect(c.description.match(/主营|主要经营|除.*外/g)?.length ?? 0, c.description).toBeLessThanOrEqual(1);
      expect(new Set(c.description.match(/\d{4}年/g) ?? []).size, c.description).toBeLessThanOrEqual(1);
    }
  });

  it('offers services the way services are offered: no stock, factories or shipping', () => {
    const services = categoryBySlug(db, 'business-services').id;
    for (const l of all.filter((x) => x.topCategoryId === services)) {
      expect(l.title + l.description, l.title).not.toMatch(/全国发货|现货|厂家直销|源头厂家|量大从优/);
    }
  });

  it('uses only attributes the category defines', () => {
    const { categories: cats } = getTaxonomy(db);
    for (const l of all) {
      const keys = new Set(cats.byId.get(l.categoryId)!.attributes.map((a) => a.key));
      for (const key of Object.keys(l.attributes)) expect(keys.has(key), `${key} in ${l.categoryId}`).toBe(true);
    }
  });
});
