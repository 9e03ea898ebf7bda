// Backups while the site writes, and restoring them: `npm run backup` runs as its own process while another process
// keeps committing writes; the restored database passes integrity_check and holds every write acknowledged before the
// backup began. A restore refuses while the database is open elsewhere and refuses a damaged backup, replacing nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { listBackups, readManifest } from '../../src/server/backup/index.ts';
import { backupIfDue } from '../../src/server/backup/job.ts';
import { openDatabase } from '../../src/server/db.ts';
import { imageFolder } from '../../src/server/media/index.ts';
import { privateMediaRoot } from '../../src/server/verification/index.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { REFERENCE_FILES, tempDir } from '../helpers/db.ts';

const run = (script: string, args: string[], env: Record<string, string>) =>
  spawnSync(path.resolve('node_modules/.bin/tsx'), [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

/** The same, without blocking this process, so the writer's acknowledgements keep arriving meanwhile. */
function runAlongside(script: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(path.resolve('node_modules/.bin/tsx'), [script, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

const dataDir = path.join(tempDir(), 'data');
const backups = path.join(tempDir(), 'backups');
const dbFile = path.join(dataDir, 'site.db');

// A site's worth of data and a few images (content-addressed folders, as media/ stores them).
const db = openDatabase(dbFile);
seedTaxonomy(db, REFERENCE_FILES);
writeDemoData(db, { listings: 3000, seed: 7, now: Date.now() });
db.$client.close();
function addImage(hash: string, root = dataDir) {
  const folder = imageFolder(root, hash);
  fs.mkdirSync(folder, { recursive: true });
  for (const w of [320, 800]) fs.writeFileSync(path.join(folder, `${hash}-${w}.webp`), `image ${hash} ${w}`);
}
addImage('aa11' + 'f'.repeat(60));
addImage('bb22' + 'e'.repeat(60));
// A company's business licence photo, which verification keeps outside the served media folder.
const licenceHash = 'dd44' + 'c'.repeat(60);
addImage(licenceHash, privateMediaRoot(dataDir));
const licenceFile = path.join(imageFolder(privateMediaRoot(dataDir), licenceHash), `${licenceHash}-800.webp`);

/** Another process committing one write after another, printing the id of each once it is committed. */
function startWriter(): { child: ChildProcess; acked: () => number; stop: () => Promise<void> } {
  const script = `
    const Database = require(${JSON.stringify(path.resolve('node_modules/better-sqlite3'))});
    const db = new Database(${JSON.stringify(dbFile)});
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare('INSERT INTO search_outbox (listing_id, created_at) VALUES (?, ?)');
    let stop = false;
    process.on('SIGTERM', () => { stop = true; });
    (function write() {
      if (stop) { db.close(); process.exit(0); }
      const { lastInsertRowid } = insert.run(1, Date.now());
      process.stdout.write(lastInsertRowid + '\\n');
      setImmediate(write);
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    if (lines.length > 0) last = Number(lines.at(-1));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    child,
    acked: () => last,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let writer: ReturnType<typeof startWriter> | undefined;
afterAll(async () => writer?.stop());

const outboxIds = (file: string) => {
  const copy = new Database(file, { readonly: true });
  try {
    return { ids: new Set(copy.prepare('SELECT id FROM search_outbox').pluck().all() as number[]), check: copy.pragma('integrity_check', { simple: true }) };
  } finally {
    copy.close();
  }
};

describe('npm run backup during a stream of writes, then npm run restore', () => {
  let first: string;
  let ackedBefore = 0;

  it('takes a consistent copy while another process keeps writing', async () => {
    writer = startWriter();
    await expect.poll(() => writer!.acked(), { timeout: 10_000 }).toBeGreaterThan(200);
    ackedBefore = writer.acked();
    const res = await runAlongside('scripts/backup.ts', ['--to', backups], { DATA_DIR: dataDir });
    expect(res.status, res.stderr).toBe(0);
    expect(writer.acked()).toBeGreaterThan(ackedBefore); // the writes went on meanwhile
    expect(res.stdout).toMatch(/Backed up 3000 listings .* and 6 image files \(6 new, 0 linked/);
    [first] = listBackups(backups) as [string];
    expect(readManifest(first).listings).toBe(3000);
  });

  it('refuses to restore while the database is in use, and changes nothing', () => {
    const before = fs.statSync(dbFile).ino;
    const res = run('scripts/restore.ts', [first], { DATA_DIR: dataDir });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/is in use .* stop the site first/);
    expect(fs.statSync(dbFile).ino).toBe(before);
  });

  it('restores every write acknowledged before the backup began, into a database that passes integrity_check', async () => {
    await writer!.stop();
    fs.rmSync(privateMediaRoot(dataDir), { recursive: true }); // the disk that held the licence photos is lost
    const res = run('scripts/restore.ts', [first], { DATA_DIR: dataDir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/3000 listings, 6 image files, search index rebuilt\. The replaced database is kept as .*before-restore/);
    expect(fs.readFileSync(licenceFile, 'utf8')).toBe(`image ${licenceHash} 800`);
    const { ids, check } = outboxIds(dbFile);
    expect(check).toBe('ok');
    const missing = Array.from({ length: ackedBefore }, (_, i) => i + 1).filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
  });

  it('links the images the previous backup has instead of copying them again', () => {
    addImage('cc33' + 'd'.repeat(60));
    const res = run('scripts/backup.ts', ['--to', backups, '--keep', '5'], { DATA_DIR: dataDir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/8 image files \(2 new, 6 linked/);
    const [second] = listBackups(backups) as [string];
    const rel = path.join('aa', '11', 'aa11' + 'f'.repeat(60), `aa11${'f'.repeat(60)}-320.webp`);
    expect(fs.statSync(path.join(second, 'media', rel)).ino).toBe(fs.statSync(path.join(first, 'media', rel)).ino);
    const licence = path.relative(dataDir, licenceFile);
    expect(fs.statSync(path.join(second, licence)).ino).toBe(fs.statSync(path.join(first, licence)).ino);
  });

  it('refuses a backup whose licence photo is damaged', () => {
    const [newest] = listBackups(backups) as [string];
    const photo = path.join(newest, path.relative(dataDir, licenceFile));
    const good = fs.readFileSync(photo);
    fs.unlinkSync(photo); // a hard link shared with the first backup: replace it, don't write through it
    fs.writeFileSync(photo, 'not the photo');
    try {
      const res = run('scripts/restore.ts', [newest], { DATA_DIR: dataDir });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/licence photo .* does not match its checksum/);
    } finally {
      fs.unlinkSync(photo);
      fs.writeFileSync(photo, good);
    }
  });

  it('still restores a backup written before licence photos were backed up (manifest format 1)', async () => {
    const [newest] = listBackups(backups) as [string];
    const old = path.join(tempDir(), 'old-backup');
    fs.cpSync(newest, old, { recursive: true });
    const { privateMedia: _dropped, ...manifest } = readManifest(old);
    fs.rmSync(path.join(old, 'private'), { recursive: true });
    fs.writeFileSync(path.join(old, 'manifest.json'), JSON.stringify({ ...manifest, format: 1 }));
    const res = run('scripts/restore.ts', [old], { DATA_DIR: dataDir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/3000 listings, 6 image files/);
  });

  it('refuses a damaged backup before replacing anything', () => {
    const [newest] = listBackups(backups) as [string];
    const image = Object.keys(readManifest(newest).media).find((rel) => rel.includes('cc33'))!;
    fs.writeFileSync(path.join(newest, 'media', image), 'not the image');
    const before = fs.statSync(dbFile).ino;
    const res = run('scripts/restore.ts', [newest], { DATA_DIR: dataDir });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/does not match its checksum: this backup is damaged/);
    expect(fs.statSync(dbFile).ino).toBe(before);
  });
});

describe('the daily backup job', () => {
  it('takes a backup when the newest is a day old, and keeps the newest BACKUP_KEEP', async () => {
    const root = path.join(tempDir(), 'daily');
    const site = openDatabase(dbFile);
    try {
      const cfg = { BACKUP_DIR: root, BACKUP_KEEP: 2, dataDir };
      const day = 24 * 3600_000;
      const t0 = Date.UTC(2026, 10, 1, 3);
      expect(await backupIfDue(site, cfg, t0)).toBe(1);
      expect(await backupIfDue(site, cfg, t0 + 3600_000)).toBe(0);
      expect(await backupIfDue(site, cfg, t0 + day)).toBe(1);
      expect(await backupIfDue(site, cfg, t0 + 2 * day)).toBe(1);
      expect(listBackups(root).map((d) => readManifest(d).createdAt)).toEqual([t0 + 2 * day, t0 + day]);
    } finally {
      site.$client.close();
    }
  });
});
