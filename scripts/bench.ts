// `npm run bench [-- --listings 1000000 --seconds 10 --connections 50 --data-dir DIR --quick]`: prints JSON figures for
// every page type (home, city, county, industry, region x industry, company, listing live and expired, search, a
// sitemap chunk, a feed; scripts/bench/pages.ts):
//  - the demo-data rate (when it writes the dataset),
//  - server-side page data: p50/p95 of the domain call behind each page, called directly,
//  - requests/s and p50/p99 of the built server per page type, against a bare node:http server sending the same
//    bytes on the same machine in the same run, and the ratio,
//  - the server's resident memory after the run, the sitemap writer over the whole dataset,
//  - which figures miss their budget (BUDGETS), and which miss it tenfold.
// --quick (100,000 listings, short runs) is what the test suite runs (tests/integration/bench-quick.test.ts): it
// exits 1 only when a figure misses its budget tenfold, so noise cannot fail it and a lost index plan does.
// --data-dir reuses a data folder that already has listings (e.g. a million, written once by `npm run demo-data`).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { openDatabase } from '../src/server/db.ts';
import { isEmpty, writeDemoData } from '../src/server/demo/generate.ts';
import { forgetCounts, liveCounts } from '../src/server/listings/counts.ts';
import { ensureSearchIndex } from '../src/server/search/indexer.ts';
import { seedTaxonomy } from '../src/server/taxonomy/seed.ts';
import { benchSearch } from './bench/search.ts';
import { benchSitemap } from './bench/sitemap.ts';
import { ownDemoCompanies, PAGE_TYPES, sampleOf, type Sample } from './bench/pages.ts';
import { args, machine, runCli } from './lib/cli.ts';
import { freePort, startServer, waitReady } from './lib/server-process.ts';

/** The targets of issue 9 at a million listings on 2 cores with 50 connections. */
export const BUDGETS = {
  pageDataP95Ms: 5,
  /** Search has its own targets (its own issue); this only guards against a collapse. */
  searchPageDataP95Ms: 100,
  /** Page types served at >= 25% of bare node:http with p99 <= 50 ms: listing, home, region and industry pages. */
  http: { types: ['home', 'city', 'county', 'industry', 'regionIndustry', 'listingLive'], minRatio: 0.25, maxP99Ms: 50 },
  serverRssMb: 250,
};
const TENFOLD = 10;
// A browser's name: crawlers' views are not counted, and the bench measures pages whose every view is.
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

interface Load {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  bytesPerResponse: number;
  non2xx: number;
}

async function load(url: string, seconds: number, connections: number): Promise<Load> {
  const r = await autocannon({ url, duration: seconds, connections, headers: { 'user-agent': USER_AGENT } });
  return {
    requestsPerSecond: Math.round(r.requests.average),
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
    bytesPerResponse: Math.round(r.throughput.total / Math.max(1, r.requests.total)),
    non2xx: r.non2xx,
  };
}

