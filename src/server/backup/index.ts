// Backups of the database and the uploaded images, and restoring one.
//
// A backup is a folder `<root>/<UTC time>/` holding site.db (SQLite's online backup API, so the site keeps writing),
// media/, private/media/ (the licence photos of company verification, kept out of the folder /media serves) and
// manifest.json (the migration level and a SHA-256 of every file). It is written as `<name>.partial` and
// renamed when complete, so a half-written backup never counts. Images are stored by content hash and never change:
// a file the previous backup has is hard-linked from it instead of copied, so a daily backup costs only the new images.
//
// A restore checks everything before it replaces anything (checksums, integrity_check, a migration level this code
// can run), refuses while any program has the database open, keeps the replaced database beside the new one, and
// rebuilds the FTS5 index (Meilisearch is rebuilt by the next start).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { count } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { listings } from '../../../db/schema.ts';
import { appliedMigration, latestMigration, openDatabase, type Db } from '../db.ts';
import { setFtsMeta } from '../search/fts.ts';
import { rebuildFts } from '../search/indexer.ts';
import { privateMediaRoot } from '../verification/index.ts';

export const MANIFEST = 'manifest.json';
const DB_NAME = 'site.db';

export interface Manifest {
  /** 1: before private media was backed up (no `privateMedia`); 2: with it. */
  format: 1 | 2;
  createdAt: number;
  /** The newest migration the database had applied (drizzle's `when`). */
  migration: number;
  listings: number;
  database: { file: string; bytes: number; sha256: string };
  /** Every image file, by its path under media/, with its SHA-256. */
  media: Record<string, string>;
  /** Every licence photo file, by its path under private/media/, with its SHA-256 (absent in format 1). */
  privateMedia?: Record<string, string>;
}

/**
 * The content-addressed image trees a backup carries: where each lives under DATA_DIR, and the same path inside the
 * backup folder. Both are written once per hash and never changed, so both are linked from the previous backup.
 */
const TREES = [
  { key: 'media', label: 'image', dir: (dataDir: string) => path.join(dataDir, 'media') },
  { key: 'privateMedia', label: 'licence photo', dir: (dataDir: string) => path.join(privateMediaRoot(dataDir), 'media') },
] as const;
type TreeKey = (typeof TREES)[number]['key'];

const treeFiles = (manifest: Manifest, key: TreeKey): Record<string, string> => manifest[key] ?? {};

/** Every image file a backup holds, both trees together. */
export function imageCount(manifest: Manifest): number {
  return TREES.reduce((n, t) => n + Object.keys(treeFiles(manifest, t.key)).length, 0);
}

/** The backup cannot be taken or restored; the message says why and what to do. */
export class BackupError extends Error {}

export type Progress = (phase: 'database' | 'media' | 'checksums' | 'integrity' | 'search index', done: number, total: number) => void;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Files under a folder, as paths relative to it (the upload scratch folder .tmp left out). Asynchronous, like the
 * copying below: the daily backup runs in the server, and a site's images are hundreds of thousands of files.
 */
async function filesUnder(root: string): Promise<string[]> {
  if (!fs.existsSync(root)) return [];
  return (await fs.promises.readdir(root, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)))
    .filter((rel) => !rel.startsWith(`.tmp${path.sep}`))
    .sort();
}

/** Complete backups in a root folder, newest first. */
export function listBackups(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.endsWith('.partial') && fs.existsSync(path.join(root, d.name, MANIFEST)))
    .map((d) => path.join(root, d.name))
    .sort()
    .reverse();
}

export function readManifest(dir: string): Manifest {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (e) {
    throw new BackupError(`${dir} is not a backup: its ${MANIFEST} cannot be read (${(e as Error).message}).`);
  }
}

export interface BackupOptions {
  now?: number;
  onProgress?: Progress;
  /**
   * Pages copied per step. Another process's write restarts SQLite's backup, so a separate process (the CLI) copies
   * everything in one step, a consistent snapshot that writers in WAL mode do not wait for; the server's own job
   * copies in small steps (its own writes reach the copy as they happen) so requests are not held up.
   */
  pagesPerStep?: number;
}

