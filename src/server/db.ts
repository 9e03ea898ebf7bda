// The SQLite connection: one file, WAL, foreign keys on, migrations applied on open.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from '../../db/schema.ts';
import { config } from './config.ts';
import { onShutdown, SHUTDOWN_ORDER } from './lifecycle.ts';

/**
 * SQLite's page cache per connection, in KiB. The index pages the pages read stay in it; what falls out is still in
 * the system's file cache, a read away. Whatever size is set fills up at a million listings (one sitemap chunk reads
 * ~110,000 rows) and stays with the server: 64 MiB was too much, and 16 MiB held 8 MB more than this with no search
 * or page time that alternating runs at a million listings could tell apart.
 */
export const PAGE_CACHE_KIB = 8192;

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const MIGRATIONS_DIR = path.resolve('db/migrations');

/** The data folder or database file cannot be used; the message names the path and says what to do. */
export class DataDirError extends Error {}

interface JournalEntry {
  tag: string;
  when: number;
}

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Refuses a database that a newer release has migrated: serving it would run this code on a schema it does not know
 * (a rollback after an upgrade). drizzle records each applied migration with its journal timestamp, so a recorded
 * timestamp that is not in our journal is a migration this release does not have.
 */
function assertKnownMigrations(sqlite: Database.Database, file: string): void {
  const hasTable = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
  if (!hasTable) return;
  const applied = sqlite.prepare('select created_at from __drizzle_migrations order by created_at').pluck().all() as number[];
  const journal = (JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] }).entries;
  const known = new Set(journal.map((e) => Number(e.when)));
  const unknown = applied.filter((when) => !known.has(Number(when)));
  if (unknown.length === 0) return;
  const ours = journal.at(-1);
  const newest = Math.max(...applied.map(Number));
  throw new DataDirError(
    `The database file ${file} was migrated by a newer release of this site: database schema version ${applied.length} ` +
      `(newest migration of ${dateOf(newest)}, ${unknown.length} unknown here), this release's schema version ` +
      `${journal.length} (${ours ? `${ours.tag} of ${dateOf(ours.when)}` : 'none'}). ` +
      'Start the newer release again, or restore a backup taken before the upgrade.',
  );
}

/**
 * A SQLite error as one sentence for a person (the database file, what happened, its code), for start-up: a full
 * disk while seeding must read as that, not as a stack trace.
 */
export function databaseProblem(file: string, e: unknown, failed = 'cannot be opened'): DataDirError {
  if (e instanceof DataDirError) return e;
  // drizzle's migrator wraps SQLite's error (and quotes the whole migration); the cause is what a person needs.
  const err = ((e as Error).cause instanceof Error ? (e as Error).cause : e) as Error & { code?: string };
  const advice =
    err.code === 'SQLITE_FULL'
      ? 'The disk is full: free some space and start again.'
      : err.code === 'SQLITE_READONLY' || err.code === 'SQLITE_CANTOPEN' || err.code === 'SQLITE_IOERR' || err.code?.startsWith('SQLITE_IOERR_')
        ? 'Check that the file and its folder can be written, and that the disk is healthy.'
        : 'Move it away to start with an empty site, or restore it from a backup.';
  return new DataDirError(`The database file ${file} ${failed}: ${err.message}${err.code ? ` (${err.code})` : ''}. ${advice}`);
}

/** True for an error raised by SQLite (better-sqlite3 gives each a SQLITE_* code). */
export function isSqliteError(e: unknown): boolean {
  const err = ((e as Error)?.cause instanceof Error ? (e as Error).cause : e) as { code?: unknown } | null;
  return typeof err?.code === 'string' && err.code.startsWith('SQLITE_');
}

function prepareDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (e) {
    throw new DataDirError(`The data folder ${dir} cannot be created or written (${(e as Error).message}).`);
  }
  if (!fs.statSync(dir).isDirectory()) throw new DataDirError(`The data folder ${dir} is not a folder.`);
}

/** Opens (creating if needed) and migrates the database file. */
export function openDatabase(file: string): Db {
  prepareDataDir(path.dirname(file));
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    sqlite.pragma('temp_store = MEMORY');
    beginImmediately(sqlite);
    assertKnownMigrations(sqlite, file);
    sqlite.pragma(`analysis_limit = ${ANALYSIS_LIMIT}`);
    const db = drizzle(sqlite, { schema });
    keepStatements(db);
    const before = migrationsApplied(sqlite);
    migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    // A migration can add or drop an index: the planner's statistics must describe the schema it plans for.
    if (migrationsApplied(sqlite) !== before) analyzeDatabase(db);
    else optimizeDatabase(db); // what SQLite advises at open: analyze only the tables that need it
    return db;
  } catch (e) {
    sqlite?.close();
    throw databaseProblem(file, e);
  }
}

