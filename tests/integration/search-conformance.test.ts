// One list of cases, one set of fixture listings, run against every engine: FTS5 always, Meilisearch whenever
// MEILI_URL is set (its index is a throwaway one named per run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingImages } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { FtsEngine } from '../../src/server/search/fts.ts';
import { searchListings, type SearchResults } from '../../src/server/search/index.ts';
import { rebuildFts, rebuildMeili } from '../../src/server/search/indexer.ts';
import { MeiliEngine } from '../../src/server/search/meili.ts';
import type { SearchEngine } from '../../src/server/search/types.ts';
import { categoryBySlug, DAY, freshDb, makeCompany, makeListing, regionBySlug } from '../helpers/db.ts';

type Key = 'pipe304' | 'sus304' | 'seamless' | 'galv' | 'pe' | 'led' | 'tea' | 'tea2' | 'scaffold';
const NOW = Date.now();

function fixtures(db: Db): Map<number, Key> {
  const a = makeCompany(db, { name: '南昌宏达不锈钢有限公司', slug: 'hongda', verified: true });
  const b = makeCompany(db, { name: '赣州金鑫金属材料有限公司', slug: 'jinxin' });
  const c = makeCompany(db, { name: '九江长江建材贸易公司', slug: 'changjiang' });
  const d = makeCompany(db, { name: '九江庐山茶业有限公司', slug: 'lushan', verified: true });
  const at = (days: number) => ({ publishedAt: NOW - days * DAY, createdAt: NOW - days * DAY, expiresAt: NOW + 30 * DAY });
  const cat = (slug: string) => categoryBySlug(db, slug).id;
  const reg = (slug: string) => regionBySlug(db, slug).id;
  const price = (min: number | null, max = min) => ({ priceMin: min === null ? null : min * 100, priceMax: max === null ? null : max * 100, negotiable: min === null });
  const rows: [Key, ReturnType<typeof makeListing>][] = [
    ['pipe304', makeListing(db, a.id, { title: '304不锈钢管 现货供应', description: '厂家直销，规格齐全。', categoryId: cat('stainless-steel'), regionId: reg('donghu'), ...price(20000), attributes: { grade: '304', thickness: 2 }, ...at(1) })],
    ['sus304', makeListing(db, b.id, { title: 'SUS304冷轧板', description: '宽幅可定开。', categoryId: cat('stainless-steel'), regionId: reg('xihu'), ...price(18000), attributes: { grade: '304', thickness: 5 }, ...at(10) })],
    ['seamless', makeListing(db, b.id, { title: '无缝钢管 Q235B', description: '价格面议。', categoryId: cat('steel-pipe'), regionId: reg('ganzhou'), ...price(null), attributes: { material: 'Q235B', od: 89 }, ...at(2) })],
    ['galv', makeListing(db, c.id, { kind: 'demand', title: '求购热镀锌钢管 DN50', description: '工地急用。', categoryId: cat('steel-pipe'), regionId: reg('jiujiang'), ...price(5000, 6000), ...at(3) })],
    ['pe', makeListing(db, c.id, { title: 'PE管 DN110 给水管', description: '国标给水。', categoryId: cat('plastic-pipes'), regionId: reg('lianxi'), ...price(35), attributes: { material: 'PE100', diameter: 110, pressure: '1.0MPa' }, ...at(4) })],
    ['led', makeListing(db, a.id, { title: 'LED灯珠 2835贴片', description: '高亮。', categoryId: cat('led-lighting'), regionId: reg('donghu'), ...price(0.05), attributes: { color_temp: '4000K' }, ...at(5) })],
    ['tea', makeListing(db, d.id, { title: '庐山云雾茶 明前特级绿茶', description: '高山茶园。', categoryId: cat('tea'), regionId: reg('lianxi'), ...price(800), attributes: { type: '绿茶', grade: '特级', season: '明前' }, ...at(6) })],
    ['tea2', makeListing(db, a.id, { kind: 'demand', title: '求购红茶 一级', description: '长期采购。', categoryId: cat('tea'), regionId: reg('nanchang'), ...price(null), attributes: { type: '红茶', grade: '一级' }, ...at(20) })],
    ['scaffold', makeListing(db, d.id, { title: '脚手架扣件出租', description: '配套钢管一并出租。', categoryId: cat('fasteners'), regionId: reg('jiujiang'), ...price(3), ...at(8) })],
  ];
  // Never found: past expiry, closed, a draft.
  makeListing(db, a.id, { title: '304不锈钢管 过期', categoryId: cat('stainless-steel'), publishedAt: NOW - 40 * DAY, expiresAt: NOW - DAY });
  makeListing(db, a.id, { title: '304不锈钢管 已关闭', categoryId: cat('stainless-steel'), status: 'closed' });
  makeListing(db, a.id, { title: '304不锈钢管 草稿', categoryId: cat('stainless-steel'), status: 'draft' });
  db.insert(listingImages).values({ listingId: rows[0]![1].id, position: 0, hash: 'abc', width: 800, height: 600, createdAt: NOW }).run();
  return new Map(rows.map(([k, l]) => [l.id, k]));
}

