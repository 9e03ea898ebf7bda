// `npm run bench:load [-- --listings 100000 --connections 50 --duration 30]`: the built site under a mixed load, as
// JSON. 90% reads (home, a city, a category, a listing, a search), 10% listing creations through the JSON API, from 50
// connections for 30 s against 127.0.0.1 only. Its own data folder: a demo dataset of the given size, and bench
// companies with API tokens. Every write is meant to be a real accepted write: the writes go round the tokens in turn
// (20 companies x 3 tokens: the per-token limit of 120 a minute and each company's daily posting limit are never
// reached) and each posts a distinct listing (its own product, specification and batch numbers, so the near-duplicate
// rule has nothing to refuse). Reports req/s, client latency percentiles for reads and writes, the mix of answers,
// errors by kind, and from the server's own log and metrics: SQLITE_BUSY errors, slow requests by route, event-loop
// lag, the background jobs' runs, and whether every request line carries a request id.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { eq, inArray, isNull } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { openDatabase } from '../../src/server/db.ts';
import { readVocabulary, writeDemoData } from '../../src/server/demo/generate.ts';
import { remindExpiring } from '../../src/server/freshness/index.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { listingPath } from '../../src/server/urls.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';
import { startServer, waitReady, type RunningServer } from '../lib/server-process.ts';

