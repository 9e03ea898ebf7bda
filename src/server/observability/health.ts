// Liveness and readiness. /healthz says only that the process answers; /readyz says whether this instance should get
// traffic: the database takes writes, its migrations are this code's, the FTS5 index is built, Meilisearch (when
// configured) answers and has every change, and the job runner runs. Each check is bounded (well under a second) so a
// load balancer can ask every second.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { asc } from 'drizzle-orm';
import { searchOutbox } from '../../../db/schema.ts';
import type { Config } from '../config.ts';
import { appliedMigration, latestMigration, type Db } from '../db.ts';
import { ftsMeta, FTS_VERSION } from '../search/fts.ts';
import { indexerAlive } from '../search/indexer.ts';
import { warmUpState as warmUpStateOf } from './jobs.ts';

export interface Check {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

/** Below this much free space the database is as good as read-only (a checkpoint or an insert would fail). */
const MIN_FREE_BYTES = 64 * 1024 * 1024;
/** A change not in Meilisearch after this long means it is behind (the indexer retries within seconds). */
const MAX_SEARCH_LAG_MS = 60_000;
const TIMEOUT_MS = 800;

/**
 * Writable: the file and its folder (SQLite creates the -wal and -shm beside it) may be written by this process, the
 * disk has room, and a connection of its own takes the write lock and gives it back without writing, within a short
 * busy timeout. The permissions are asked of the file system because SQLite, which keeps the files it opened in this
 * process open, would not notice a file or a mount turned read-only until the server's next start.
 */
export function databaseWritable(dbFile: string): Check {
  try {
    fs.accessSync(dbFile, fs.constants.W_OK);
    fs.accessSync(path.dirname(dbFile), fs.constants.W_OK);
  } catch {
    return { ok: false, detail: 'read-only' };
  }
  const free = fs.statfsSync(path.dirname(dbFile));
  if (free.bavail * free.bsize < MIN_FREE_BYTES) return { ok: false, detail: 'disk full' };
  let probe: Database.Database | undefined;
  try {
    probe = new Database(dbFile, { fileMustExist: true, timeout: 250 });
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: (e as { code?: string }).code ?? (e as Error).message };
  } finally {
    probe?.close();
  }
}

function migrationsCurrent(db: Db): Check {
  const applied = appliedMigration(db.$client);
  const latest = latestMigration();
  return applied === latest ? { ok: true } : { ok: false, detail: applied < latest ? 'migrations pending' : 'database is newer than this code' };
}

function searchIndexReady(db: Db): Check {
  return ftsMeta(db, 'fts_version') === FTS_VERSION ? { ok: true } : { ok: false, detail: 'FTS5 index not built' };
}

async function meiliReady(db: Db, url: string, now: number): Promise<Check> {
  try {
    const res = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) return { ok: false, detail: `unhealthy (${res.status})` };
  } catch (e) {
    return { ok: false, detail: `unreachable (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message})` };
  }
  // The oldest waiting change, by primary key: no scan whatever the backlog.
  const oldest = db.select({ at: searchOutbox.createdAt }).from(searchOutbox).orderBy(asc(searchOutbox.id)).limit(1).get();
  if (oldest && now - oldest.at > MAX_SEARCH_LAG_MS) return { ok: false, detail: `behind by ${Math.round((now - oldest.at) / 1000)} s` };
  return { ok: true };
}

export async function readiness(db: Db, cfg: Pick<Config, 'dbFile' | 'MEILI_URL'>, now = Date.now()): Promise<Readiness> {
  const warmUp = warmUpStateOf(db);
  const checks: Record<string, Check> = {
    database: databaseWritable(cfg.dbFile),
    migrations: migrationsCurrent(db),
    search: searchIndexReady(db),
    jobs: indexerAlive(db, now) ? { ok: true } : { ok: false, detail: 'job runner not running' },
  };
  // Only while the start-up warm-up runs (src/server/jobs.ts): the first search costs a second of loading.
  if (warmUp === 'running') checks.warmUp = { ok: false, detail: 'warming up' };
  if (cfg.MEILI_URL) checks.meilisearch = await meiliReady(db, cfg.MEILI_URL, now);
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
