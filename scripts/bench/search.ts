// Search figures at scale (`npm run bench -- --search-listings 1000000 --search-only`, or straight:
// `tsx scripts/bench/search.ts --listings 200000 [--data-dir DIR] [--rounds 5] [--no-server]`):
//  - exactness: filtered searches paged to the page limit and compared with brute force (scripts/bench/search-truth.ts):
//    recall, false matches, order, total error per query;
//  - latency of the whole search service (engine, facets, hydration, highlighting) over a query mix with filtered and
//    deep-page queries: its first round (nothing kept), the warm rounds, and as many rounds again with a write to the
//    index before each search (what a site taking listings sees), wall and CPU time; suggestions; how soon a committed
//    listing is searchable; a full FTS5 rebuild;
//  - recall and ordering on a labelled set of queries (search-labelled.json);
//  - the database size and the built server's memory while it searches.
// With --data-dir, a folder whose site.db already holds demo data is reused (generating a million listings takes
// minutes); without, demo data is written into a temporary folder and deleted after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count, eq } from 'drizzle-orm';
import { listings } from '../../db/schema.ts';
import { openDatabase, type Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { MAX_PAGE, PAGE_SIZE } from '../../src/server/pagination.ts';
import { allDocuments, documentsFor } from '../../src/server/search/documents.ts';
import { facetColumns } from '../../src/server/search/facet-columns.ts';
import { ftsApply, ftsDropRetiredStep } from '../../src/server/search/fts.ts';
import { searchListings, suggest } from '../../src/server/search/index.ts';
import { ensureSearchIndex, rebuildFts, startIndexer } from '../../src/server/search/indexer.ts';
import { enqueueSearchUpdate } from '../../src/server/search/outbox.ts';
import { normalize } from '../../src/server/search/text.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { args, machine, runCli } from '../lib/cli.ts';
import { startServer } from '../lib/server-process.ts';
import { liveRows, matches, ranked, truthOrder, type Params, type Ranked } from './search-truth.ts';
import { segmentationRecall, SEGMENTATION_QUERIES } from './segmentation.ts';

/** The searches and more: each filter, and combinations, with and without words. */
export const EXACTNESS: Params[] = [
  { q: '采购', kind: 'supply' },
  { kind: 'demand', price_min: '5000', price_max: '6000' },
  { q: '有限', kind: 'demand', price_min: '100', price_max: '900' },
  { q: '设备', kind: 'demand', price_max: '20000' },
  { q: '钢管', kind: 'demand' },
  { q: '钢管' },
  { q: '现货', price_max: '100', sort: 'price_asc' },
  { q: '钢', days: '3' },
  { region: 'nanchang', days: '7', kind: 'supply' },
  { category: 'plastic-pipes', 'a.diameter.min': '100', 'a.diameter.max': '200' },
  { category: 'tea', 'a.grade': '特级', verified: '1' },
  { region: 'ganzhou', category: 'steel', sort: 'price_desc' },
];

/** The timed mix: [label, query string]. */
export const QUERY_MIX: [string, string][] = [
  ['narrow', 'q=赣南脐橙'],
  ['narrow', 'q=碳酸锂'],
  ['narrow', 'q=304不锈钢管'],
  ['narrow', 'q=PE管 DN110'],
  ['narrow', 'q=LED 灯珠'],
  ['narrow', 'q=铝合金门窗'],
  ['narrow-synonym', 'q=SUS304'],
  ['narrow-synonym', 'q=镀锌管'],
  ['english', 'q=steel pipe'],
  ['broad-char', 'q=钢'],
  ['broad-char', 'q=油'],
  ['broad-char', 'q=管'],
  ['broad-word', 'q=现货'],
  ['broad-word', 'q=批发'],
  ['broad-word', 'q=厂家直销'],
  ['filtered', 'q=钢管&region=nanchang&kind=supply'],
  ['filtered', 'q=大米&category=grain-oil&price_min=3000&price_max=6000'],
  ['filtered', 'q=茶&region=ganzhou&verified=1&days=30'],
  ['filtered', 'q=采购&kind=supply'],
  ['filtered', 'kind=demand&price_min=5000&price_max=6000'],
  ['filtered', 'q=有限&kind=demand&price_min=100&price_max=900'],
  ['filtered', 'q=设备&kind=demand&price_max=20000'],
  ['filtered', 'category=plastic-pipes&a.diameter.min=100&a.diameter.max=200'],
  ['facet-heavy', 'region=jiujiang&category=steel&kind=demand'],
  ['facet-heavy', 'category=tea&a.grade=特级&a.season=明前'],
  ['facet-heavy', 'q=现货&region=yichun&category=lithium-batteries'],
  ['browse', ''],
  ['browse', 'sort=price_asc&category=ceramics'],
  ['deep-page', 'q=供应&page=40'],
  ['deep-page', 'q=钢&sort=price_desc&page=25'],
  ['deep-page', 'q=钢管&kind=demand&page=30'],
  ['deep-page', 'kind=demand&days=7&page=100'],
];
const SUGGEST_MIX = ['钢', '钢管', '不锈', 'le', 'led', '脐', '赣南', '碳酸', '茶', '瓷', 'pe', '光伏', '锂', '米粉', '水泥', '江西', '南昌', '羽绒', '化', '电'];

function percentile(sorted: number[], p: number): number {
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2));
}
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: Number(s[s.length - 1]!.toFixed(2)) };
};
const round = (n: number, digits = 4) => Number(n.toFixed(digits));

