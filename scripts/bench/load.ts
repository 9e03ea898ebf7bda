// `npm run bench:load [-- --listings 100000 --connections 50 --duration 30]`: the built site under a mixed load, as
// JSON. 90% reads (home, a city, a category, a listing, a search), 10% listing creations through the JSON API, from 50
// connections for 30 s against 127.0.0.1 only. Its own data folder: a demo dataset of the given size, bench companies
// with API tokens (spread so the per-token limit of 120 writes a minute is never what is measured). Reports req/s,
// latency percentiles, errors by kind, and from the server's own log and metrics: SQLITE_BUSY errors, slow requests by
// route, event-loop lag, and whether every request line carries a request id.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { eq, inArray } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { openDatabase } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { listingPath } from '../../src/server/urls.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';
import { startServer, type RunningServer } from '../lib/server-process.ts';

const METRICS_TOKEN = 'bench-load-metrics-token';
const WRITERS = 3; // companies, 20 tokens each: 60 tokens x 120 a minute = 120 writes/s before any limit
const TOKENS_PER_WRITER = 20;
const SEARCH_WORDS = ['大米', '钢材', '水泥', '茶叶', '菜籽油', '脐橙', '不锈钢', '化肥', '服装', '陶瓷', '电缆', '家具'];

type ReadKind = 'listing' | 'region' | 'category' | 'search' | 'home';
/** Every ten requests: one write and nine reads, weighted like visitors (listings most, then lists, search, home). */
const SCHEDULE: (ReadKind | 'write')[] = ['write', 'listing', 'listing', 'listing', 'listing', 'region', 'region', 'category', 'search', 'home'];

interface Fixture {
  dataDir: string;
  tokens: string[];
  reads: Record<ReadKind, string[]>;
  writeBody: (n: number) => string;
}

