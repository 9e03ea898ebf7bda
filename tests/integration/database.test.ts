import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DataDirError, openDatabase, PAGE_CACHE_KIB } from '../../src/server/db.ts';
import { tempDir } from '../helpers/db.ts';

const tables = (db: ReturnType<typeof openDatabase>) =>
  db.$client
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name")
    .pluck()
    .all();

describe('opening the database', () => {
  it('creates the data folder and every table in an empty file', () => {
    const file = path.join(tempDir(), 'nested', 'data', 'site.db');
    const db = openDatabase(file);
    expect(tables(db)).toEqual([
      'api_tokens', 'audit_log', 'categories', 'companies', 'company_daily_stats', 'company_verifications',
      'daily_counts', 'favourites', 'inquiry_blocks', 'inquiry_messages', 'inquiry_threads', 'lead_prefs', 'leads',
      'listing_batches', 'listing_changes', 'listing_counts', 'listing_daily_stats', 'listing_dup_bands',
      'listing_images', 'listings', 'mail_outbox', 'match_outbox', 'password_resets', 'pending_uploads',
      'prohibited_terms', 'rate_limits', 'regions', 'reports', 'saved_search_anchors', 'saved_search_hits', 'saved_search_outbox',
      'saved_searches', 'search_dictionaries', 'search_outbox', 'sessions', 'site_keys', 'sitemap_blocks', 'users',
      'webhook_deliveries', 'webhook_endpoints',
    ]);
    // Migrations ran, so the planner's statistics were computed for the schema they made.
    expect(db.$client.prepare("select count(*) from sqlite_schema where name = 'sqlite_stat1'").pluck().get()).toBe(1);
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    // Negative: a size in KiB, not pages; the memory the server keeps for SQLite's pages.
    expect(db.$client.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    db.$client.close();
  });

  it('opens an already migrated file again without change', () => {
    const file = path.join(tempDir(), 'site.db');
    const first = openDatabase(file);
    const created = tables(first);
    first.$client.close();
    const db = openDatabase(file);
    expect(tables(db)).toEqual(created);
    db.$client.close();
  });

  it('names the file when it is not a database', () => {
    const file = path.join(tempDir(), 'site.db');
    fs.writeFileSync(file, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    expect(() => openDatabase(file)).toThrow(DataDirError);
    expect(() => openDatabase(file)).toThrow(file);
  });

  it('names the file and the reason when its schema does not match the migrations', () => {
    const file = path.join(tempDir(), 'site.db');
    const other = new Database(file);
    other.exec('create table categories (id integer primary key)');
    other.close();
    const attempt = () => openDatabase(file);
    expect(attempt).toThrow(DataDirError);
    expect(attempt).toThrow(`The database file ${file} cannot be opened: table \`categories\` already exists`);
    expect(attempt).not.toThrow(/CREATE TABLE/);
  });

  it('names the folder when the data folder is a file', () => {
    const dir = path.join(tempDir(), 'data');
    fs.writeFileSync(dir, '');
    expect(() => openDatabase(path.join(dir, 'site.db'))).toThrow(new RegExp(`data folder ${dir}`));
  });
});

describe('two connections to one file (two app processes)', () => {
  // What the search indexer's transaction did: read an index key, then write. The other connection commits a write
  // in between (here synchronously inside the transaction, as another process would at any moment).
  const readThenWrite = (mine: ReturnType<typeof openDatabase>, other: ReturnType<typeof openDatabase>) => () => {
    mine.$client.prepare('SELECT value FROM site_keys').all();
    other.$client.prepare("INSERT INTO site_keys (name, value, created_at) VALUES ('other', 'x', 0)").run();
    mine.$client.prepare("INSERT INTO site_keys (name, value, created_at) VALUES ('mine', 'y', 0)").run();
  };

  it('a transaction begins with the write lock: the other writer waits, and nothing fails for a stale read', () => {
    const file = path.join(tempDir(), 'site.db');
    const [mine, other] = [openDatabase(file), openDatabase(file)];
    try {
      // No waiting in a test: the other connection gives up at once where it would wait busy_timeout.
      other.$client.pragma('busy_timeout = 0');
      const names = () => mine.$client.prepare('SELECT name FROM site_keys ORDER BY name').pluck().all();
      expect(() => mine.$client.transaction(readThenWrite(mine, other))()).toThrow(/database is locked/);
      expect(names()).toEqual([]);
      mine.$client.transaction(() => {
        mine.$client.prepare('SELECT value FROM site_keys').all();
        expect(() => other.$client.prepare("INSERT INTO site_keys (name, value, created_at) VALUES ('other', 'x', 0)").run()).toThrow(/database is locked/);
        mine.$client.prepare("INSERT INTO site_keys (name, value, created_at) VALUES ('mine', 'y', 0)").run();
      })();
      expect(names()).toEqual(['mine']);
      // Deferred, as before: the other commit lands between the read and the write, and the write fails at once
      // with SQLITE_BUSY whatever the busy timeout (the "database is locked" job lines of a two-node run).
      mine.$client.pragma('busy_timeout = 5000');
      expect(() => mine.$client.transaction(readThenWrite(mine, other)).deferred()).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY_SNAPSHOT' }));
    } finally {
      mine.$client.close();
      other.$client.close();
    }
  });
});