async function timeQueries(db: Db, rounds: number) {
  const all: number[] = [];
  const cpu: number[] = [];
  const first: number[] = [];
  const firstCpu: number[] = [];
  const byLabel: Record<string, number[]> = {};
  const perQuery: Record<string, { ms: number; cpuMs: number; total: number; exact: boolean; facetsExact: boolean }> = {};
  for (let r = 0; r <= rounds; r++) {
    for (const [label, qs] of QUERY_MIX) {
      const t = performance.now();
      const c = process.cpuUsage();
      const res = await searchListings(db, new URLSearchParams(qs), Date.now());
      const ms = performance.now() - t;
      const used = process.cpuUsage(c);
      // The first round is reported apart: the first touch of each page of the file, and the broad words' matches
      // read out of FTS5 before they are kept (fts.ts textKeys).
      if (r === 0) {
        first.push(ms);
        firstCpu.push((used.user + used.system) / 1000);
        continue;
      }
      all.push(ms);
      cpu.push((used.user + used.system) / 1000);
      (byLabel[label] ??= []).push(ms);
      perQuery[qs || '(empty)'] = { ms: round(ms, 2), cpuMs: round((used.user + used.system) / 1000, 2), total: res.total, exact: res.exact, facetsExact: res.facetsExact };
    }
  }
  // As many rounds again with a write to the index before each search (a different listing put in again each time,
  // as an edit does): this is the mix on a site taking writes between searches, where what a search holds (its counts,
  // kept text matches) is patched with the keys written since rather than read again.
  const afterWrite: number[] = [];
  const afterWriteCpu: number[] = [];
  const live = db.select({ id: listings.id }).from(listings).where(eq(listings.status, 'active')).limit(QUERY_MIX.length * rounds).all();
  for (let r = 0; r < rounds; r++) {
    for (const [i, [, qs]] of QUERY_MIX.entries()) {
      const id = live[(r * QUERY_MIX.length + i) % live.length]!.id;
      ftsApply(db, documentsFor(db, [id], Date.now()), [id]);
      const t = performance.now();
      const c = process.cpuUsage();
      await searchListings(db, new URLSearchParams(qs), Date.now());
      const used = process.cpuUsage(c);
      afterWrite.push(performance.now() - t);
      afterWriteCpu.push((used.user + used.system) / 1000);
    }
  }
  // CPU time of this process per search: what the search itself cost, apart from waiting for a core on a busy machine.
  return {
    all: summary(all),
    cpuMs: summary(cpu),
    firstRound: summary(first),
    firstRoundCpuMs: summary(firstCpu),
    afterEachWrite: summary(afterWrite),
    afterEachWriteCpuMs: summary(afterWriteCpu),
    byKind: Object.fromEntries(Object.entries(byLabel).map(([k, v]) => [k, summary(v)])),
    lastRound: perQuery,
  };
}

/** Commit to searchable, several times (the first includes first-use costs): the worst, and every sample. */
async function freshness(db: Db, samples = 5): Promise<{ msUntilSearchable: number; samplesMs: number[] }> {
  const samplesMs: number[] = [];
  for (let s = 0; s < samples; s++) samplesMs.push((await freshnessSample(db, s)).msUntilSearchable);
  return { msUntilSearchable: samplesMs.includes(-1) ? -1 : Math.max(...samplesMs), samplesMs };
}

