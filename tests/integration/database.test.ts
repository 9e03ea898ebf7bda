import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DataDirError, openDatabase } from '../../src/server/db.ts';
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
      'prohibited_terms', 'regions', 'reports', 'saved_search_anchors', 'saved_search_hits', 'saved_search_outbox',
      'saved_searches', 'search_dictionaries', 'search_outbox', 'sessions', 'site_keys', 'sitemap_blocks', 'users',
      'webhook_deliveries', 'webhook_endpoints',
    ]);
    // Migrations ran, so the planner's statistics were computed for the schema they made.
    expect(db.$client.prepare("select count(*) from sqlite_schema where name = 'sqlite_stat1'").pluck().get()).toBe(1);
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
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
