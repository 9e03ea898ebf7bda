// `npm run admin`, as a child process against a temporary data folder.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/db.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { makeCompany, makeUser, REFERENCE_FILES, tempDir } from '../helpers/db.ts';

const dataDir = tempDir();
const file = path.join(dataDir, 'site.db');
const setup = openDatabase(file);
seedTaxonomy(setup, REFERENCE_FILES);
const company = makeCompany(setup, { name: '验证测试有限公司' });
const user = makeUser(setup, { email: 'boss@example.com' });
setup.$client.close();

const admin = (...args: string[]) =>
  spawnSync(path.resolve('node_modules/.bin/tsx'), ['scripts/admin.ts', ...args], {
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
  });
const read = <T>(sql: string, arg: unknown) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).get(arg) as T;
  } finally {
    db.close();
  }
};

describe('npm run admin', () => {
  it('verifies and unverifies a company by slug', () => {
    const on = admin('verify-company', company.slug);
    expect(on.status, on.stderr).toBe(0);
    expect(on.stdout).toContain('验证测试有限公司');
    expect(read<{ verified: number }>('select verified from companies where id = ?', company.id).verified).toBe(1);
    const off = admin('unverify-company', company.slug);
    expect(off.status, off.stderr).toBe(0);
    expect(read<{ verified: number }>('select verified from companies where id = ?', company.id).verified).toBe(0);
  });

  it('makes an account an administrator by email', () => {
    const res = admin('make-admin', 'Boss@Example.com');
    expect(res.status, res.stderr).toBe(0);
    expect(read<{ is_admin: number }>('select is_admin from users where id = ?', user.id).is_admin).toBe(1);
  });

  it('says in one line what is wrong and exits 1', () => {
    const unknown = admin('verify-company', 'no-such-slug');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe('No company has the slug "no-such-slug" (it is the last part of /company/<slug>).');
    expect(admin('make-admin', 'nobody@example.com').stderr).toContain('No account is registered');
    const bad = admin('delete-everything', 'x');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Usage: npm run admin');
    expect(admin().status).toBe(1);
  });
});