async function freshnessSample(db: Db, sample: number): Promise<{ msUntilSearchable: number }> {
  const stop = startIndexer(db);
  try {
    const template = db.select().from(listings).where(eq(listings.status, 'active')).limit(1).get()!;
    const title = `基准测试新品独特标题${Date.now().toString(36)}${sample}`;
    const started = performance.now();
    db.transaction(
      (tx) => {
        const { id: _id, ...rest } = template;
        const row = tx.insert(listings).values({ ...rest, title, importKey: null, publishedAt: Date.now(), expiresAt: Date.now() + 30 * 86_400_000 }).returning().get();
        enqueueSearchUpdate(tx, [row.id], Date.now());
      },
      { behavior: 'immediate' },
    );
    for (;;) {
      const r = await searchListings(db, { q: title }, Date.now());
      if (r.total > 0) return { msUntilSearchable: round(performance.now() - started, 1) };
      if (performance.now() - started > 10_000) return { msUntilSearchable: -1 };
      await new Promise((res) => setImmediate(res));
    }
  } finally {
    await stop();
  }
}

interface Labelled {
  q: string;
  categories: string[];
  words?: string[];
  anyOf?: string[];
  type: string;
}
const LABELLED: Labelled[] = (
  JSON.parse(fs.readFileSync(new URL('./search-labelled.json', import.meta.url), 'utf8')) as { queries: Labelled[] }
).queries;
/**
 * Recall is measured on the first N results of a labelled query within its categories, against the first N relevant
 * listings in the promised order (the query as typed in a title first, then newest first).
 */
const RECALL_DEPTH = 200;

/** Every live listing read once: the true matches of each exactness search and of each labelled query. */
function truths(db: Db, now: number) {
  const taxonomy = getTaxonomy(db);
  const exact = EXACTNESS.map(() => [] as Ranked[]);
  const labelledCats = LABELLED.map((l) => new Set(l.categories.map((slug) => taxonomy.categories.bySlug.get(slug)?.id)));
  const labelled = LABELLED.map(() => [] as Ranked[]);
  let live = 0;
  for (const row of liveRows(db, now)) {
    live++;
    EXACTNESS.forEach((p, i) => {
      if (matches(taxonomy, now, row, p)) exact[i]!.push(ranked(row, p));
    });
    LABELLED.forEach((l, i) => {
      if (!labelledCats[i]!.has(row.categoryId)) return;
      const title = row.fields.title;
      const relevant = l.anyOf ? l.anyOf.some((w) => title.includes(normalize(w))) : (l.words ?? []).every((w) => title.includes(normalize(w)));
      // The engine promises the query as typed in a title first: so does the expected order.
      if (relevant) labelled[i]!.push({ ...ranked(row, {}), tier: title.includes(normalize(l.q)) ? 0 : 1 });
    });
  }
  return { live, exact, labelled };
}

async function pagedIds(db: Db, p: Params, now: number, maxPages: number): Promise<{ ids: number[]; total: number; exact: boolean }> {
  const first = await searchListings(db, p, now);
  const ids = first.hits.map((h) => h.id);
  for (let page = 2; page <= Math.min(first.pages, maxPages); page++) {
    ids.push(...(await searchListings(db, { ...p, page: String(page) }, now)).hits.map((h) => h.id));
  }
  return { ids, total: first.total, exact: first.exact };
}

async function exactness(db: Db, now: number, truth: Ranked[][]) {
  const out = [];
  for (const [i, p] of EXACTNESS.entries()) {
    const rows = truth[i]!;
    const expected = truthOrder(p, rows).slice(0, MAX_PAGE * PAGE_SIZE);
    const all = new Set(rows.map((r) => r.id));
    const got = await pagedIds(db, p, now, MAX_PAGE);
    const found = got.ids.filter((id) => all.has(id)).length;
    out.push({
      search: new URLSearchParams(p).toString() || '(browse)',
      trueMatches: rows.length,
      reportedTotal: got.total,
      totalExact: got.exact,
      totalError: rows.length === 0 ? 0 : round((got.total - rows.length) / rows.length),
      reachable: got.ids.length,
      recall: round(found / Math.max(1, expected.length)),
      falseMatches: got.ids.length - found,
      sameOrder: got.ids.length === expected.length && got.ids.every((id, k) => id === expected[k]),
    });
  }
  return out;
}

