// Prometheus metrics (prom-client): requests by route pattern, search latency by engine, queue backlogs, page-cache
// hits, the WAL's size and the process's own figures (event-loop lag, memory, CPU). Counters and histograms are
// updated as things happen; backlogs and the WAL are read when /metrics is scraped, so nothing polls in between.
import fs from 'node:fs';
import client from 'prom-client';
import { sql } from 'drizzle-orm';
import type { Db } from '../db.ts';

function build() {
  const registry = new client.Registry();
  // Event-loop lag comes with these (nodejs_eventloop_lag_seconds and its percentiles).
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  // Latencies in seconds, finest around the 200 ms a page should take.
  const latency = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new client.Histogram({ name, help, labelNames, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5], registers: [registry] });
  return {
    registry,
    requests: new client.Counter({
      name: 'http_requests_total',
      help: 'Requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    requestSeconds: latency('http_request_duration_seconds', 'Time until the response headers, by method and route pattern.', ['method', 'route']),
    searchSeconds: latency('search_duration_seconds', 'Time the search engine took to answer a query, by engine (fts, meili).', ['engine']),
    pageCache: new client.Counter({
      name: 'page_cache_lookups_total',
      help: 'Lookups in the in-process page cache, by result (hit, miss); the hit ratio is hit / (hit + miss).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    jobRuns: new client.Counter({
      name: 'job_runs_total',
      help: 'Background job runs, by job and outcome (ok, failed).',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    backlog: new client.Gauge({
      name: 'outbox_backlog',
      help: 'Rows waiting in each outbox, by queue (search, mail, webhook, match, favourites: the queues this database has).',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    droppedLogLines: new client.Counter({
      name: 'log_lines_dropped_total',
      help: 'Log lines dropped because stdout was read slower than they were written (past the log buffer).',
      registers: [registry],
    }),
    walBytes: new client.Gauge({ name: 'sqlite_wal_bytes', help: 'Size of the SQLite write-ahead log.', registers: [registry] }),
    jobSliceMax: new client.Gauge({
      name: 'job_slice_max_seconds',
      help: 'Longest stretch a background job held the event loop without a break, since the previous scrape, by job.',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    // process_cpu_seconds_total counts every thread (zlib, the garbage collector): this is the one a node runs out of.
    mainThreadCpu: new client.Gauge({
      name: 'nodejs_main_thread_cpu_seconds_total',
      help: 'CPU time of the JavaScript thread (the event loop), the one core that bounds what a node serves.',
      registers: [registry],
    }),
    sliceMaxima: new Map<string, number>(),
  };
}

type Metrics = ReturnType<typeof build>;
/**
 * One set per process, on globalThis: the built server bundles its own copy of this module beside the one
 * scripts/start.ts imports, and a count recorded through either must reach the same /metrics.
 */
const metrics: Metrics = ((globalThis as Record<symbol, unknown>)[Symbol.for('b2b.metrics')] ??= build()) as Metrics;

export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  metrics.requests.inc({ method, route, status: String(status) });
  metrics.requestSeconds.observe({ method, route }, seconds);
}

export function observeSearch(engine: string, seconds: number): void {
  metrics.searchSeconds.observe({ engine }, seconds);
}

/** Called by the page cache on each lookup. */
export function countPageCache(result: 'hit' | 'miss'): void {
  metrics.pageCache.inc({ result });
}

/** A stretch of synchronous work of a job (between two breaks it gave the event loop). */
export function noteJobSlice(job: string, ms: number): void {
  if (ms > (metrics.sliceMaxima.get(job) ?? 0)) metrics.sliceMaxima.set(job, ms);
}

export function countDroppedLogLine(): void {
  metrics.droppedLogLines.inc();
}

export async function droppedLogLines(): Promise<number> {
  return (await metrics.droppedLogLines.get()).values[0]?.value ?? 0;
}

export function countJobRun(job: string, ok: boolean): void {
  metrics.jobRuns.inc({ job, outcome: ok ? 'ok' : 'failed' });
}

/**
 * Queues and what counts as waiting in each. Tables other branches add are read only when this database has them,
 * so the raw SQL here names tables db/schema.ts may not know yet.
 */
const QUEUES: { queue: string; table: string; waiting: string }[] = [
  { queue: 'search', table: 'search_outbox', waiting: '1' },
  { queue: 'mail', table: 'mail_outbox', waiting: "status = 'queued'" },
  { queue: 'webhook', table: 'webhook_deliveries', waiting: "status = 'pending'" },
  { queue: 'match', table: 'match_outbox', waiting: '1' },
  { queue: 'favourites', table: 'listing_changes', waiting: '1' },
];

/** Rows waiting in each outbox this database has. */
export function backlogs(db: Db): Record<string, number> {
  const tables = new Set(
    db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table'`).map((r) => r.name),
  );
  const out: Record<string, number> = {};
  for (const q of QUEUES) {
    if (!tables.has(q.table)) continue;
    try {
      out[q.queue] = db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${q.table} WHERE ${q.waiting}`))?.n ?? 0;
    } catch {
      // A queue of another shape (no status column): everything in it waits.
      out[q.queue] = db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${q.table}`))?.n ?? 0;
    }
  }
  return out;
}

export function walBytes(dbFile: string): number {
  try {
    return fs.statSync(`${dbFile}-wal`).size;
  } catch {
    return 0;
  }
}

/** The exposition text, with the gauges read now. */
export async function metricsText(db: Db, dbFile: string): Promise<{ contentType: string; body: string }> {
  metrics.backlog.reset();
  for (const [queue, n] of Object.entries(backlogs(db))) metrics.backlog.set({ queue }, n);
  metrics.walBytes.set(walBytes(dbFile));
  metrics.jobSliceMax.reset();
  for (const [job, ms] of metrics.sliceMaxima) metrics.jobSliceMax.set({ job }, ms / 1000);
  metrics.sliceMaxima.clear();
  const thread = process.threadCpuUsage();
  metrics.mainThreadCpu.set((thread.user + thread.system) / 1e6);
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}
