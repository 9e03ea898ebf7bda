// The sitemap writer at scale: time and memory to build the index and to stream every listing chunk.
// `npm run bench:sitemap [-- --listings 1000000]` writes its own demo dataset (or `-- --db <file>` reads one); `npm run bench` calls benchSitemap on
// the dataset it already has.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase, type Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { getSitemapFile, getSitemapIndex } from '../../src/server/seo/sitemap.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { args, runCli } from '../lib/cli.ts';

const SITE = 'https://www.example.cn';
const mb = (bytes: number) => Number((bytes / 1024 / 1024).toFixed(1));

export function benchSitemap(db: Db) {
  const now = Date.now();
  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };

  let t = performance.now();
  const index = getSitemapIndex(db, SITE, now);
  const indexMs = performance.now() - t;
  const files = [...index.xml.matchAll(/<loc>[^<]*\/sitemaps\/([^<]+)\.xml<\/loc>/g)].map((m) => m[1]!);
  const listingFiles = files.filter((f) => f.startsWith('listings-'));

  const chunks: { name: string; urls: number; bytes: number; ms: number; firstPieceMs: number }[] = [];
  t = performance.now();
  for (const name of listingFiles) {
    const started = performance.now();
    const file = getSitemapFile(db, SITE, name, now);
    let bytes = 0;
    let urls = 0;
    let firstPieceMs = -1;
    for (const piece of file.body()) {
      if (firstPieceMs < 0) firstPieceMs = performance.now() - started;
      bytes += Buffer.byteLength(piece);
      urls += piece.split('<url>').length - 1;
      sample();
    }
    chunks.push({ name, urls, bytes, ms: Math.round(performance.now() - started), firstPieceMs: Number(firstPieceMs.toFixed(1)) });
  }
  const allMs = performance.now() - t;
  const slowest = chunks.reduce((a, b) => (b.ms > a.ms ? b : a), chunks[0]!);
  return {
    index: { ms: Math.round(indexMs), sitemaps: files.length, listingChunks: listingFiles.length, bytes: Buffer.byteLength(index.xml) },
    listingChunks: {
      urls: chunks.reduce((n, c) => n + c.urls, 0),
      totalMs: Math.round(allMs),
      totalMb: mb(chunks.reduce((n, c) => n + c.bytes, 0)),
      perChunkMs: { mean: Math.round(allMs / Math.max(1, chunks.length)), slowest: slowest?.ms ?? 0 },
      largestChunk: chunks.reduce((a, b) => (b.urls > a.urls ? b : a), chunks[0]!),
      firstByteMs: chunks[0]?.firstPieceMs ?? null,
    },
    // RSS growth includes SQLite's own page cache (64 MiB, db.ts); the JS heap shows what the writer holds.
    memory: { rssGrowthMb: mb(peakRss - before.rss), heapGrowthMb: mb(peakHeap - before.heapUsed), peakRssMb: mb(peakRss) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runCli(async () => {
    const opts = args(
      { listings: { type: 'string', default: '1000000' }, db: { type: 'string' } },
      'npm run bench:sitemap -- [--listings N | --db existing/site.db]',
    );
    if (opts.db) {
      // An existing database (say one `npm run demo-data -- --listings 1000000` wrote): read only, nothing written.
      const db = openDatabase(path.resolve(opts.db));
      console.log(JSON.stringify({ db: opts.db, sitemap: benchSitemap(db) }, null, 2));
      db.$client.close();
      return;
    }
    const count = Number(opts.listings);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sitemap-'));
    try {
      const db = openDatabase(path.join(dir, 'site.db'));
      seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
      const started = performance.now();
      writeDemoData(db, { listings: count, seed: 1, now: Date.now() });
      const genSeconds = (performance.now() - started) / 1000;
      console.log(JSON.stringify({ listings: count, demoDataSeconds: Number(genSeconds.toFixed(1)), sitemap: benchSitemap(db) }, null, 2));
      db.$client.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
