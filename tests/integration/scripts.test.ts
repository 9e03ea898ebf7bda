// The command-line scripts a newcomer runs, as child processes against a temporary data folder.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/db.ts';

const run = (script: string, args: string[], env: Record<string, string>) =>
  spawnSync(path.resolve('node_modules/.bin/tsx'), [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

const count = (dataDir: string, table: string) => {
  const db = new Database(path.join(dataDir, 'site.db'), { readonly: true });
  try {
    return db.prepare(`select count(*) from ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('npm run demo-data', () => {
  const dataDir = path.join(tempDir(), 'data');

  it('writes the requested number of listings into a new data folder', () => {
    const res = run('scripts/demo-data.ts', ['--listings', '500', '--seed', '3'], { DATA_DIR: dataDir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Wrote 42 companies and 500 listings/);
    expect(count(dataDir, 'listings')).toBe(500);
    expect(count(dataDir, 'regions')).toBe(112);
  });

  it('refuses to add to a database that has companies, unless told to replace them', () => {
    const refused = run('scripts/demo-data.ts', ['--listings', '100'], { DATA_DIR: dataDir });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('--replace');
    expect(count(dataDir, 'listings')).toBe(500);
    const replaced = run('scripts/demo-data.ts', ['--listings', '100', '--replace'], { DATA_DIR: dataDir });
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(count(dataDir, 'listings')).toBe(100);
  });

  it('explains bad arguments', () => {
    const res = run('scripts/demo-data.ts', ['--listings', 'lots'], { DATA_DIR: dataDir });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('--listings must be a whole number');
    expect(res.stderr).toContain('Usage:');
  });
});

describe('npm run migrate', () => {
  it('creates the database with its reference data and reports it', () => {
    const dataDir = path.join(tempDir(), 'data');
    const res = run('scripts/migrate.ts', [], { DATA_DIR: dataDir });
    expect(res.status, res.stderr).toBe(0);
    expect(count(dataDir, 'regions')).toBe(112);
    expect(count(dataDir, 'categories')).toBeGreaterThan(100);
    expect(count(dataDir, 'listings')).toBe(0);
  });

  it('names a bad setting', () => {
    const res = run('scripts/migrate.ts', [], { DATA_DIR: tempDir(), PORT: 'eighty' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('PORT');
  });
});