/** Takes a backup of `db` and the images of `dataDir` into a new folder under `root`; returns the folder. */
export async function takeBackup(db: Db, dataDir: string, root: string, opts: BackupOptions = {}): Promise<{ dir: string; manifest: Manifest; linked: number; copied: number }> {
  const now = opts.now ?? Date.now();
  const progress = opts.onProgress ?? (() => {});
  fs.mkdirSync(root, { recursive: true });
  const name = new Date(now).toISOString().replace(/[:.]/g, '-');
  const partial = path.join(root, `${name}.partial`);
  const dir = path.join(root, name);
  if (fs.existsSync(dir)) throw new BackupError(`A backup named ${name} exists already in ${root}.`);
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial);
  const previous = listBackups(root)[0];

  const copy = path.join(partial, DB_NAME);
  const step = opts.pagesPerStep ?? 0x7fffffff;
  await db.$client.backup(copy, {
    progress: ({ totalPages, remainingPages }) => {
      progress('database', totalPages - remainingPages, totalPages);
      return step;
    },
  });
  const snapshot = new Database(copy);
  let migration: number;
  let listingCount: number;
  try {
    // A single file, so a restore (or a person) can open it without its -wal and -shm.
    snapshot.pragma('journal_mode = DELETE');
    migration = appliedMigration(snapshot);
    listingCount = drizzle(snapshot).select({ n: count() }).from(listings).get()?.n ?? 0;
  } finally {
    snapshot.close();
  }
  const database = { file: DB_NAME, bytes: fs.statSync(copy).size, sha256: await sha256(copy) };

  const before = previous ? readManifest(previous) : null;
  const trees = {} as Record<TreeKey, Record<string, string>>;
  let linked = 0;
  let copied = 0;
  for (const tree of TREES) {
    const liveRoot = tree.dir(dataDir);
    const files = await filesUnder(liveRoot);
    const known = before ? treeFiles(before, tree.key) : {};
    const sums: Record<string, string> = {};
    for (const [i, rel] of files.entries()) {
      if (i % 100 === 0) progress('media', i, files.length);
      const target = path.join(tree.dir(partial), rel);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      const sum = known[rel];
      if (previous && sum) {
        try {
          await fs.promises.link(path.join(tree.dir(previous), rel), target);
          sums[rel] = sum;
          linked++;
          continue;
        } catch {
          // Another file system or a pruned file: copy it instead.
        }
      }
      await fs.promises.copyFile(path.join(liveRoot, rel), target);
      sums[rel] = await sha256(target);
      copied++;
    }
    progress('media', files.length, files.length);
    trees[tree.key] = sums;
  }

  const manifest: Manifest = { format: 2, createdAt: now, migration, listings: listingCount, database, ...trees };
  fs.writeFileSync(path.join(partial, MANIFEST), JSON.stringify(manifest, null, 1));
  fs.renameSync(partial, dir);
  return { dir, manifest, linked, copied };
}

/** Deletes all but the newest `keep` complete backups (and any partial one left by a crash); returns what it removed. */
export function pruneBackups(root: string, keep: number): string[] {
  const removed = listBackups(root).slice(keep);
  if (fs.existsSync(root)) {
    for (const d of fs.readdirSync(root)) if (d.endsWith('.partial')) removed.push(path.join(root, d));
  }
  for (const dir of removed) fs.rmSync(dir, { recursive: true, force: true });
  return removed;
}