interface Case<K extends string = Key> {
  name: string;
  params: Record<string, string>;
  /** Exactly these, in any order. */
  set?: K[];
  /** Exactly these, in this order. */
  order?: K[];
  check?: (r: SearchResults, keys: K[]) => void;
  /** Engines the case holds for (default: all). Meilisearch matches words by prefix only, never inside a word. */
  engines?: ('fts' | 'meili')[];
}

const CASES: Case[] = [
  { name: 'a Chinese word inside longer words (infix)', params: { q: '钢管' }, set: ['pipe304', 'seamless', 'galv', 'scaffold'], engines: ['fts'] },
  {
    name: 'title matches rank above description matches',
    params: { q: '钢管' },
    check: (_r, keys) => {
      expect(keys.slice(0, 3).sort()).toEqual(['galv', 'pipe304', 'seamless']);
      expect(keys.at(-1)).toBe('scaffold');
    },
    engines: ['fts'],
  },
  { name: 'mixed number and Chinese', params: { q: '304不锈钢管' }, set: ['pipe304'] },
  { name: 'a synonym finds the other spelling', params: { q: 'SUS304' }, set: ['pipe304', 'sus304'] },
  { name: 'a synonym group with a longer word', params: { q: '镀锌管' }, set: ['galv'] },
  { name: 'Latin, Chinese and a size', params: { q: 'PE管 DN110' }, set: ['pe'] },
  { name: 'Latin and Chinese with a space', params: { q: 'LED 灯珠' }, set: ['led'] },
  { name: 'full-width and upper case', params: { q: 'ＬＥＤ灯珠' }, set: ['led'] },
  { name: 'company names are searched', params: { q: '宏达' }, set: ['pipe304', 'led', 'tea2'] },
  { name: 'category names are searched', params: { q: '管材管件' }, set: ['pe'] },
  { name: 'attribute values are searched', params: { q: 'Q235B' }, set: ['seamless'] },
  { name: 'nothing matches', params: { q: '不存在的产品名称' }, set: [] },
  { name: 'browse: everything live, newest first', params: {}, order: ['pipe304', 'seamless', 'galv', 'pe', 'led', 'tea', 'scaffold', 'sus304', 'tea2'] },
  { name: 'kind', params: { kind: 'demand' }, set: ['galv', 'tea2'] },
  { name: 'a city includes its counties', params: { region: 'nanchang' }, set: ['pipe304', 'sus304', 'led', 'tea2'] },
  { name: 'a county', params: { region: 'donghu' }, set: ['pipe304', 'led'] },
  { name: 'a region by id', params: { region: '360400' }, set: ['galv', 'pe', 'tea', 'scaffold'] },
  { name: 'an industry includes its subcategories', params: { category: 'steel' }, set: ['pipe304', 'sus304', 'seamless', 'galv', 'scaffold'] },
  { name: 'a subcategory', params: { category: 'stainless-steel' }, set: ['pipe304', 'sus304'] },
  { name: 'query and filters together', params: { q: '304', region: 'xihu' }, set: ['sus304'] },
  { name: 'price range overlaps, negotiable excluded', params: { price_min: '5500', price_max: '19000' }, set: ['sus304', 'galv'] },
  { name: 'verified companies', params: { verified: '1' }, set: ['pipe304', 'led', 'tea2', 'tea', 'scaffold'] },
  { name: 'with pictures', params: { images: '1' }, set: ['pipe304'] },
  { name: 'posted within 7 days', params: { days: '7' }, set: ['pipe304', 'seamless', 'galv', 'pe', 'led', 'tea'] },
  { name: 'a choice attribute', params: { category: 'tea', 'a.type': '绿茶' }, set: ['tea'] },
  { name: 'a number attribute range', params: { category: 'stainless-steel', 'a.thickness.min': '3' }, set: ['sus304'] },
  { name: 'price low to high, negotiable last', params: { category: 'steel', sort: 'price_asc' }, order: ['scaffold', 'galv', 'sus304', 'pipe304', 'seamless'] },
  { name: 'price high to low, negotiable last', params: { category: 'steel', sort: 'price_desc' }, order: ['pipe304', 'sus304', 'galv', 'scaffold', 'seamless'] },
  {
    name: 'facets count each group without its own filter',
    params: { kind: 'demand', region: 'nanchang' },
    check: (r) => {
      expect(r.facets.kind.map((k) => [k.kind, k.count])).toEqual([['supply', 3], ['demand', 1]]);
      expect(Object.fromEntries(r.facets.region.map((f) => [f.item.slug, f.count]))).toEqual({});
      expect(r.total).toBe(1);
    },
  },
  {
    name: 'city and industry facets for a query',
    params: { q: '304' },
    check: (r) => {
      expect(Object.fromEntries(r.facets.region.map((f) => [f.item.slug, f.count]))).toEqual({ nanchang: 2 });
      expect(Object.fromEntries(r.facets.category.map((f) => [f.item.slug, f.count]))).toEqual({ steel: 2 });
    },
  },
  {
    name: 'counties and subcategories within the chosen ones',
    params: { region: 'jiujiang', category: 'steel' },
    check: (r) => {
      expect(Object.fromEntries(r.facets.category.map((f) => [f.item.slug, f.count]))).toEqual({ 'steel-pipe': 1, fasteners: 1 });
      expect(r.facets.region.find((f) => f.item.slug === 'lianxi')).toBeUndefined();
    },
  },
  {
    name: 'attribute facets inside a subcategory',
    params: { category: 'tea' },
    check: (r) => {
      const type = r.facets.attributes.find((a) => a.attribute.key === 'type')!;
      expect(type.values.map((v) => [v.value, v.count])).toEqual([['绿茶', 1], ['红茶', 1]]);
    },
  },
  {
    name: 'highlights the match in title and snippet',
    params: { q: '灯珠' },
    check: (r) => {
      expect(r.hits[0]!.titleHtml).toBe('LED<mark>灯珠</mark> 2835贴片');
    },
  },
  { name: 'a page past the end is empty', params: { page: '2' }, check: (r) => expect(r.hits).toEqual([]) },
];

