// The built server as an operator sees it: JSON log lines only (Astro's and the demo-data message included), a request
// id on every request's line and in its response, /healthz and /readyz for the load balancer (unready while the
// database cannot take a write, ready again after), and /metrics only for the bearer of METRICS_TOKEN.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { tempDir } from '../helpers/db.ts';

const METRICS_TOKEN = 'metrics-token-for-the-test-0123';
let server: RunningServer;
let dataDir: string;

// As root (CI) the server runs as `nobody`, so file permissions bind it as they bind a production server; that needs
// a checkout others may read (every folder above it searchable).
const NOBODY = { uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;
const othersReach = (dir: string): boolean =>
  (fs.statSync(dir).mode & 0o005) === 0o005 && (path.dirname(dir) === dir || othersReach(path.dirname(dir)));
const asNobody = asRoot && othersReach(process.cwd());

beforeAll(async () => {
  const parent = tempDir();
  dataDir = path.join(parent, 'data');
  fs.mkdirSync(dataDir);
  if (asNobody) {
    fs.chmodSync(parent, 0o755);
    fs.chownSync(dataDir, NOBODY.uid, NOBODY.gid);
  }
  const env = { DATA_DIR: dataDir, DEMO_LISTINGS: '30', LOG_FORMAT: 'json', LOG_LEVEL: 'info', METRICS_TOKEN };
  server = await startServer(env, 60_000, undefined, asNobody ? NOBODY : undefined);
});

afterAll(async () => {
  await server?.stop();
});

function logLines(): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logs', () => {
  it('are one JSON object a line, start-up included', () => {
    const lines = logLines();
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['seeded demo data', expect.stringMatching(/^serving http:\/\/\S+:\d+$/)]));
  });

  it('give each request an id, sent back and written with the path but not its query string', async () => {
    const res = await fetch(`${server.url}/search?q=${encodeURIComponent('zhang@example.com 钢材')}`, {
      headers: { 'x-request-id': 'chosen-by-the-client' },
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id')!;
    // Without TRUST_PROXY a client cannot choose the id its request is logged under.
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => logLines().find((l) => l.requestId === id)).toMatchObject({ method: 'GET', path: '/search', status: 200, msg: 'request' });
    expect(server.output()).not.toContain('zhang@example.com');
    expect(server.output()).not.toContain('chosen-by-the-client');
  });
});

describe('/healthz and /readyz', () => {
  it('answer JSON that no cache keeps', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });

  it('turn unready while the database cannot take a write, and ready again after', async () => {
    // Another program holding the write lock: what a stuck writer or a read-only disk looks like from inside.
    const holder = new Database(path.join(dataDir, 'site.db'));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ready: false, checks: { database: { ok: false, detail: 'SQLITE_BUSY' } } });
    } finally {
      holder.close();
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  // Root writes a read-only file all the same: this needs the server to run as someone else.
  it.skipIf(asRoot && !asNobody)('turn unready when the database file becomes read-only, and ready again after (skipped as root in a checkout other users cannot read)', async () => {
    const file = path.join(dataDir, 'site.db');
    fs.chmodSync(file, 0o444);
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ready: false, checks: { database: { ok: false, detail: 'read-only' } } });
    } finally {
      fs.chmodSync(file, 0o644);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('is refused without the token or with another one', async () => {
    const none = await fetch(`${server.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer not-the-metrics-token-0000' } })).status).toBe(401);
  });

  it('counts requests by route pattern for the bearer of the token', async () => {
    await fetch(`${server.url}/region/nanchang`);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/region\/\[slug\]",status="200"\} \d+/);
    expect(text).toMatch(/outbox_backlog\{queue="search"\} \d+/);
    expect(text).toMatch(/sqlite_wal_bytes \d+/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds \d/);
    // The event loop's own CPU, beside the process's (which adds zlib's pool and the garbage collector).
    expect(Number(/^nodejs_main_thread_cpu_seconds_total (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/page_cache_lookups_total\{result="miss"\} \d+/);
  });
});
