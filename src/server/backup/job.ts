// The daily backup of the server process (when BACKUP_DIR is set): every hour it looks whether the newest backup is a
// day old, so a restart neither skips a day nor takes an extra one; then it prunes to the newest BACKUP_KEEP.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Db } from '../db.ts';
import { scheduleJob } from '../observability/jobs.ts';
import { listBackups, pruneBackups, readManifest, takeBackup } from './index.ts';

const DAY_MS = 24 * 3600_000;
const CHECK_EVERY_MS = 3600_000;
/** Pages per backup step: about 8 MB, a few milliseconds of the event loop each. */
const PAGES_PER_STEP = 2000;

type BackupSettings = Pick<Config, 'BACKUP_DIR' | 'BACKUP_KEEP' | 'dataDir'>;

/** Takes a backup when the newest is older than a day (or there is none); returns how many it took (0 or 1). */
export async function backupIfDue(db: Db, cfg: BackupSettings, now = Date.now()): Promise<number> {
  if (!cfg.BACKUP_DIR) return 0;
  const root = path.resolve(cfg.BACKUP_DIR);
  const newest = listBackups(root)[0];
  // A little early rather than a little late: the hourly check must not push each backup an hour later every day.
  if (newest && now - readManifest(newest).createdAt < DAY_MS - CHECK_EVERY_MS / 2) return 0;
  fs.mkdirSync(root, { recursive: true });
  await takeBackup(db, cfg.dataDir, root, { now, pagesPerStep: PAGES_PER_STEP });
  pruneBackups(root, cfg.BACKUP_KEEP);
  return 1;
}

export function startBackupJob(db: Db, cfg: BackupSettings): void {
  if (!cfg.BACKUP_DIR) return;
  // Not in the first minutes, when a deploy may still be checking the new version.
  scheduleJob('backup', { firstAfterMs: 5 * 60_000, everyMs: CHECK_EVERY_MS }, () => backupIfDue(db, cfg));
}