function engineSuite<K extends string>(
  name: 'fts' | 'meili',
  fixtureSet: (db: Db) => Map<number, K>,
  cases: Case<K>[],
  makeEngine: (db: Db) => Promise<SearchEngine>,
  cleanup?: () => Promise<void>,
) {
  let db: Db;
  let ids: Map<number, K>;
  let engine: SearchEngine;
  beforeAll(async () => {
    db = freshDb();
    ids = fixtureSet(db);
    engine = await makeEngine(db);
  }, 120_000);
  afterAll(async () => cleanup?.());

  for (const c of cases.filter((c) => !c.engines || c.engines.includes(name))) {
    it(c.name, async () => {
      const r = await searchListings(db, c.params, Date.now(), { engine });
      expect(r.engine).toBe(name);
      const keys = r.hits.map((h) => ids.get(h.id)!);
      if (c.set) {
        expect([...keys].sort()).toEqual([...c.set].sort());
        expect(r.total).toBe(c.set.length);
        expect(r.exact).toBe(true);
      }
      if (c.order) expect(keys).toEqual(c.order);
      // A group without its own filter sums to the total.
      if (!c.params.kind) expect(r.facets.kind.reduce((a, k) => a + k.count, 0)).toBe(r.total);
      c.check?.(r, keys);
    });
  }
}

// ---- queries as buyers type them, filter combinations, deep pages ----

type Key2 =
  | 'aluApart' | 'aluTyped' | 'fert' | 'forklift' | 'loader' | 'cable' | 'wire' | 'pole' | 'pvOld' | 'pvDesc1' | 'pvDesc2'
  | 'pvDesc3' | 'pipeSteel' | 'pipePlastic' | `part${number}`;

