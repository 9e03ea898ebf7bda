// Search figures at scale (`npm run bench -- --search-listings 1000000`): demo data, a full FTS5 rebuild, latency of
// a fixed query mix through the whole search service (engine, facets, hydration, highlighting), suggestions, how
// soon a committed listing is searchable, the database size and the built server's memory while it searches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { listings } from '../../db/schema.ts';
import { openDatabase, type Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { searchListings, suggest } from '../../src/server/search/index.ts';
import { rebuildFts, startIndexer } from '../../src/server/search/indexer.ts';
import { enqueueSearchUpdate } from '../../src/server/search/outbox.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { startServer } from '../lib/server-process.ts';
import { segmentationRecall, SEGMENTATION_QUERIES } from './segmentation.ts';
import { allDocuments } from '../../src/server/search/documents.ts';

/** The fixed mix: [label, query string]. */
export const QUERY_MIX: [string, string][] = [
  ['narrow', 'q=赣南脐橙'],
  ['narrow', 'q=碳酸锂'],
  ['narrow', 'q=304不锈钢管'],
  ['narrow', 'q=PE管 DN110'],
  ['narrow', 'q=LED 灯珠'],
  ['narrow-synonym', 'q=SUS304'],
  ['narrow-synonym', 'q=镀锌管'],
  ['broad-char', 'q=钢'],
  ['broad-char', 'q=油'],
  ['broad-char', 'q=管'],
  ['broad-word', 'q=现货'],
  ['broad-word', 'q=批发'],
  ['broad-word', 'q=厂家直销'],
  ['filtered', 'q=钢管&region=nanchang&kind=supply'],
  ['filtered', 'q=大米&category=grain-oil&price_min=3000&price_max=6000'],
  ['filtered', 'q=茶&region=ganzhou&verified=1&days=30'],
  ['facet-heavy', 'region=jiujiang&category=steel&kind=demand'],
  ['facet-heavy', 'category=tea&a.type=绿茶&a.grade=特级'],
  ['facet-heavy', 'q=现货&region=yichun&category=lithium-batteries'],
  ['browse', ''],
  ['browse', 'sort=price_asc&category=ceramics'],
  ['deep-page', 'q=供应&page=40'],
  ['deep-page', 'q=钢&sort=price_desc&page=25'],
];
const SUGGEST_MIX = ['钢', '钢管', '不锈', 'le', 'led', '脐', '赣南', '碳酸', '茶', '瓷', 'pe', '光伏', '锂', '米粉', '水泥', '江西', '南昌', '羽绒', '化', '电'];

function percentile(sorted: number[], p: number): number {
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2));
}
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: Number(s[s.length - 1]!.toFixed(2)) };
};

async function timeQueries(db: Db, rounds: number) {
  const all: number[] = [];
  const byLabel: Record<string, number[]> = {};
  const perQuery: Record<string, { ms: number; total: number; exact: boolean }> = {};
  for (let round = 0; round <= rounds; round++) {
    for (const [label, qs] of QUERY_MIX) {
      const t = performance.now();
      const r = await searchListings(db, new URLSearchParams(qs), Date.now());
      const ms = performance.now() - t;
      if (round === 0) continue; // warm-up: first touch of each page of the file
      all.push(ms);
      (byLabel[label] ??= []).push(ms);
      perQuery[qs || '(empty)'] = { ms: Number(ms.toFixed(2)), total: r.total, exact: r.exact };
    }
  }
  return {
    all: summary(all),
    byKind: Object.fromEntries(Object.entries(byLabel).map(([k, v]) => [k, summary(v)])),
    lastRound: perQuery,
  };
}

async function freshness(db: Db): Promise<{ msUntilSearchable: number }> {
  const stop = startIndexer(db);
  try {
    const template = db.select().from(listings).where(eq(listings.status, 'active')).limit(1).get()!;
    const title = `基准测试新品独特标题${Date.now().toString(36)}`;
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
      if (r.total > 0) return { msUntilSearchable: Number((performance.now() - started).toFixed(1)) };
      if (performance.now() - started > 10_000) return { msUntilSearchable: -1 };
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    stop();
  }
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

export async function benchSearch(opts: { listings: number; rounds?: number }): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? 5;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-search-'));
  const file = path.join(dataDir, 'site.db');
  try {
    const db = openDatabase(file);
    seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
    let t = performance.now();
    writeDemoData(db, { listings: opts.listings, seed: 1, now: Date.now() });
    const demoSeconds = (performance.now() - t) / 1000;
    const sizeBefore = fs.statSync(file).size;

    t = performance.now();
    const indexed = rebuildFts(db);
    const reindexSeconds = (performance.now() - t) / 1000;
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
    const sizeAfter = fs.statSync(file).size;

    const queries = await timeQueries(db, rounds);
    const suggestMs: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      for (const prefix of SUGGEST_MIX) {
        const s = performance.now();
        suggest(db, prefix);
        if (round > 0) suggestMs.push(performance.now() - s);
      }
    }
    const fresh = await freshness(db);
    const texts: string[] = [];
    for (const batch of allDocuments(db, Date.now(), 5000)) {
      texts.push(...batch.map((d) => `${d.title} ${d.description}`));
      if (texts.length >= 5000) break;
    }
    const segmentation = { listings: texts.length, queries: SEGMENTATION_QUERIES.length, ...segmentationRecall(texts) };
    db.$client.close();

    // The built server on the same file: its memory after the query mix through HTTP.
    const server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0' }, 300_000);
    let serverMemory: Record<string, number>;
    try {
      const rssIdle = rssMb(server.process.pid!);
      const httpMs: number[] = [];
      for (let round = 0; round < 2; round++) {
        for (const [, qs] of QUERY_MIX) {
          const s = performance.now();
          const res = await fetch(`${server.url}/search?${new URLSearchParams(qs)}`);
          await res.text();
          if (round > 0) httpMs.push(performance.now() - s);
        }
      }
      serverMemory = { rssAfterStartMb: rssIdle, rssAfterQueriesMb: rssMb(server.process.pid!), ...Object.fromEntries(Object.entries(summary(httpMs)).map(([k, v]) => [`searchPageHttp_${k}`, v])) };
    } finally {
      await server.stop();
    }

    return {
      listings: opts.listings,
      liveListingsIndexed: indexed,
      demoDataSeconds: Number(demoSeconds.toFixed(1)),
      fullFtsReindexSeconds: Number(reindexSeconds.toFixed(1)),
      dbBytes: { withoutSearchIndex: sizeBefore, withSearchIndex: sizeAfter, searchIndex: sizeAfter - sizeBefore },
      searchMs: queries,
      suggestMs: summary(suggestMs),
      newListingSearchableMs: fresh.msUntilSearchable,
      segmentation,
      server: serverMemory,
      targets: { searchP50Ms: 10, searchP95Ms: 50, suggestP95Ms: 5, reindexSeconds: 120, searchableMs: 1000 },
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
