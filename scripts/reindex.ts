// `npm run reindex -- --engine fts|meili`: rebuilds a search engine's index from SQLite (the source of truth).
// FTS5 is rebuilt in place; Meilisearch (MEILI_URL) gets its settings applied, then every live listing.
import { config } from '../src/server/config.ts';
import { getDb } from '../src/server/db.ts';
import { meiliEngine } from '../src/server/search/index.ts';
import { rebuildFts, rebuildMeili } from '../src/server/search/indexer.ts';
import { args, runCli, UsageError } from './lib/cli.ts';

await runCli(async () => {
  const usage = 'npm run reindex -- --engine fts|meili';
  const opts = args({ engine: { type: 'string', default: 'fts' } }, usage);
  const started = performance.now();
  const db = getDb();
  let n: number;
  if (opts.engine === 'fts') {
    // Progress on a terminal (a rebuild of a million listings takes minutes), one line rewritten in place.
    const progress = process.stderr.isTTY
      ? (done: number, step: string) => process.stderr.write(`\r${step} ${done} listings, ${((performance.now() - started) / 1000).toFixed(0)} s   `)
      : undefined;
    n = rebuildFts(db, Date.now(), progress);
    if (progress) process.stderr.write('\n');
  }
  else if (opts.engine === 'meili') {
    const meili = meiliEngine();
    if (!meili) throw new UsageError(`MEILI_URL is not set: there is no Meilisearch to rebuild.\nUsage: ${usage}`);
    n = await rebuildMeili(db, meili);
  } else throw new UsageError(`Unknown engine "${opts.engine}".\nUsage: ${usage}`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Reindexed ${n} live listings into ${opts.engine} in ${seconds} s (${config().dbFile}).`);
  if (opts.engine === 'fts') console.log("The old index is set aside; the site's search indexer drops it in the background (its space is free once it is gone).");
});
