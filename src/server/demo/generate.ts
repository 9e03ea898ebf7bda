// Deterministic demo data: plausible Chinese companies with supply and demand listings in every city and category,
// some expired, closed or removed, so every page and state has something to show.
import fs from 'node:fs';
import { count, gte, isNull, max } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listings, matchOutbox, savedSearchOutbox, type ListingAttributes, type ListingStatus } from '../../../db/schema.ts';
import { analyzeDatabase, type Db } from '../db.ts';
import { fillPlaceholders } from '../i18n/index.ts';
import { listingsMovedInBulk } from '../listings/counts.ts';
import { placeListing } from '../listings/placement.ts';
import { slugify, uniqueSlug } from '../slug.ts';
import { getTaxonomy, type Category, type Region, type Taxonomy } from '../taxonomy/taxonomy.ts';
import { Random } from './random.ts';

export const DEMO_VOCABULARY_FILE = 'db/seed/demo-vocabulary.json';

const range = z.tuple([z.number(), z.number()]);
const vocabularySchema = z.object({
  categories: z.record(
    z.string(),
    z.object({
      products: z.array(z.string()).min(1),
      qualifiers: z.array(z.string()).min(1),
      priceUnit: z.string(),
      quantityUnit: z.string(),
      price: range,
      moq: range,
      attributes: z.record(z.string(), z.union([z.array(z.string()).min(1), range])).default({}),
    }),
  ),
  supplyTitleTemplates: z.array(z.string()).min(1),
  demandTitleTemplates: z.array(z.string()).min(1),
  supplyDescriptions: z.array(z.string()).min(3),
  demandDescriptions: z.array(z.string()).min(3),
  companyNameWords: z.array(z.string()).min(1),
  companyIndustryWords: z.record(z.string(), z.array(z.string()).min(1)),
  /** Cities (by slug) where an industry clusters, e.g. ceramics in Jingdezhen; slugs not in the regions file are ignored. */
  industryCities: z.record(z.string(), z.array(z.string())).default({}),
  companySuffixes: z.array(z.string()).min(1),
  surnames: z.array(z.string()).min(1),
  givenNames: z.array(z.string()).min(1),
  roads: z.array(z.string()).min(1),
  companyDescriptions: z.array(z.string()).min(1),
  /** Subcategories (by slug) a company named with this word deals in, for words that do not name one themselves. */
  companyWordCategories: z.record(z.string(), z.array(z.string()).min(1)).default({}),
  /** Industries (by slug) that sell services: no titles or sentences about stock, factories or shipping. */
  serviceIndustries: z.array(z.string()).default([]),
});
export type Vocabulary = z.infer<typeof vocabularySchema>;

export function readVocabulary(file = DEMO_VOCABULARY_FILE): Vocabulary {
  return vocabularySchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}

const DAY = 86_400_000;
const VALIDITY_DAYS = [7, 30, 90] as const;
const STATUS_WEIGHTS: [ListingStatus, number][] = [
  ['active', 84],
  ['expired', 9],
  ['closed', 4],
  ['removed', 2],
  ['draft', 1],
];
const BATCH = 500;

export interface DemoOptions {
  listings: number;
  seed: number;
  now: number;
  vocabulary?: Vocabulary;
}

/** Prices as people quote them: three significant digits, whole yuan from 10 元 up, else to the jiao. */
export function roundPrice(fen: number): number {
  const step = Math.max(fen >= 1000 ? 100 : 10, 10 ** (Math.floor(Math.log10(Math.max(fen, 1))) - 2));
  return Math.max(step, Math.round(fen / step) * step);
}

function isRange(v: string[] | [number, number]): v is [number, number] {
  return typeof v[0] === 'number';
}

/** Titles and sentences about goods (stock, factories, shipping, samples), which a service company does not write. */
const GOODS_ONLY = /直销|发货|现货|厂家|量大|货源|源头|收购|到货|样品|生产|仓库|验货|看货|到厂|质检|合格|包退|自提|配送|本厂|厂|规格/;
// Characters many names share (业, 材, 机...): an overlap on one of them says nothing about what a company sells.
const GENERIC_CHARS = new Set('业科技品材料制产新型贸易工程服务设备资源机械器电化物');

interface Texts {
  supplyTitles: string[];
  demandTitles: string[];
  supplyDescriptions: string[];
  demandDescriptions: string[];
}

