// `npm run backup -- [--to DIR] [--keep N]`: an online backup of the database and the images into a new folder under
// DIR (default BACKUP_DIR), while the site keeps running; with --keep, older backups beyond the newest N are removed.
import path from 'node:path';
import { takeBackup, pruneBackups } from '../src/server/backup/index.ts';
import { config } from '../src/server/config.ts';
import { getDb } from '../src/server/db.ts';
import { args, runCli, UsageError } from './lib/cli.ts';
import { terminalProgress } from './lib/progress.ts';

await runCli(async () => {
  const usage = 'npm run backup -- [--to DIR] [--keep N]';
  const opts = args({ to: { type: 'string' }, keep: { type: 'string' } }, usage);
  const cfg = config();
  const to = opts.to ?? cfg.BACKUP_DIR;
  if (!to) throw new UsageError(`Where to? Give --to DIR or set BACKUP_DIR.\nUsage: ${usage}`);
  const keep = opts.keep === undefined ? undefined : Number(opts.keep);
  if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1)) throw new UsageError(`--keep takes a whole number of backups, 1 or more.\nUsage: ${usage}`);
  const started = performance.now();
  const bar = terminalProgress('backup');
  const { dir, manifest, linked, copied } = await takeBackup(getDb(), cfg.dataDir, path.resolve(to), { onProgress: bar.update });
  bar.end();
  const removed = keep ? pruneBackups(path.resolve(to), keep) : [];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `Backed up ${manifest.listings} listings (${(manifest.database.bytes / 1048576).toFixed(1)} MiB) and ${linked + copied} image files ` +
      `(${copied} new, ${linked} linked from the previous backup) into ${dir} in ${seconds} s.` +
      (removed.length > 0 ? ` Removed ${removed.length} older backups.` : ''),
  );
});