async function labelledSet(db: Db, now: number, truth: Ranked[][]) {
  const taxonomy = getTaxonomy(db);
  const perType: Record<string, { queries: number; recall: number[]; precisionAt20: number[]; typedFirst: number }> = {};
  const misses: string[] = [];
  for (const [i, l] of LABELLED.entries()) {
    const t = (perType[l.type] ??= { queries: 0, recall: [], precisionAt20: [], typedFirst: 0 });
    t.queries++;
    const cats = new Set(l.categories.map((slug) => taxonomy.categories.bySlug.get(slug)?.id));
    // Recall: the relevant listings among the first results within the labelled categories.
    const relevant = truth[i]!;
    if (relevant.length > 0) {
      const found = new Set<number>();
      for (const slug of l.categories) {
        for (const id of (await pagedIds(db, { q: l.q, category: slug }, now, RECALL_DEPTH / PAGE_SIZE)).ids) found.add(id);
      }
      const want = truthOrder({ q: l.q }, relevant).slice(0, RECALL_DEPTH);
      const r = want.filter((id) => found.has(id)).length / want.length;
      t.recall.push(r);
      if (r < 1) misses.push(`${l.q}: recall ${round(r, 3)}`);
    }
    // Page 1 of the plain query: how much is in the labelled categories, and whether the query as typed in a title
    // comes before everything else.
    const page = await searchListings(db, { q: l.q }, now);
    if (page.hits.length > 0) t.precisionAt20.push(page.hits.filter((h) => cats.has(h.categoryId)).length / page.hits.length);
    const typed = page.hits.map((h) => normalize(h.title).includes(normalize(l.q)));
    if (typed.every((x, k) => k === 0 || x <= typed[k - 1]!)) t.typedFirst++;
  }
  const mean = (xs: number[]) => (xs.length === 0 ? null : round(xs.reduce((a, b) => a + b, 0) / xs.length, 3));
  return {
    queries: LABELLED.length,
    byType: Object.fromEntries(
      Object.entries(perType).map(([k, v]) => [k, { queries: v.queries, meanRecall: mean(v.recall), meanPrecisionAt20: mean(v.precisionAt20), typedQueryFirstOnPage1: v.typedFirst }]),
    ),
    recallMisses: misses.slice(0, 20),
  };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function serverMemory(dataDir: string) {
  const server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0' }, 300_000);
  try {
    const rssIdle = rssMb(server.process.pid!);
    const httpMs: number[] = [];
    for (let r = 0; r < 2; r++) {
      for (const [, qs] of QUERY_MIX) {
        const s = performance.now();
        const res = await fetch(`${server.url}/search?${new URLSearchParams(qs)}`);
        await res.text();
        if (r > 0) httpMs.push(performance.now() - s);
      }
    }
    return { rssAfterStartMb: rssIdle, rssAfterQueriesMb: rssMb(server.process.pid!), searchPageHttpMs: summary(httpMs) };
  } finally {
    await server.stop();
  }
}

const progress = (msg: string) => process.stderr.write(`search bench: ${msg}\n`);

export async function benchSearch(opts: {
  listings: number;
  rounds?: number;
  dataDir?: string;
  server?: boolean;
  checks?: boolean;
  /** False: keep an index of the current version (reindex time is then not measured). */
  rebuild?: boolean;
}): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? 5;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-search-'));
  const file = path.join(dataDir, 'site.db');
  try {
    const db = openDatabase(file);
    seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
    let demoSeconds: number | null = null;
    const existing = db.select({ n: count() }).from(listings).get()?.n ?? 0;
    let t = performance.now();
    if (existing === 0) {
      progress(`writing ${opts.listings} demo listings`);
      writeDemoData(db, { listings: opts.listings, seed: 1, now: Date.now() });
      demoSeconds = round((performance.now() - t) / 1000, 1);
    } else progress(`reusing ${existing} listings in ${file}`);
    const sizeBefore = fs.statSync(file).size;

    progress(opts.rebuild === false ? 'FTS5 index of this version, rebuilt only if it is not' : 'full FTS5 rebuild');
    t = performance.now();
    const indexed = opts.rebuild === false ? ensureSearchIndex(db).documents : rebuildFts(db, Date.now());
    const reindexSeconds = opts.rebuild === false ? null : (performance.now() - t) / 1000;
    // The index it replaced is set aside and dropped by the site's indexer job, a step at a time; here all at once.
    t = performance.now();
    let dropSteps = 0;
    while (ftsDropRetiredStep(db)) dropSteps++;
    const oldIndexDrop = dropSteps === 0 ? null : { seconds: round((performance.now() - t) / 1000, 1), steps: dropSteps };
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    const sizeAfter = fs.statSync(file).size;

    const now = Date.now();
    const checks = opts.checks !== false;
    progress('brute force over every live listing');
    const truth = checks ? truths(db, now) : undefined;
    progress('exactness: paging every search to the page limit');
    const exact = truth ? await exactness(db, now, truth.exact) : undefined;
    progress('latency');
    const queries = await timeQueries(db, rounds);
    const suggestMs: number[] = [];
    const suggestCpuMs: number[] = [];
    for (let r = 0; r <= rounds; r++) {
      for (const prefix of SUGGEST_MIX) {
        const s = performance.now();
        const c = process.cpuUsage();
        suggest(db, prefix);
        const used = process.cpuUsage(c);
        if (r > 0) suggestMs.push(performance.now() - s);
        if (r > 0) suggestCpuMs.push((used.user + used.system) / 1000);
      }
    }
    // The search module's resident state after the query mix: typed arrays (exact bytes) and what it keeps.
    const cols = facetColumns(db);
    const searchState = { ...cols.memory(), typedArraysMb: round(cols.bytes / 2 ** 20, 1) };
    progress('labelled queries');
    const labelled = truth ? await labelledSet(db, now, truth.labelled) : undefined;
    const fresh = await freshness(db);
    const texts: string[] = [];
    for (const batch of allDocuments(db, Date.now(), 5000)) {
      texts.push(...batch.map((d) => `${d.title} ${d.description}`));
      if (texts.length >= 5000) break;
    }
    const segmentation = { listings: texts.length, queries: SEGMENTATION_QUERIES.length, ...segmentationRecall(texts) };
    db.$client.close();

    const server = opts.server === false ? undefined : (progress('built server'), await serverMemory(dataDir));
    return {
      listings: existing || opts.listings,
      liveListings: truth?.live,
      liveListingsIndexed: indexed,
      demoDataSeconds: demoSeconds,
      fullFtsReindexSeconds: reindexSeconds === null ? null : round(reindexSeconds, 1),
      oldIndexDrop,
      dbBytes: { withoutSearchIndex: sizeBefore, withSearchIndex: sizeAfter, searchIndex: sizeAfter - sizeBefore },
      exactness: exact,
      searchMs: queries,
      suggestMs: summary(suggestMs),
      suggestCpuMs: summary(suggestCpuMs),
      newListingSearchableMs: fresh.msUntilSearchable,
      searchState,
      newListingSearchableSamplesMs: fresh.samplesMs,
      /** This process after the searches: the search columns and kept matches live here. */
      benchProcessRssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      labelled,
      segmentation,
      ...(server ? { server } : {}),
      targets: { searchP50Ms: 5, searchP95Ms: 25, suggestP95Ms: 3, reindexSeconds: 60, searchableMs: 100, recall: 1, falseMatches: 0 },
    };
  } finally {
    if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  await runCli(async () => {
    const o = args(
      {
        listings: { type: 'string', default: '100000' },
        'data-dir': { type: 'string' },
        rounds: { type: 'string', default: '5' },
        'no-server': { type: 'boolean', default: false },
        'no-checks': { type: 'boolean', default: false },
        'no-rebuild': { type: 'boolean', default: false },
      },
      'tsx scripts/bench/search.ts [--listings N] [--data-dir DIR] [--rounds N] [--no-server] [--no-checks] [--no-rebuild]',
    );
    const search = await benchSearch({
      listings: Number(o.listings),
      dataDir: o['data-dir'],
      rounds: Number(o.rounds),
      server: !o['no-server'],
      checks: !o['no-checks'],
      rebuild: !o['no-rebuild'],
    });
    console.log(JSON.stringify({ machine: machine(), load: os.loadavg(), search }, null, 2));
  });
}
