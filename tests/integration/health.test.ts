// Readiness against a real database file: a database another connection keeps locked, Meilisearch configured but
// away, a stopped job runner and pending migrations each make the instance unready, and it is ready again after. (A
// read-only database file needs a server that is not root: tests/e2e/operations.test.ts.)
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/server-process.ts';
import { readiness } from '../../src/server/observability/health.ts';
import { warmUpOnce } from '../../src/server/observability/jobs.ts';
import { ensureSearchIndex, startIndexer } from '../../src/server/search/indexer.ts';
import { freshDb } from '../helpers/db.ts';

const db = freshDb();
ensureSearchIndex(db);
const dbFile = db.$client.name;
const stopIndexer = startIndexer(db);
afterAll(() => stopIndexer());

describe('/readyz checks', () => {
  it('are all green on a migrated, indexed database with the job runner started', async () => {
    const r = await readiness(db, { dbFile, MEILI_URL: undefined });
    expect(r).toEqual({ ready: true, checks: { database: { ok: true }, migrations: { ok: true }, search: { ok: true }, jobs: { ok: true } } });
  });

  it('turn unready while the database cannot take a write, and ready again after', async () => {
    const holder = new Database(dbFile);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const r = await readiness(db, { dbFile, MEILI_URL: undefined });
      expect(r.ready).toBe(false);
      expect(r.checks.database).toEqual({ ok: false, detail: 'SQLITE_BUSY' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect((await readiness(db, { dbFile, MEILI_URL: undefined })).ready).toBe(true);
  });

  it('turn unready while the start-up warm-up runs, and ready once it is done', async () => {
    let finish: (() => void) | undefined;
    const warming = warmUpOnce(db, () => new Promise<number>((resolve) => (finish = () => resolve(1))));
    const r = await readiness(db, { dbFile, MEILI_URL: undefined });
    expect(r.ready).toBe(false);
    expect(r.checks.warmUp).toEqual({ ok: false, detail: 'warming up' });
    // The warm-up starts on the next turn of the event loop, after the request that started it.
    while (!finish) await new Promise((resolve) => setImmediate(resolve));
    expect((await readiness(db, { dbFile, MEILI_URL: undefined })).ready).toBe(false);
    finish();
    await warming;
    expect(await readiness(db, { dbFile, MEILI_URL: undefined })).toMatchObject({ ready: true });
  });

  it('turn unready when Meilisearch is configured but nothing answers there', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await readiness(db, { dbFile, MEILI_URL: closed });
    expect(r.ready).toBe(false);
    expect(r.checks.meilisearch!.ok).toBe(false);
    expect(r.checks.meilisearch!.detail).toMatch(/^unreachable/);
  });

  it('name pending migrations and a job runner that is not running', async () => {
    const other = freshDb({ seed: false });
    ensureSearchIndex(other);
    other.$client.exec('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)');
    const r = await readiness(other, { dbFile: other.$client.name, MEILI_URL: undefined });
    expect(r.checks.migrations).toEqual({ ok: false, detail: 'migrations pending' });
    expect(r.checks.jobs).toEqual({ ok: false, detail: 'job runner not running' });
  });
});