interface Context {
  rnd: Random;
  vocab: Vocabulary;
  taxonomy: Taxonomy;
  now: number;
  cities: Region[];
  cityWeights: number[];
  industries: Category[];
  leavesOf: (top: Category) => Category[];
  takenNames: Set<string>;
  takenSlugs: Set<string>;
  /** The subcategories a company named with a word of an industry deals in (worked out once per word). */
  wordLeaves: Map<string, Category[]>;
  goodsTexts: Texts;
  serviceTexts: Texts;
  serviceIndustryIds: Set<number>;
}

type DemoCompany = typeof companies.$inferInsert & { regionId: number; industry: Category; city: Region; leaves: Category[] };

/**
 * The subcategories that fit a company's name word: those the vocabulary names for it, else those sharing the most
 * telling characters with it (管业: 管材管件; 砂石: 砂石骨料), else (a broad word: 建材, 机械) any of its industry.
 */
function leavesForWord(ctx: Context, industry: Category, word: string): Category[] {
  const key = `${industry.slug}:${word}`;
  let found = ctx.wordLeaves.get(key);
  if (found) return found;
  const leaves = ctx.leavesOf(industry);
  const named = ctx.vocab.companyWordCategories[word];
  const overlap = (leaf: Category) => [...new Set(word)].filter((ch) => !GENERIC_CHARS.has(ch) && leaf.nameZh.includes(ch)).length;
  const best = Math.max(0, ...leaves.map(overlap));
  found = named
    ? leaves.filter((l) => named.includes(l.slug))
    : best > 0
      ? leaves.filter((l) => overlap(l) === best)
      : leaves;
  if (found.length === 0) found = leaves;
  ctx.wordLeaves.set(key, found);
  return found;
}

function textsFor(vocab: Vocabulary, keep: (text: string) => boolean): Texts {
  return {
    supplyTitles: vocab.supplyTitleTemplates.filter(keep),
    demandTitles: vocab.demandTitleTemplates.filter(keep),
    supplyDescriptions: vocab.supplyDescriptions.filter(keep),
    demandDescriptions: vocab.demandDescriptions.filter(keep),
  };
}

function demoCompany(ctx: Context): DemoCompany {
  const { rnd, vocab, taxonomy } = ctx;
  const city = rnd.weighted(ctx.cities, ctx.cityWeights);
  const counties = taxonomy.regions.children(city.id);
  // Urban districts (区) hold more businesses than rural counties.
  const region =
    counties.length > 0 && rnd.chance(0.8) ? rnd.weighted(counties, counties.map((c) => (c.nameZh.endsWith('区') ? 3 : 1))) : city;
  const industry = rnd.weighted(ctx.industries, ctx.industries.map((top) => (vocab.industryCities[top.slug]?.includes(city.slug) ? 8 : 1)));
  const industryWord = rnd.pick(vocab.companyIndustryWords[industry.slug] ?? [industry.nameZh]);
  const makeName = () => `${city.shortZh}${rnd.pick(vocab.companyNameWords)}${industryWord}${rnd.pick(vocab.companySuffixes)}`;
  let name = makeName();
  for (let attempt = 0; attempt < 20 && ctx.takenNames.has(name); attempt++) name = makeName();
  ctx.takenNames.add(name);
  const slug = uniqueSlug(slugify(name), (s) => ctx.takenSlugs.has(s));
  ctx.takenSlugs.add(slug);
  // What the company deals in: one to three subcategories that fit its name; it sells and buys only those.
  const fitting = leavesForWord(ctx, industry, industryWord);
  const leaves = rnd.sample(fitting, Math.min(fitting.length, rnd.int(1, 3)));
  const products = leaves.flatMap((leaf) => rnd.sample(vocab.categories[leaf.slug]!.products, leaves.length === 1 ? 3 : 2));
  const createdAt = ctx.now - rnd.int(30, 3 * 365) * DAY - rnd.int(0, DAY);
  // No demo company is verified: 已认证 is the site's word about a real business. (The draw stays, so a seed
  // still writes the same companies and listings as before.)
  rnd.chance(0.3);
  const verified = false;
  const area = DEMO_AREA_CODES[city.slug] ?? '0791';
  rnd.pick(['3', '5', '7', '8', '9']); // the draw of the former mobile prefix, kept like the one above
  return {
    name,
    slug,
    regionId: region.id,
    address: `${city.nameZh}${region === city ? '' : region.nameZh}${rnd.pick(vocab.roads)}${rnd.int(1, 999)}号`,
    contactName: `${rnd.pick(vocab.surnames)}${rnd.pick(vocab.givenNames)}`,
    // Fictional on purpose: a local number starting 0000 cannot be a subscriber's (0 is the trunk prefix, never
    // the first digit of a local number), so no real person is called from a demo page. The draw is kept as before.
    phone: `${area}-0000${String(rnd.int(0, 9_999)).padStart(4, '0')}`,
    website: '',
    description: companyDescription(ctx, { company: name, city: city.shortZh, year: new Date(createdAt).getUTCFullYear() - rnd.int(0, 15), products: products.join('、') }),
    mainProducts: products.join('、'),
    verified,
    verifiedAt: verified ? createdAt + rnd.int(1, 30) * DAY : null,
    createdAt,
    updatedAt: createdAt,
    industry,
    city,
    leaves,
  };
}