/** Checks a backup without changing anything: checksums, integrity_check, and a migration level this code runs. */
export async function verifyBackup(dir: string, onProgress: Progress = () => {}): Promise<Manifest> {
  const manifest = readManifest(dir);
  const dbCopy = path.join(dir, manifest.database.file);
  const entries = TREES.flatMap((t) => Object.entries(treeFiles(manifest, t.key)).map(([rel, sum]) => ({ tree: t, rel, sum })));
  const total = entries.length + 1;
  if (!fs.existsSync(dbCopy) || (await sha256(dbCopy)) !== manifest.database.sha256) {
    throw new BackupError(`The database copy in ${dir} is missing or does not match its checksum: this backup is damaged.`);
  }
  for (const [i, { tree, rel, sum }] of entries.entries()) {
    const file = path.join(tree.dir(dir), rel);
    if (!fs.existsSync(file) || (await sha256(file)) !== sum) throw new BackupError(`The ${tree.label} ${rel} in ${dir} is missing or does not match its checksum: this backup is damaged.`);
    if (i % 100 === 0) onProgress('checksums', i + 2, total);
  }
  onProgress('checksums', total, total);

  onProgress('integrity', 0, 1);
  const copy = new Database(dbCopy, { readonly: true, fileMustExist: true });
  try {
    const problems = (copy.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (problems.join() !== 'ok') throw new BackupError(`The database copy in ${dir} fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}`);
    if (appliedMigration(copy) !== manifest.migration) throw new BackupError(`The database copy in ${dir} is not the one its manifest describes.`);
  } finally {
    copy.close();
  }
  onProgress('integrity', 1, 1);
  if (manifest.migration > latestMigration()) {
    throw new BackupError(`The backup in ${dir} was taken by a newer version of the site (its database has migrations this code does not know): deploy that version to restore it.`);
  }
  return manifest;
}

/**
 * Takes SQLite's exclusive lock on the live database, which fails while any other connection has it open (the site,
 * an import, a reindex); returns the connection holding it, or null when there is no database yet.
 */
export function lockDatabase(dbFile: string): Database.Database | null {
  if (!fs.existsSync(dbFile)) return null;
  const lock = new Database(dbFile, { fileMustExist: true, timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch {
    lock.close();
    throw new BackupError(`The database ${dbFile} is in use (the site or another command has it open): stop the site first, then restore.`);
  }
}

/**
 * Restores a verified backup into `dataDir`: the database replaced (the old one kept as site.db.before-restore-<time>),
 * images added, migrations applied, the FTS5 index rebuilt. Meilisearch is marked for a rebuild at the next start.
 */
export async function restoreBackup(dir: string, dataDir: string, onProgress: Progress = () => {}, now = Date.now()): Promise<{ manifest: Manifest; keptAs: string | null; listings: number }> {
  const manifest = await verifyBackup(dir, onProgress);
  const dbFile = path.join(dataDir, DB_NAME);
  fs.mkdirSync(dataDir, { recursive: true });
  // Held while the copy is made, so nothing opens the old database meanwhile.
  const lock = lockDatabase(dbFile);
  const incoming = `${dbFile}.restoring`;
  let keptAs: string | null = null;
  try {
    fs.copyFileSync(path.join(dir, manifest.database.file), incoming);
    if (lock) {
      // Fold the WAL into the old file so it moves aside whole, then let go just before the swap.
      lock.exec('ROLLBACK');
      lock.pragma('wal_checkpoint(TRUNCATE)');
      keptAs = `${dbFile}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    }
  } catch (e) {
    fs.rmSync(incoming, { force: true });
    throw e;
  } finally {
    lock?.close();
  }
  if (keptAs) {
    fs.renameSync(dbFile, keptAs);
    for (const suffix of ['-wal', '-shm']) fs.rmSync(dbFile + suffix, { force: true });
  }
  fs.renameSync(incoming, dbFile);

  const entries = TREES.flatMap((tree) => Object.keys(treeFiles(manifest, tree.key)).map((rel) => ({ tree, rel })));
  for (const [i, { tree, rel }] of entries.entries()) {
    const target = path.join(tree.dir(dataDir), rel);
    if (i % 100 === 0) onProgress('media', i + 1, entries.length);
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(tree.dir(dir), rel), target);
  }
  onProgress('media', entries.length, entries.length);

  const db = openDatabase(dbFile);
  try {
    onProgress('search index', 0, 1);
    rebuildFts(db);
    setFtsMeta(db, 'meili_version', '');
    onProgress('search index', 1, 1);
    const n = db.select({ n: count() }).from(listings).get()?.n ?? 0;
    return { manifest, keptAs, listings: n };
  } finally {
    db.$client.close();
  }
}
