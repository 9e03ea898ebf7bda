// Start-up faults end with one message naming the problem: a database from a newer release is refused (a rollback
// must not run old code on a newer schema), and a full disk while seeding reads as a full disk, not a stack trace.
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runStartExpectingFailure } from '../../scripts/lib/server-process.ts';
import { prepareSite } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { DataDirError, openDatabase } from '../../src/server/db.ts';
import { tempDir } from '../helpers/db.ts';

const YEAR = 365 * 24 * 3600 * 1000;
const journal = (await import('../../db/migrations/meta/_journal.json', { with: { type: 'json' } })).default;
const ourLatest = journal.entries.at(-1)!;

/** A migrated database that a release one year ahead has migrated once more (a new column, its migration row). */
function newerDatabase(): { dataDir: string; file: string } {
  const dataDir = path.join(tempDir(), 'data');
  const file = path.join(dataDir, 'site.db');
  openDatabase(file).$client.close();
  const db = new Database(file);
  db.exec('alter table listings add column promoted_until integer');
  db.prepare('insert into __drizzle_migrations (hash, created_at) values (?, ?)').run('f'.repeat(64), ourLatest.when + YEAR);
  db.close();
  return { dataDir, file };
}

describe('a database migrated by a newer release', () => {
  it('is refused on open, naming both schema versions', () => {
    const { file } = newerDatabase();
    const attempt = () => openDatabase(file);
    expect(attempt).toThrow(DataDirError);
    expect(attempt).toThrow(`database schema version ${journal.entries.length + 1}`);
    expect(attempt).toThrow(`this release's schema version ${journal.entries.length} (${ourLatest.tag}`);
  });

  it('stops `npm start` with that one message and exit code 1, before serving anything', async () => {
    const { dataDir } = newerDatabase();
    const { code, output } = await runStartExpectingFailure({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', PORT: '4431', HOST: '127.0.0.1' });
    expect(code).toBe(1);
    expect(output).toContain('was migrated by a newer release');
    expect(output).not.toMatch(/\n\s+at /);
  });
});

describe('a full disk at start-up', () => {
  it('while seeding is one message naming the file and the full disk', () => {
    const dataDir = path.join(tempDir(), 'data');
    const cfg = parseConfig({ DATA_DIR: dataDir, DEMO_LISTINGS: '3000' });
    const db = openDatabase(cfg.dbFile);
    // The file may not grow past its migrated size plus a few pages: the disk is "full" as seeding starts.
    const pages = db.$client.pragma('page_count', { simple: true }) as number;
    db.$client.pragma(`max_page_count = ${pages + 4}`);
    try {
      const attempt = () => prepareSite(db, cfg);
      expect(attempt).toThrow(DataDirError);
      expect(attempt).toThrow(`The database file ${cfg.dbFile} could not be written while preparing the site`);
      expect(attempt).toThrow(/SQLITE_FULL\)\. The disk is full/);
    } finally {
      db.$client.close();
    }
  });

  it('in any command is one line on stderr and exit code 1 (runCli)', async () => {
    const script = `
      import Database from 'better-sqlite3';
      import { runCli } from './scripts/lib/cli.ts';
      await runCli(() => {
        const db = new Database(':memory:');
        db.pragma('max_page_count = 2');
        db.exec('create table t (x text)');
        for (let i = 0; i < 1000; i++) db.prepare('insert into t values (?)').run('x'.repeat(1000));
      });`;
    const child = spawn(path.resolve('node_modules/.bin/tsx'), ['--input-type=module', '-e', script], {
      env: { ...process.env, DATA_DIR: path.join(tempDir(), 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/failed: database or disk is full \(SQLITE_FULL\)\. The disk is full/);
  });
});