/** Three sentences: one (only one) saying what the company deals in, then two others. One founding year throughout. */
function companyDescription(ctx: Context, values: { company: string; city: string; year: number; products: string }): string {
  // (除{products}外 reads as an aside: it never stands as the one sentence about the products.)
  const aboutProducts = ctx.vocab.companyDescriptions.filter((s) => s.includes('{products}') && !s.startsWith('除'));
  const others = ctx.vocab.companyDescriptions.filter((s) => !s.includes('{products}'));
  return [ctx.rnd.pick(aboutProducts), ...ctx.rnd.sample(others, 2)].map((s) => fillPlaceholders(s, values)).join('');
}

function demoListing(ctx: Context, company: DemoCompany, companyId: number): typeof listings.$inferInsert {
  const { rnd, vocab, taxonomy, now } = ctx;
  const kind = rnd.chance(0.7) ? 'supply' : 'demand';
  // A company sells and buys what it deals in (a trader buys to sell on; a maker buys its own kind of goods).
  const leaf = rnd.pick(company.leaves);
  const words = vocab.categories[leaf.slug]!;
  const texts = ctx.serviceIndustryIds.has(company.industry.id) ? ctx.serviceTexts : ctx.goodsTexts;
  const values = {
    product: rnd.pick(words.products),
    qualifier: rnd.pick(words.qualifiers),
    city: company.city.shortZh,
    company: company.name,
    quantityUnit: words.quantityUnit,
    moq: rnd.int(words.moq[0], words.moq[1]),
  };
  const title = fillPlaceholders(rnd.pick(kind === 'supply' ? texts.supplyTitles : texts.demandTitles), values);
  const description = rnd
    .sample(kind === 'supply' ? texts.supplyDescriptions : texts.demandDescriptions, rnd.int(3, 5))
    .map((s) => fillPlaceholders(s, values))
    .join('');

  const attributes: ListingAttributes = {};
  for (const attr of leaf.attributes) {
    const choices = words.attributes[attr.key];
    if (!choices || rnd.chance(0.15)) continue;
    attributes[attr.key] = isRange(choices) ? rnd.int(choices[0], choices[1]) : rnd.pick(choices);
  }

  const negotiable = rnd.chance(kind === 'demand' ? 0.5 : 0.15);
  const unitPrice = roundPrice(rnd.int(words.price[0] * 100, words.price[1] * 100));
  const priceMax = rnd.chance(0.3) ? roundPrice(unitPrice * (1 + rnd.int(5, 40) / 100)) : unitPrice;

  const status = rnd.weighted(
    STATUS_WEIGHTS.map(([s]) => s),
    STATUS_WEIGHTS.map(([, w]) => w),
  );
  const validity = rnd.pick(VALIDITY_DAYS) * DAY;
  // Live listings were posted inside their validity; expired ones before it ran out.
  const age = status === 'expired' ? validity + rnd.int(1, 60) * DAY : Math.floor(rnd.next() ** 2 * (validity - DAY));
  const publishedAt = now - age - rnd.int(0, DAY - 1);
  const edited = rnd.chance(0.2);
  return {
    companyId,
    kind,
    title,
    slug: slugify(title),
    description,
    ...placeListing(
      taxonomy,
      rnd.chance(0.9) ? company.regionId : rnd.pick(taxonomy.regions.children(company.city.id).concat(company.city)).id,
      leaf.id,
    ),
    priceMin: negotiable ? null : unitPrice,
    priceMax: negotiable ? null : priceMax,
    priceUnit: words.priceUnit,
    negotiable,
    quantity: rnd.chance(0.7) ? values.moq * rnd.int(5, 200) : null,
    quantityUnit: words.quantityUnit,
    moq: kind === 'supply' ? values.moq : null,
    attributes,
    status,
    views: rnd.int(0, 500),
    createdAt: publishedAt,
    updatedAt: edited ? Math.min(now, publishedAt + rnd.int(1, 5) * DAY) : publishedAt,
    publishedAt: status === 'draft' ? null : publishedAt,
    expiresAt: status === 'draft' ? null : publishedAt + validity,
  };
}

