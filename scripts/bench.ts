// `npm run bench [-- --listings 100000 --seconds 10 --connections 50]`: prints JSON figures for
//  - demo-data generation rate,
//  - the built server's requests/second on the home page and a listing page,
//  - a bare node:http server sending bytes of the same size on the same machine in the same run, and the ratio,
//  - the sitemap index and every listing sitemap written from the same dataset (time, size, memory).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { eq } from 'drizzle-orm';
import { listings } from '../db/schema.ts';
import { openDatabase } from '../src/server/db.ts';
import { writeDemoData } from '../src/server/demo/generate.ts';
import { seedTaxonomy } from '../src/server/taxonomy/seed.ts';
import { listingPath } from '../src/server/urls.ts';
import { benchSearch } from './bench/search.ts';
import { args, machine, runCli } from './lib/cli.ts';
import { freePort, startServer } from './lib/server-process.ts';
import { benchSitemap } from './bench/sitemap.ts';

interface Load {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  bytesPerResponse: number;
  non2xx: number;
}

async function load(url: string, seconds: number, connections: number): Promise<Load> {
  const r = await autocannon({ url, duration: seconds, connections });
  return {
    requestsPerSecond: Math.round(r.requests.average),
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
    bytesPerResponse: Math.round(r.throughput.total / Math.max(1, r.requests.total)),
    non2xx: r.non2xx,
  };
}

/** A node:http server in its own process that answers every request with the same HTML bytes. */
async function bareServer(html: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bare-')), 'page.html');
  fs.writeFileSync(file, html);
  const code = `const b=require('fs').readFileSync(${JSON.stringify(file)});require('http').createServer((q,s)=>{s.writeHead(200,{'content-type':'text/html; charset=utf-8','content-length':b.length});s.end(b)}).listen(${port},'127.0.0.1',()=>console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

await runCli(async () => {
  const opts = args(
    {
      listings: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      'search-listings': { type: 'string' },
      'search-only': { type: 'boolean', default: false },
    },
    'npm run bench -- [--listings N] [--seconds N] [--connections N] [--search-listings N [--search-only]]',
  );
  // Search at scale has its own dataset (a million listings takes minutes to write), so it runs only when asked.
  const search = opts['search-listings'] ? await benchSearch({ listings: Number(opts['search-listings']) }) : undefined;
  if (search && opts['search-only']) {
    console.log(JSON.stringify({ machine: machine(), search }, null, 2));
    return;
  }
  const count = Number(opts.listings);
  const seconds = Number(opts.seconds);
  const connections = Number(opts.connections);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-'));
  const db = openDatabase(path.join(dataDir, 'site.db'));
  seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
  const started = performance.now();
  writeDemoData(db, { listings: count, seed: 1, now: Date.now() });
  const genSeconds = (performance.now() - started) / 1000;
  const sample = db.select({ id: listings.id, slug: listings.slug }).from(listings).where(eq(listings.status, 'active')).limit(1).get()!;
  const sitemap = benchSitemap(db);
  db.$client.close();
  const dbBytes = fs.statSync(path.join(dataDir, 'site.db')).size;

  const server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0' });
  const pages = { home: '/', listing: listingPath(sample) };
  const results: Record<string, unknown> = {};
  try {
    for (const [name, pathname] of Object.entries(pages)) {
      const html = await (await fetch(server.url + pathname)).text();
      await load(server.url + pathname, 2, connections); // warm-up
      const site = await load(server.url + pathname, seconds, connections);
      const bare = await bareServer(html);
      let bareLoad: Load;
      try {
        bareLoad = await load(bare.url, seconds, connections);
      } finally {
        bare.stop();
      }
      results[name] = {
        path: pathname,
        htmlBytes: Buffer.byteLength(html),
        site,
        bareNodeHttp: bareLoad,
        ratio: Number((site.requestsPerSecond / bareLoad.requestsPerSecond).toFixed(3)),
      };
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  console.log(
    JSON.stringify(
      {
        machine: machine(),
        demoData: { listings: count, seconds: Number(genSeconds.toFixed(2)), listingsPerSecond: Math.round(count / genSeconds), dbBytes },
        sitemap,
        http: { seconds, connections, ...results },
        ...(search ? { search } : {}),
      },
      null,
      2,
    ),
  );
});
