// `npm run import` as an owner runs it from a terminal or a nightly job.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/db.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { makeCompany, makeUser, REFERENCE_FILES, tempDir } from '../helpers/db.ts';
import { encodeGbk } from '../helpers/gbk.ts';

const dataDir = path.join(tempDir(), 'data');
const db = openDatabase(path.join(dataDir, 'site.db'));
seedTaxonomy(db, REFERENCE_FILES);
const owner = makeUser(db);
makeCompany(db, { ownerId: owner.id, name: '九江粮油贸易有限公司', slug: 'jiujiang-liangyou' });
makeCompany(db, { ownerId: null, name: '无主企业', slug: 'no-owner' });
db.$client.close();

const dir = tempDir();
const csvFile = path.join(dir, '信息.csv');
fs.writeFileSync(
  csvFile,
  encodeGbk('编号,类型,标题,分类,地区,价格,单位\nA1,供应,供应优质早籼稻,粮油,九江市,1.35,斤\nA2,供应,短,粮油,九江市,1,斤\n'),
);

const run = (...args: string[]) =>
  spawnSync(path.resolve('node_modules/.bin/tsx'), ['scripts/import.ts', ...args], {
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
  });

describe('npm run import', () => {
  it('prints the summary and the failed lines, exiting 1 when a row failed', () => {
    const res = run('--company', 'jiujiang-liangyou', csvFile);
    expect(res.stdout).toContain('新增 1 条，更新 0 条，未变 0 条，失败 1 条。');
    expect(res.stdout).toContain('第 3 行: 标题：标题至少 4 个字');
    expect(res.status).toBe(1);
  });

  it('exits 0 on a clean re-run, in English when asked', () => {
    fs.writeFileSync(csvFile, encodeGbk('编号,类型,标题,分类,地区,价格,单位\nA1,供应,供应优质早籼稻,粮油,九江市,1.35,斤\n'));
    const res = run('--company', 'jiujiang-liangyou', csvFile, '--lang', 'en');
    expect(res.stdout).toContain('0 created, 0 updated, 1 unchanged, 0 failed.');
    expect(res.status, res.stderr).toBe(0);
  });

  it('explains a wrong company, a missing file, an unreadable CSV and bad arguments', () => {
    expect(run('--company', 'nobody', csvFile)).toMatchObject({ status: 1, stderr: expect.stringContaining('No company has the slug "nobody"') });
    expect(run('--company', 'no-owner', csvFile)).toMatchObject({ status: 1, stderr: expect.stringContaining('no owner') });
    expect(run('--company', 'jiujiang-liangyou', path.join(dir, 'missing.csv'))).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('Cannot read'),
    });
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, '名字,价钱\n大米,1\n');
    expect(run('--company', 'jiujiang-liangyou', bad)).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('无法识别的列：名字, 价钱'),
    });
    expect(run(csvFile)).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: npm run import') });
  });
});