/** A node:http server in its own process that answers every request with the same bytes. */
async function bareServer(body: Buffer, type: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bare-')), 'page');
  fs.writeFileSync(file, body);
  const code = `const b=require('fs').readFileSync(${JSON.stringify(file)});require('http').createServer((q,s)=>{s.writeHead(200,{'content-type':${JSON.stringify(type)},'content-length':b.length});s.end(b)}).listen(${port},'127.0.0.1',()=>console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

function percentiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => Number(s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3));
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}

/**
 * Times each page type's domain call (after a warm-up), the way a request would make it: wall-clock time, the figure
 * the budget is for, and beside it the CPU time the call itself used. On a shared machine the two part when the
 * process waits for a core: a slow wall-clock p95 with a fast CPU p95 is waiting, not work.
 */
async function pageData(sample: Sample, iterations: number) {
  const out: Record<string, ReturnType<typeof percentiles> & { cpu?: ReturnType<typeof percentiles> }> = {};
  for (const [name, type] of Object.entries(PAGE_TYPES)) {
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = -3; i < iterations; i++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      await type.data({ ...sample, now: Date.now() });
      const used = process.cpuUsage(cpuStarted);
      if (i >= 0) {
        times.push(performance.now() - started);
        cpu.push((used.user + used.system) / 1000);
      }
    }
    out[name] = { ...percentiles(times), cpu: percentiles(cpu) };
  }
  // The full tally of the navigation counts: paid once at start-up and after bulk changes (writes adjust it).
  const refresh: number[] = [];
  for (let i = 0; i < Math.max(5, iterations / 10); i++) {
    forgetCounts(sample.db);
    const started = performance.now();
    liveCounts(sample.db, Date.now());
    refresh.push(performance.now() - started);
  }
  out.countsFullTally = percentiles(refresh);
  return out;
}

const statusMb = (pid: number, field: string) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0) / 1024;

/** Resident memory of the server: its process, or the largest process it started. */
function serverRssMb(pid: number): number {
  const rss = (p: number) => statusMb(p, 'VmRSS');
  let children: number[] = [];
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    // no children
  }
  return Math.round(Math.max(rss(pid), ...children.map(rss)));
}

/**
 * Where the server's resident memory is: anonymous (heaps: V8's, malloc's for SQLite, jieba, the search columns) and
 * file-backed (node's binary and the native modules' code, shared with other processes), the V8 heap and the memory
 * outside it that V8 knows of (ArrayBuffers, Buffers), from the process's own metrics.
 */
async function serverMemory(url: string, pid: number, token: string) {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const metric = (name: string) => Math.round(Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 1048576);
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return {
    anonMb: Math.round(statusMb(pid, 'RssAnon')),
    // Anonymous memory in transparent huge pages: a 2 MB page is resident whole however little of it is used.
    anonHugePagesMb: Math.round(Number(/^AnonHugePages:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) / 1024),
    fileMb: Math.round(statusMb(pid, 'RssFile')),
    v8HeapMb: metric('nodejs_heap_size_total_bytes'),
    youngGenerationMb: metric('nodejs_heap_space_size_total_bytes{space="new"}'),
    externalMb: metric('nodejs_external_memory_bytes'),
  };
}

await runCli(async () => {
  const opts = args(
    {
      listings: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string', default: '50' },
      'data-dir': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'search-listings': { type: 'string' },
      'search-only': { type: 'boolean', default: false },
    },
    'npm run bench -- [--listings N] [--seconds N] [--connections N] [--data-dir DIR] [--quick] [--search-listings N [--search-only]]',
  );
  // Search at scale has its own dataset (a million listings takes minutes to write), so it runs only when asked.
  const search = opts['search-listings'] ? await benchSearch({ listings: Number(opts['search-listings']) }) : undefined;
  if (search && opts['search-only']) {
    console.log(JSON.stringify({ machine: machine(), search }, null, 2));
    return;
  }
  const quick = opts.quick;
  const count = Number(opts.listings ?? 100_000);
  const seconds = Number(opts.seconds ?? (quick ? 1 : 10));
  const connections = Number(opts.connections);
  const progress = (what: string) => process.stderr.write(`bench: ${what}\n`);

  const dataDir = opts['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-'));
  const db = openDatabase(path.join(dataDir, 'site.db'));
  seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
  let demoData: { listings: number; seconds: number; listingsPerSecond: number } | undefined;
  if (isEmpty(db)) {
    progress(`writing ${count} demo listings`);
    const started = performance.now();
    writeDemoData(db, { listings: count, seed: 1, now: Date.now() });
    const s = (performance.now() - started) / 1000;
    demoData = { listings: count, seconds: Number(s.toFixed(2)), listingsPerSecond: Math.round(count / s) };
  }
  const listingCount = db.$client.prepare('SELECT count(*) AS n FROM listings').get() as { n: number };
  progress('search index');
  ensureSearchIndex(db);
  // Demo companies' listings are noindex and left out of the sitemaps: measured on demo data alone, the sitemap chunk
  // would be none. One company in ten gets an owner (members' listings among demo ones, 84,000 listed at a million):
  // every company owned made the expiry reminders' first run after start-up (mail to each owner of a listing expiring
  // within three days, thousands at once) stall the server for 0.7 s in the middle of the loads.
  const ownedCompanies = ownDemoCompanies(db, Date.now(), 10);
  const sample = sampleOf(db, Date.now());
  progress('page data');
  const data = await pageData(sample, quick ? 50 : 200);
  const sitemap = quick ? undefined : benchSitemap(db);
  db.$client.close();
  const dbBytes = fs.statSync(path.join(dataDir, 'site.db')).size;

  progress('starting the server');
  const metricsToken = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', METRICS_TOKEN: metricsToken });
  await waitReady(server.url);
  const http: Record<string, unknown> = {};
  let rssMb = 0;
  let memory: Awaited<ReturnType<typeof serverMemory>> | undefined;
  try {
    for (const [name, type] of Object.entries(PAGE_TYPES)) {
      const pathname = type.path(sample);
      progress(`load: ${name} ${pathname}`);
      const first = await fetch(server.url + pathname, { headers: { 'user-agent': USER_AGENT } });
      const body = Buffer.from(await first.arrayBuffer());
      // A sitemap chunk (140 KB): a few crawlers at a time, as crawlers fetch them.
      const [c, s] = name === 'sitemapChunk' ? [Math.min(4, connections), Math.max(3, seconds)] : [connections, seconds];
      await load(server.url + pathname, Math.min(2, s), c); // warm-up
      const site = await load(server.url + pathname, s, c);
      const bare = await bareServer(body, first.headers.get('content-type') ?? 'text/html');
      let bareLoad: Load;
      try {
        bareLoad = await load(bare.url, s, c);
      } finally {
        bare.stop();
      }
      http[name] = { path: pathname, status: first.status, bytes: body.length, connections: c, site, bareNodeHttp: bareLoad, ratio: Number((site.requestsPerSecond / bareLoad.requestsPerSecond).toFixed(3)) };
    }
    rssMb = serverRssMb(server.process.pid!);
    memory = await serverMemory(server.url, server.process.pid!, metricsToken);
  } finally {
    await server.stop();
    if (!opts['data-dir']) fs.rmSync(dataDir, { recursive: true, force: true });
  }

  // Every figure against its budget: [what, measured, budget, higher is better].
  const checks: [string, number, number, boolean][] = [];
  for (const [name, d] of Object.entries(data)) {
    if (name === 'countsFullTally') continue;
    // A sitemap chunk (1,000 URLs from one narrow index) is held to a page's budget like the rest.
    const budget = name === 'search' ? BUDGETS.searchPageDataP95Ms : BUDGETS.pageDataP95Ms;
    checks.push([`pageData.${name}.p95`, d.p95, budget, false]);
  }
  for (const name of BUDGETS.http.types) {
    const h = http[name] as { ratio: number; site: Load };
    checks.push([`http.${name}.ratio`, h.ratio, BUDGETS.http.minRatio, true], [`http.${name}.p99`, h.site.latencyMs.p99, BUDGETS.http.maxP99Ms, false]);
  }
  checks.push(['serverRssMb', rssMb, BUDGETS.serverRssMb, false]);
  const over = (factor: number) =>
    checks
      .filter(([, v, b, higherIsBetter]) => (higherIsBetter ? v * factor < b : v > b * factor))
      .map(([what, v, b]) => `${what}: ${v} (budget ${b})`);
  const overBudget = over(1);
  const tenfoldOver = over(TENFOLD);

  console.log(
    JSON.stringify(
      {
        machine: { ...machine(), loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))) },
        dataset: { listings: listingCount.n, dbBytes, ownedCompanies, ...(demoData ? { demoData } : { reused: dataDir }) },
        pageDataMs: data,
        http: { seconds, connections, userAgent: USER_AGENT, ...http },
        serverRssMb: rssMb,
        serverMemory: memory,
        ...(sitemap ? { sitemap } : {}),
        budgets: BUDGETS,
        overBudget,
        tenfoldOver,
        ...(search ? { search } : {}),
      },
      null,
      2,
    ),
  );
  if (quick && tenfoldOver.length > 0) process.exitCode = 1;
});