function buyerFixtures(db: Db): Map<number, Key2> {
  const a = makeCompany(db, { name: '南昌宏达实业有限公司', slug: 'hongda2', verified: true });
  const b = makeCompany(db, { name: '赣州恒通贸易有限公司', slug: 'hengtong' });
  const at = (days: number) => ({ publishedAt: NOW - days * DAY, createdAt: NOW - days * DAY, expiresAt: NOW + 30 * DAY });
  const cat = (slug: string) => categoryBySlug(db, slug).id;
  const reg = (slug: string) => regionBySlug(db, slug).id;
  const price = (min: number | null, max = min) => ({ priceMin: min === null ? null : min * 100, priceMax: max === null ? null : max * 100, negotiable: min === null });
  const rows: [Key2, ReturnType<typeof makeListing>][] = [
    // The compound query's words apart (newer) and as typed (older): as typed first.
    ['aluApart', makeListing(db, a.id, { title: '铝合金断桥门窗 厂家定做', description: '隔音保温。', categoryId: cat('doors-windows'), regionId: reg('donghu'), ...price(600), ...at(1) })],
    ['aluTyped', makeListing(db, b.id, { title: '铝合金门窗 批发', description: '量大从优。', categoryId: cat('doors-windows'), regionId: reg('ganzhou'), ...price(450), ...at(9) })],
    ['fert', makeListing(db, b.id, { kind: 'demand', title: '求购有机生物肥料', description: '长期采购。', categoryId: cat('fertilizers'), regionId: reg('ganzhou'), ...price(2000, 3000), ...at(2) })],
    ['forklift', makeListing(db, a.id, { title: '电动叉车 3吨', description: '原装电池。', categoryId: cat('construction-machinery'), regionId: reg('xihu'), ...price(68000), ...at(3) })],
    ['loader', makeListing(db, b.id, { title: '二手铲车转让', description: '手续齐全。', categoryId: cat('construction-machinery'), regionId: reg('ganzhou'), ...price(90000), ...at(1) })],
    // Typed word older than its synonym; a synonym inside a longer word that names something else.
    ['cable', makeListing(db, a.id, { title: 'YJV电缆 国标', description: '铜芯。', categoryId: cat('wire-cable'), regionId: reg('donghu'), ...price(120), ...at(12) })],
    ['wire', makeListing(db, b.id, { title: 'BV电线 家装', description: '足米。', categoryId: cat('wire-cable'), regionId: reg('ganzhou'), ...price(80), ...at(1) })],
    ['pole', makeListing(db, b.id, { title: '水泥电线杆 出售', description: '12米。', categoryId: cat('fasteners'), regionId: reg('ganzhou'), ...price(900), ...at(1) })],
    // A title equal to the query, older than listings that only mention it in their descriptions.
    ['pvOld', makeListing(db, a.id, { title: '光伏支架', description: '热镀锌。', categoryId: cat('solar-pv'), regionId: reg('donghu'), ...price(30), ...at(25) })],
    ['pvDesc1', makeListing(db, b.id, { title: '不锈钢螺栓', description: '可用于光伏支架安装。', categoryId: cat('fasteners'), regionId: reg('ganzhou'), ...price(1), ...at(1) })],
    ['pvDesc2', makeListing(db, b.id, { title: '铝型材', description: '光伏支架专用型材。', categoryId: cat('aluminum'), regionId: reg('ganzhou'), ...price(20), ...at(2) })],
    ['pvDesc3', makeListing(db, a.id, { kind: 'demand', title: '求购角钢', description: '做光伏支架用。', categoryId: cat('steel'), regionId: reg('donghu'), ...price(null), ...at(4) })],
    // English words on the English site: category names, stemmed.
    ['pipeSteel', makeListing(db, a.id, { title: '无缝钢管 20#', description: '现货。', categoryId: cat('steel-pipe'), regionId: reg('donghu'), ...price(5000), attributes: { od: 89 }, ...at(4) })],
    ['pipePlastic', makeListing(db, b.id, { title: 'PPR给水管', description: '家装。', categoryId: cat('plastic-pipes'), regionId: reg('ganzhou'), ...price(15), ...at(5) })],
  ];
  // Twenty-five of one kind, for deep pages: two pages, the same order either way. Half a day off the day filters'
  // bounds, which move with the clock.
  for (let i = 0; i < 25; i++) {
    rows.push([`part${i}`, makeListing(db, i % 2 ? a.id : b.id, { kind: i % 3 ? 'supply' : 'demand', title: `标准紧固件 型号${i}`, description: '现货。', categoryId: cat('fasteners'), regionId: reg(i % 2 ? 'donghu' : 'ganzhou'), ...price(i + 1), ...at((i % 7) + 0.5) })]);
  }
  return new Map(rows.map(([k, l]) => [l.id, k]));
}

const part = (...n: number[]) => n.map((i) => `part${i}` as const);
// Newest first among the parts: days ago i % 7, then the later id first.
const partsNewest = Array.from({ length: 25 }, (_, i) => i).sort((x, y) => x % 7 - (y % 7) || y - x);