/**
 * Makes `sqlite.transaction(fn)()` begin IMMEDIATE (drizzle's transactions name their behaviour; the search's raw ones
 * did not). A deferred transaction that reads before it writes holds a snapshot; when another process (a second app
 * node on this file) commits before its first write, SQLite refuses the upgrade at once with SQLITE_BUSY, "database
 * is locked", without waiting busy_timeout, since no wait can make the snapshot current. The search indexer's
 * transaction read each listing's index key first: the `job failed (search-indexer): database is locked` lines of a
 * two-node run. IMMEDIATE takes the write lock before the first read and waits for it like any writer.
 * `.deferred()` stays available to a transaction that only reads.
 */
function beginImmediately(sqlite: Database.Database): void {
  const transaction = sqlite.transaction.bind(sqlite);
  sqlite.transaction = ((fn: Parameters<typeof transaction>[0]) => transaction(fn).immediate) as typeof sqlite.transaction;
}

/** Statements drizzle's queries reuse, by SQL text: the newest this many. */
const KEPT_STATEMENTS = 500;

/**
 * drizzle prepares every query's statement anew, so SQLite parses and plans the same SQL on every call: 7% of the
 * server's CPU under the load bench (`npm run bench:load`). Only drizzle's own session gets the kept statements;
 * code that prepares on `$client` itself (the search) keeps its statements and their modes (pluck) as it likes.
 * drizzle sets raw mode where it wants arrays and never resets it, so a kept statement is handed back in row mode.
 */
function keepStatements(db: Db): void {
  const sqlite = db.$client;
  const kept = new Map<string, Database.Statement>();
  const prepare = (source: string): Database.Statement => {
    const stmt = kept.get(source);
    // A statement still being iterated cannot run again: that caller gets a fresh one.
    if (stmt && !stmt.busy) {
      kept.delete(source);
      kept.set(source, stmt); // newest last: the oldest is the first in the Map's order
      return stmt.reader ? stmt.raw(false) : stmt;
    }
    const fresh = sqlite.prepare(source);
    if (!stmt) {
      kept.set(source, fresh);
      if (kept.size > KEPT_STATEMENTS) kept.delete(kept.keys().next().value!);
    }
    return fresh;
  };
  const session = (db as unknown as { session: { client: Pick<Database.Database, 'prepare' | 'transaction'> } }).session;
  session.client = { prepare, transaction: sqlite.transaction.bind(sqlite) } as typeof session.client;
}

// The planner's statistics (sqlite_stat1). Without them SQLite guesses which index serves a query, and one added
// index was once enough to turn every list into a scan and sort of all live listings. The list queries are written
// so their plan is right either way (tests/integration/query-plans.test.ts checks both); statistics keep the rest
// sensible. analysis_limit bounds the work to a sample of each index: well under a second at a million listings.
const ANALYSIS_LIMIT = 1000;

function migrationsApplied(sqlite: Database.Database): number {
  const table = sqlite.prepare(`SELECT 1 FROM sqlite_schema WHERE name = '__drizzle_migrations'`).get();
  return table ? (sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n : 0;
}

/** Recomputes the statistics: after migrations and after bulk loads (demo data, imports, a search rebuild). */
export function analyzeDatabase(db: Db): void {
  db.$client.exec('ANALYZE');
}

/**
 * Refreshes the statistics of tables that changed a lot since they were last analyzed (cheap when nothing did).
 * Run on a schedule (jobs.ts) and when the server stops: call it before closing the connection. Every table is
 * considered (0x10000), not only those this connection has queried, so any connection can run it.
 */
export function optimizeDatabase(db: Db): void {
  db.$client.pragma('optimize=0x10002');
}

/**
 * Closes a connection the way a stop should: the query planner's statistics refreshed, the WAL folded into the
 * database file (so the next start, or a copy of the file, needs no recovery), then closed.
 */
export function closeDatabase(db: Db): void {
  if (!db.$client.open) return;
  optimizeDatabase(db);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
}

let shared: Db | undefined;
/** The process-wide connection to the configured data folder; closed last when the server stops. */
export function getDb(): Db {
  if (!shared) {
    const db = (shared = openDatabase(config().dbFile));
    onShutdown(
      'database',
      () => {
        if (shared === db) shared = undefined;
        closeDatabase(db);
      },
      SHUTDOWN_ORDER.database,
    );
  }
  return shared;
}

/** The `when` of the newest migration this code ships: what a current database has applied last. */
export function latestMigration(): number {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
  return Math.max(0, ...journal.entries.map((e) => e.when));
}

/** The newest migration a database has applied (drizzle records each one's `when`), 0 for none. */
export function appliedMigration(sqlite: Database.Database): number {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!table) return 0;
  const row = sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number | null };
  return Number(row.at ?? 0);
}

/** Closes the process-wide connection (a later getDb() opens it again). */
export function closeDb(): void {
  shared?.$client.close();
  shared = undefined;
}