const METRICS_TOKEN = 'bench-load-metrics-token';
// 60 tokens x 120 a minute = 120 writes/s before the token limit; 20 companies x 200 a day (POSTING_LIMIT_PER_DAY)
// = 4,000 new listings per server start before the daily limit.
const WRITERS = 20;
const TOKENS_PER_WRITER = 3;
/** What the issue asks of one 2-core node under this load. */
const TARGETS = { errors: 0, p99Ms: 200 };
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
      // A site in service has sent its expiry reminders as listings came due; a dataset made in one go has ~8% of
      // them due at once (1.6 s of catch-up at 100k), which the server would do in the first seconds of the load.
      // The bench measures the node in service: the catch-up is done here (its mail stays queued: no SMTP).
      remindExpiring(db, now);
    }
    const benchUsers = Array.from({ length: WRITERS }, (_, i) => `bench-load-${i}`);
    const tokens: string[] = [];
    const existing = new Set(db.select({ id: users.id }).from(users).where(inArray(users.id, benchUsers)).all().map((u) => u.id));
    // Companies nobody owns yet (a folder of an older bench keeps its first writers).
    const free = db.select({ id: companies.id }).from(companies).where(isNull(companies.ownerId)).limit(WRITERS).all();
    for (const id of benchUsers.filter((u) => !existing.has(u))) {
      db.insert(users).values({ id, email: `${id}@example.com`, passwordHash: '!', displayName: id, createdAt: now }).run();
      db.update(companies).set({ ownerId: id }).where(eq(companies.id, free.shift()!.id)).run();
    }
    // Tokens are shown once: kept in the data folder for the next run on it.
    const tokenFile = path.join(dataDir, 'bench-tokens.json');
    const kept = fs.existsSync(tokenFile) ? (JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as string[]) : [];
    if (kept.length === WRITERS * TOKENS_PER_WRITER) tokens.push(...kept);
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
    // Real goods of each subcategory (the demo data's words), so the lead matcher and the search index do the work a
    // real posting causes; the numbers make every listing distinct.
    const vocab = readVocabulary();
    const goods = leaves.flatMap((c) => (vocab.categories[c.slug]?.products ?? []).map((product) => ({ category: c.slug, product })));
    const regionSlugs = cities.map((c) => c.slug);
    const run = Date.now() % 100_000;
    const writeBody = (n: number) => {
      const { category, product } = goods[(n * 7919) % goods.length]!;
      const kind = n % 3 === 0 ? 'demand' : 'supply';
      return JSON.stringify({
        kind,
        category,
        region: regionSlugs[n % regionSlugs.length],
        title: `${kind === 'demand' ? '求购' : ''}${product} ${(n % 97) + 3}型 批次${run}-${n}`,
        description: `${product}，规格${(n * 31) % 1000}，批号${run}${n}，数量${(n % 50) + 1}吨。${kind === 'demand' ? '长期采购，欢迎报价。' : '现货供应，质量保证。'}`,
        price: String(100 + (n % 900)),
        priceUnit: '吨',
      });
    };
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
  const usage = 'npm run bench:load -- [--listings 100000] [--connections 50] [--duration 30] [--nodes 1] [--data DIR] [--port 4450] [--cpu-prof DIR]';
  const opts = args(
    {
      listings: { type: 'string', default: '100000' },
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '30' },
      nodes: { type: 'string', default: '1' },
      data: { type: 'string' },
      port: { type: 'string', default: '4450' },
      'cpu-prof': { type: 'string' },
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
          {
            DATA_DIR: dataDir,
            DEMO_LISTINGS: '0',
            LOG_FORMAT: 'json',
            LOG_LEVEL: 'debug',
            METRICS_TOKEN,
            ASTRO_NODE_LOGGING: 'disabled',
            // Two nodes must count the API's and the posting limits together, as a two-node deployment does.
            RATE_LIMIT_STORE: nodes > 1 ? 'sqlite' : 'memory',
            // A V8 CPU profile of each server, written when it stops (to find where a request's time goes).
            ...(opts['cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(opts['cpu-prof'])}` } : {}),
          },
          600_000,
          Number(opts.port) + i,
        ),
      );
    }
    // As a balancer would: traffic only once each node says it is ready (its start-up warm-up done).
    for (const server of servers) await waitReady(server.url);
    const byKind = new Map<string, Record<string, number>>();
    const count = (kind: string, status: number) => {
      const row = byKind.get(kind) ?? {};
      row[status] = (row[status] ?? 0) + 1;
      byKind.set(kind, row);
    };
    const scrape = (url: string) => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const cpuOf = (text: string) => ({ process: value(text, 'process_cpu_seconds_total'), mainThread: value(text, 'nodejs_main_thread_cpu_seconds_total') });
    const cpuBefore = await Promise.all(servers.map(async (s) => cpuOf(await scrape(s.url))));
    let n = 0;
    let writes = 0;
    const clientMs: Record<'read' | 'write', number[]> = { read: [], write: [] };
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
                Object.assign(context, { kind, sentAt: performance.now() });
                if (kind === 'write') {
                  // Its own counter: with n, which is a multiple of the schedule's length here, only a few tokens
                  // would ever be used (the 429s of the first version of this bench).
                  writes++;
                  return {
                    ...req,
                    method: 'POST',
                    path: '/api/v1/listings',
                    headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.tokens[writes % fixture.tokens.length]}` },
                    body: fixture.writeBody(writes),
                  };
                }
                const paths = fixture.reads[kind];
                return { ...req, method: 'GET', path: paths[Math.floor(n / SCHEDULE.length) % paths.length]!, headers: { 'accept-encoding': 'br, gzip' }, body: undefined };
              },
              onResponse: (status, _body, context) => {
                const { kind, sentAt } = context as { kind: string; sentAt: number };
                count(kind, status);
                clientMs[kind === 'write' ? 'write' : 'read'].push(performance.now() - sentAt);
              },
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
        const cpuSeconds = cpuOf(metrics).process - cpuBefore[i]!.process;
        // The event loop's own thread: one core is its ceiling, whatever the other threads (zlib, GC) take.
        const mainThreadSeconds = cpuOf(metrics).mainThread - cpuBefore[i]!.mainThread;
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
            mainThreadMsPerRequest: Math.round((mainThreadSeconds * 10000) / result.requests.total) / 10,
            mainThreadShareOfOneCore: Math.round((mainThreadSeconds / duration) * 100) / 100,
          },
          eventLoopLagSeconds: { p99: value(metrics, 'nodejs_eventloop_lag_p99_seconds'), max: value(metrics, 'nodejs_eventloop_lag_max_seconds') },
          // Which job held the loop longest at a stretch during the run (the pages' enemy), in ms.
          jobSliceMaxMs: Object.fromEntries([...metrics.matchAll(/^job_slice_max_seconds\{job="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1], Math.round(Number(m[2]) * 1000)])),
          walBytesAfter: value(metrics, 'sqlite_wal_bytes'),
          // What the background jobs left queued at the end (their work is paced behind the pages, not dropped).
          backlogAfter: Object.fromEntries([...metrics.matchAll(/^outbox_backlog\{queue="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1], Number(m[2])])),
          sqliteBusyInLog: lines.filter((l) => JSON.stringify(l).includes('SQLITE_BUSY')).length,
          errorMessages: [...new Set(lines.filter((l) => Number(l.level) >= 50).map((l) => `${String(l.msg)}${l.job ? ` (${String(l.job)})` : ''}: ${String((l.err as { message?: string } | undefined)?.message ?? '')}`))].slice(0, 5),
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
    const spread = (ms: number[]) => {
      ms.sort((a, b) => a - b);
      return { requests: ms.length, p50: Math.round(percentile(ms, 50)), p99: Math.round(percentile(ms, 99)), max: Math.round(ms.at(-1) ?? 0) };
    };
    const writeStatuses = byKind.get('write') ?? {};
    const writesSent = Object.values(writeStatuses).reduce((a, b) => a + b, 0);
    const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
    const p99 = nodes === 1 ? first.latencyMs.p99 : Math.max(...perNode.map((s) => s.latencyMs.p99));
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
          // Timed by the bench per request (from building it to its answer), so reads and writes are apart.
          clientLatencyMs: { reads: spread(clientMs.read), writes: spread(clientMs.write) },
          mix: { reads: clientMs.read.length, writes: writesSent, writesAccepted: writeStatuses[201] ?? 0, writeShare: Math.round((writesSent / Math.max(1, writesSent + clientMs.read.length)) * 1000) / 1000 },
          errors,
          targets: { ...TARGETS, met: { errors: errorCount === TARGETS.errors, p99: p99 <= TARGETS.p99Ms } },
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