/** Writes companies and listings into a database whose taxonomy is seeded; returns how many of each. */
export function writeDemoData(db: Db, opts: DemoOptions): { companies: number; listings: number } {
  const vocab = opts.vocabulary ?? readVocabulary();
  const taxonomy = getTaxonomy(db);
  const cities = taxonomy.regions.children(taxonomy.rootRegion.id);
  const industries = taxonomy.categories.roots.filter((top) => taxonomy.categories.children(top.id).length > 0);
  const leavesOf = (top: Category) => taxonomy.categories.children(top.id).filter((c) => vocab.categories[c.slug]);
  const allLeaves = industries.flatMap(leavesOf);
  if (allLeaves.length === 0) throw new Error('The demo vocabulary covers none of the seeded categories.');
  const existing = db.select({ name: companies.name, slug: companies.slug }).from(companies).all();
  const ctx: Context = {
    rnd: new Random(opts.seed),
    vocab,
    taxonomy,
    now: opts.now,
    cities,
    // Bigger cities (more counties) get more businesses, and the first (the capital) twice its share.
    cityWeights: cities.map((c, i) => (taxonomy.regions.children(c.id).length + 3) * (i === 0 ? 2 : 1)),
    industries,
    leavesOf,
    takenNames: new Set(existing.map((r) => r.name)),
    takenSlugs: new Set(existing.map((r) => r.slug)),
    wordLeaves: new Map(),
    goodsTexts: textsFor(vocab, () => true),
    serviceTexts: textsFor(vocab, (text) => !GOODS_ONLY.test(text)),
    serviceIndustryIds: new Set(industries.filter((top) => vocab.serviceIndustries.includes(top.slug)).map((top) => top.id)),
  };
  const demoCompanies = Array.from({ length: Math.max(10, Math.round(opts.listings / 12)) }, () => demoCompany(ctx));

  const written = db.transaction(
    (tx) => {
      const companyIds: number[] = [];
      for (let i = 0; i < demoCompanies.length; i += BATCH) {
        const rows = demoCompanies.slice(i, i + BATCH).map(({ industry: _i, city: _c, ...row }) => row);
        companyIds.push(...tx.insert(companies).values(rows).returning({ id: companies.id }).all().map((r) => r.id));
      }
      const firstListingId = (tx.select({ id: max(listings.id) }).from(listings).get()?.id ?? 0) + 1;
      let batch: (typeof listings.$inferInsert)[] = [];
      for (let i = 0; i < opts.listings; i++) {
        // A few companies post a lot, most a little: square the draw towards the front of the list.
        const ci = Math.floor(ctx.rnd.next() ** 2 * demoCompanies.length);
        batch.push(demoListing(ctx, demoCompanies[ci]!, companyIds[ci]!));
        if (batch.length === BATCH || i === opts.listings - 1) {
          tx.insert(listings).values(batch).run();
          batch = [];
        }
      }
      // Made-up listings have nobody to tell: the matching triggers queued them, the demo takes them back.
      tx.delete(matchOutbox).where(gte(matchOutbox.listingId, firstListingId)).run();
      tx.delete(savedSearchOutbox).where(gte(savedSearchOutbox.listingId, firstListingId)).run();
      return { companies: demoCompanies.length, listings: opts.listings };
    },
    { behavior: 'immediate' },
  );
  analyzeDatabase(db);
  listingsMovedInBulk(db);
  return written;
}

/** Area codes of Jiangxi's cities, for the demo phones (another province's cities fall back to Nanchang's). */
const DEMO_AREA_CODES: Record<string, string> = {
  nanchang: '0791', jingdezhen: '0798', pingxiang: '0799', jiujiang: '0792', xinyu: '0790', yingtan: '0701',
  ganzhou: '0797', jian: '0796', yichun: '0795', fuzhou: '0794', shangrao: '0793',
};

/** Deletes the demo companies (those nobody owns) and, by cascade, their listings; members' companies stay. */
export function removeDemoData(db: Db): number {
  const removed = db.transaction((tx) => tx.delete(companies).where(isNull(companies.ownerId)).run().changes, { behavior: 'immediate' });
  listingsMovedInBulk(db);
  return removed;
}

export function isEmpty(db: Db): boolean {
  return (db.select({ n: count() }).from(companies).get()?.n ?? 0) === 0;
}

/** Deletes every company and (by cascade) listing; the reference data stays. */
export function deleteDemoData(db: Db): void {
  db.transaction((tx) => void tx.delete(companies).run(), { behavior: 'immediate' });
  listingsMovedInBulk(db);
}
