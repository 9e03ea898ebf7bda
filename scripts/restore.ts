// `npm run restore -- DIR`: checks the backup in DIR (checksums, integrity_check, migration level), then, with the site
// stopped, replaces the database in DATA_DIR (the old one is kept beside it), adds the images and rebuilds the search
// index. Nothing is replaced when a check fails or the database is in use.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { BackupError, imageCount, restoreBackup } from '../src/server/backup/index.ts';
import { config } from '../src/server/config.ts';
import { runCli, UsageError } from './lib/cli.ts';
import { terminalProgress } from './lib/progress.ts';

await runCli(async () => {
  const usage = 'npm run restore -- DIR   (DIR: one backup folder, the one holding manifest.json)';
  let dir: string | undefined;
  try {
    dir = parseArgs({ options: {}, allowPositionals: true }).positionals[0];
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nUsage: ${usage}`);
  }
  if (!dir) throw new UsageError(`Which backup? Usage: ${usage}`);
  const cfg = config();
  const bar = terminalProgress('restore');
  try {
    const { manifest, keptAs, listings } = await restoreBackup(path.resolve(dir), cfg.dataDir, bar.update);
    bar.end();
    console.log(
      `Restored the backup of ${new Date(manifest.createdAt).toISOString()} into ${cfg.dbFile}: ${listings} listings, ` +
        `${imageCount(manifest)} image files, search index rebuilt.` +
        (keptAs ? ` The replaced database is kept as ${keptAs}.` : ''),
    );
  } catch (e) {
    bar.end();
    if (e instanceof BackupError) throw new UsageError(e.message);
    throw e;
  }
});