/** A data folder with the demo dataset and the bench's own companies and tokens; reused when it exists. */
function prepare(dataDir: string, size: number): Fixture {
  const fresh = !fs.existsSync(path.join(dataDir, 'site.db'));
  const db = openDatabase(path.join(dataDir, 'site.db'));
  try {
    const now = Date.now();
    if (fresh) {
      seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
      writeDemoData(db, { listings: size, seed: 1, now });
      // Statistics, as a running site keeps them (ANALYZE after bulk loads, PRAGMA optimize): without them SQLite
      // plans the list pages as scans, and the bench would measure that instead of the load.
      db.$client.exec('ANALYZE');
    }
    const benchUsers = Array.from({ length: WRITERS }, (_, i) => `bench-load-${i}`);
    const tokens: string[] = [];
    if (db.select({ id: users.id }).from(users).where(inArray(users.id, benchUsers)).all().length === 0) {
      const owned = db.select({ id: companies.id }).from(companies).limit(WRITERS).all();
      for (const [i, id] of benchUsers.entries()) {
        db.insert(users).values({ id, email: `${id}@example.com`, passwordHash: '!', displayName: id, createdAt: now }).run();
        db.update(companies).set({ ownerId: id }).where(eq(companies.id, owned[i]!.id)).run();
      }
    }
    // Tokens are shown once: the bench makes new ones each run after revoking nothing (a fresh folder per size).
    const tokenFile = path.join(dataDir, 'bench-tokens.json');
    if (fs.existsSync(tokenFile)) tokens.push(...(JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as string[]));
    else {
      for (const id of benchUsers) for (let t = 0; t < TOKENS_PER_WRITER; t++) tokens.push(createApiToken(db, id, { name: `bench ${t}` }, now).token);
      fs.writeFileSync(tokenFile, JSON.stringify(tokens));
    }

    const taxonomy = getTaxonomy(db);
    const cities = taxonomy.regions.children(taxonomy.rootRegion.id);
    const leaves = [...taxonomy.categories.byId.values()].filter((c) => c.parentId !== null);
    const tops = [...taxonomy.categories.byId.values()].filter((c) => c.parentId === null);
    const sample = db
      .select({ id: listings.id, slug: listings.slug })
      .from(listings)
      .where(eq(listings.status, 'active'))
      .limit(2000)
      .all();
    if (sample.length === 0) throw new UsageError('The bench database has no live listings.');
    const reads = {
      listing: sample.map((l) => listingPath(l)),
      region: cities.map((c) => `/region/${c.slug}`),
      category: tops.map((c) => `/category/${c.slug}`),
      search: SEARCH_WORDS.map((w) => `/search?q=${encodeURIComponent(w)}`),
      home: ['/'],
    };
    const cats = leaves.map((c) => c.slug);
    const regionSlugs = cities.map((c) => c.slug);
    const writeBody = (n: number) =>
      JSON.stringify({
        kind: n % 3 === 0 ? 'demand' : 'supply',
        category: cats[n % cats.length],
        region: regionSlugs[n % regionSlugs.length],
        title: `压测批次${n}号优质产品供应`,
        description: '负载测试写入的信息，用于测量写入对读取的影响。',
        price: String(100 + (n % 900)),
        priceUnit: '吨',
      });
    return { dataDir, tokens, reads, writeBody };
  } finally {
    db.$client.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The JSON lines of a server's output. */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

await runCli(async () => {
  const usage = 'npm run bench:load -- [--listings 100000] [--connections 50] [--duration 30] [--nodes 1] [--data DIR] [--port 4450]';
  const opts = args(
    {
      listings: { type: 'string', default: '100000' },
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '30' },
      nodes: { type: 'string', default: '1' },
      data: { type: 'string' },
      port: { type: 'string', default: '4450' },
    },
    usage,
  );
  const size = Number(opts.listings);
  const connections = Number(opts.connections);
  const duration = Number(opts.duration);
  const nodes = Number(opts.nodes);
  // Bounded: a bench must not turn into a stress test of the machine it shares.
  if (!(size >= 100 && size <= 2_000_000) || !(connections >= 1 && connections <= 200) || !(duration >= 1 && duration <= 120) || ![1, 2].includes(nodes)) {
    throw new UsageError(`--listings 100..2000000, --connections 1..200, --duration 1..120 seconds, --nodes 1 or 2.\nUsage: ${usage}`);
  }
  const dataDir = path.resolve(opts.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-load-')));
  const prepStarted = performance.now();
  const fixture = prepare(dataDir, size);
  const prepareSeconds = Math.round((performance.now() - prepStarted) / 100) / 10;

  // With --nodes 2: two app processes on the same data folder, as two nodes behind a balancer would share one
  // database; each gets half the connections. The second starts once the first has prepared the database.
  const servers: RunningServer[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      servers.push(
        await startServer(
          { DATA_DIR: dataDir, DEMO_LISTINGS: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'debug', METRICS_TOKEN, ASTRO_NODE_LOGGING: 'disabled' },
          600_000,
          Number(opts.port) + i,
        ),
      );
    }
    const byKind = new Map<string, Record<string, number>>();
    const count = (kind: string, status: number) => {
      const row = byKind.get(kind) ?? {};
      row[status] = (row[status] ?? 0) + 1;
      byKind.set(kind, row);
    };
    const scrape = (url: string) => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const cpuBefore = await Promise.all(servers.map(async (s) => value(await scrape(s.url), 'process_cpu_seconds_total')));
    let n = 0;
    const results = await Promise.all(
      servers.map((server) =>
        autocannon({
          url: server.url,
          connections: Math.ceil(connections / nodes),
          duration,
          timeout: 10,
          requests: [
            {
              setupRequest: (req, context) => {
                n++;
                const kind = SCHEDULE[n % SCHEDULE.length]!;
                (context as { kind?: string }).kind = kind;
                if (kind === 'write') {
                  return {
                    ...req,
                    method: 'POST',
                    path: '/api/v1/listings',
                    headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.tokens[n % fixture.tokens.length]}` },
                    body: fixture.writeBody(n),
                  };
                }
                const paths = fixture.reads[kind];
                return { ...req, method: 'GET', path: paths[Math.floor(n / SCHEDULE.length) % paths.length]!, headers: { 'accept-encoding': 'br, gzip' }, body: undefined };
              },
              onResponse: (status, _body, context) => count(String((context as { kind?: string }).kind), status),
            },
          ],
        }),
      ),
    );

    const perNode = await Promise.all(
      servers.map(async (server, i) => {
        const metrics = await scrape(server.url);
        const result = results[i]!;
        // The server's CPU time per request: what the load costs, whatever else the machine was doing meanwhile.
        const cpuSeconds = value(metrics, 'process_cpu_seconds_total') - cpuBefore[i]!;
        const lines = logLines(server.output());
        const requestLines = lines.filter((l) => l.msg === 'request');
        const jobs: Record<string, { runs: number; maxMs: number }> = {};
        for (const l of lines.filter((l) => l.msg === 'job run' || l.msg === 'job failed')) {
          const j = (jobs[String(l.job)] ??= { runs: 0, maxMs: 0 });
          j.runs++;
          j.maxMs = Math.max(j.maxMs, Number(l.ms));
        }
        return {
          port: server.port,
          requests: result.requests.total,
          requestsPerSecond: Math.round(result.requests.average),
          latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
          serverCpu: {
            seconds: Math.round(cpuSeconds * 10) / 10,
            msPerRequest: Math.round((cpuSeconds * 10000) / result.requests.total) / 10,
            shareOfOneCore: Math.round((cpuSeconds / duration) * 100) / 100,
          },
          eventLoopLagSeconds: { p99: value(metrics, 'nodejs_eventloop_lag_p99_seconds'), max: value(metrics, 'nodejs_eventloop_lag_max_seconds') },
          walBytesAfter: value(metrics, 'sqlite_wal_bytes'),
          sqliteBusyInLog: lines.filter((l) => JSON.stringify(l).includes('SQLITE_BUSY')).length,
          errorMessages: [...new Set(lines.filter((l) => Number(l.level) >= 50).map((l) => `${String(l.msg)}: ${String((l.err as { message?: string } | undefined)?.message ?? '')}`))].slice(0, 5),
          jobs,
          requestMs: requestLines.map((l) => ({ path: String(l.path), ms: Number(l.ms) })),
          log: {
            requestLines: requestLines.length,
            withRequestId: requestLines.filter((l) => typeof l.requestId === 'string').length,
            linesNotJson: server.output().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{')).length,
          },
        };
      }),
    );

    // Server-side time by kind of page, from the request lines of every node.
    const serverMs = new Map<string, number[]>();
    for (const { path: p, ms } of perNode.flatMap((s) => s.requestMs)) {
      const kind = p === '/' ? 'home' : p.startsWith('/api/') ? 'write' : p.split('/')[1]!;
      (serverMs.get(kind) ?? serverMs.set(kind, []).get(kind)!).push(ms);
    }
    const errors: Record<string, number> = {
      connection: results.reduce((a, r) => a + r.errors, 0),
      timeouts: results.reduce((a, r) => a + r.timeouts, 0),
    };
    for (const [kind, statuses] of byKind) {
      for (const [status, k] of Object.entries(statuses)) if (Number(status) >= 400) errors[`${kind} ${status}`] = k;
    }
    const first = perNode[0]!;
    console.log(
      JSON.stringify(
        {
          machine: { ...machine(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
          listings: size,
          prepareSeconds,
          nodes,
          connections,
          durationSeconds: duration,
          requests: perNode.reduce((a, s) => a + s.requests, 0),
          requestsPerSecond: perNode.reduce((a, s) => a + s.requestsPerSecond, 0),
          // With one node these are exact; with two, the worse node's.
          latencyMs: nodes === 1 ? first.latencyMs : { p50: Math.max(...perNode.map((s) => s.latencyMs.p50)), p99: Math.max(...perNode.map((s) => s.latencyMs.p99)) },
          errors,
          sqliteBusyInLog: perNode.reduce((a, s) => a + s.sqliteBusyInLog, 0),
          byKind: Object.fromEntries(
            [...serverMs].map(([kind, ms]) => {
              ms.sort((a, b) => a - b);
              return [kind, { requests: ms.length, serverP50Ms: percentile(ms, 50), serverP99Ms: percentile(ms, 99), statuses: byKind.get(kind) }];
            }),
          ),
          perNode: perNode.map(({ requestMs: _omit, ...s }) => s),
        },
        null,
        2,
      ),
    );
  } finally {
    for (const s of servers) await s.stop();
    if (!opts.data) fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