const BUYER_CASES: Case<Key2>[] = [
  { name: 'a compound query finds its words apart, as typed first', params: { q: '铝合金门窗' }, order: ['aluTyped', 'aluApart'], engines: ['fts'] },
  { name: 'a compound word finds its parts apart', params: { q: '有机肥料' }, set: ['fert'], engines: ['fts'] },
  { name: 'a forklift search does not find loaders', params: { q: '叉车' }, set: ['forklift'] },
  { name: 'the typed word before its synonym, whatever their ages', params: { q: '电缆' }, order: ['cable', 'wire'], engines: ['fts'] },
  { name: 'a synonym does not match inside a longer word that names something else', params: { q: '电缆' }, set: ['cable', 'wire'], engines: ['fts'] },
  {
    name: 'a title equal to the query is first, before newer description matches',
    params: { q: '光伏支架' },
    order: ['pvOld', 'pvDesc1', 'pvDesc2', 'pvDesc3'],
  },
  { name: 'English: a category word, singular or plural', params: { q: 'pipe' }, set: ['pipeSteel', 'pipePlastic'] },
  { name: 'English: two words', params: { q: 'steel pipes' }, set: ['pipeSteel'] },
  { name: 'English: a dictionary word to Chinese listings', params: { q: 'seamless' }, set: ['pipeSteel'] },
  { name: 'kind and price', params: { kind: 'supply', price_min: '100', price_max: '1000' }, set: ['aluApart', 'aluTyped', 'cable', 'pole'] },
  { name: 'kind and posted within days', params: { kind: 'demand', days: '3' }, set: ['fert', ...part(0, 9, 15, 21)] },
  { name: 'region, category and kind', params: { region: 'ganzhou', category: 'fasteners', kind: 'supply' }, set: ['pvDesc1', 'pole', ...part(2, 4, 8, 10, 14, 16, 20, 22)] },
  {
    name: 'price and days',
    params: { price_min: '10', price_max: '25', days: '7' },
    set: ['pvDesc2', 'pipePlastic', ...part(9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)],
  },
  { name: 'a number attribute with a query', params: { q: '钢管', category: 'steel-pipe', 'a.od.min': '80', 'a.od.max': '100' }, set: ['pipeSteel'] },
  { name: 'a number attribute excludes listings without it', params: { category: 'steel-pipe', 'a.od.min': '1' }, set: ['pipeSteel'] },
  { name: 'verified and a query', params: { q: '光伏支架', verified: '1' }, set: ['pvOld', 'pvDesc3'] },
  { name: 'query, kind and price: negotiable never matches a price', params: { q: '光伏支架', price_max: '100000' }, set: ['pvOld', 'pvDesc1', 'pvDesc2'] },
  { name: 'deep pages: page 1 newest first', params: { q: '标准紧固件' }, order: part(...partsNewest.slice(0, 20)) },
  { name: 'deep pages: page 2 continues page 1 with no gap or repeat', params: { q: '标准紧固件', page: '2' }, order: part(...partsNewest.slice(20)) },
  { name: 'deep pages by price: page 2', params: { q: '标准紧固件', sort: 'price_desc', page: '2' }, order: part(4, 3, 2, 1, 0) },
];

const ftsEngine = async (db: Db) => {
  rebuildFts(db);
  return new FtsEngine(db);
};

describe('FTS5 conformance', () => {
  engineSuite('fts', fixtures, CASES, ftsEngine);
});

describe('FTS5 conformance: queries as buyers type them, filter combinations, deep pages', () => {
  engineSuite('fts', buyerFixtures, BUYER_CASES, ftsEngine);
});

const meiliUrl = process.env.MEILI_URL;
/** A throwaway Meilisearch index per suite, deleted after. */
function meiliEngine(label: string) {
  let engine: MeiliEngine | undefined;
  return {
    make: async (db: Db) => {
      const key = process.env.MEILI_API_KEY ?? process.env.MEILI_MASTER_KEY;
      engine = new MeiliEngine({ url: meiliUrl!, apiKey: key, index: `conformance_${label}_${process.pid}_${Date.now()}` });
      rebuildFts(db);
      await rebuildMeili(db, engine);
      return engine;
    },
    cleanup: async () => {
      await engine?.client.deleteIndex(engine.settings.index).waitTask();
    },
  };
}

describe.skipIf(!meiliUrl)('Meilisearch conformance (skipped: MEILI_URL not set)', () => {
  const m = meiliEngine('a');
  engineSuite('meili', fixtures, CASES, m.make, m.cleanup);
});

describe.skipIf(!meiliUrl)('Meilisearch conformance: queries as buyers type them (skipped: MEILI_URL not set)', () => {
  const m = meiliEngine('b');
  engineSuite('meili', buyerFixtures, BUYER_CASES, m.make, m.cleanup);
});
