// `npm run demo-data -- --listings 100000 --seed 1 [--replace]`: fill the data folder with demo companies and
// listings. Same seed, same data. `npm run demo-data -- --remove` deletes the demo companies (those nobody owns)
// and their listings, and leaves members' companies alone.
import { config } from '../src/server/config.ts';
import { getDb } from '../src/server/db.ts';
import { deleteDemoData, isEmpty, removeDemoData, writeDemoData } from '../src/server/demo/generate.ts';
import { seedTaxonomy } from '../src/server/taxonomy/seed.ts';
import { args, runCli, UsageError } from './lib/cli.ts';

const USAGE = 'npm run demo-data -- [--listings N] [--seed N] [--replace] | --remove';

runCli(() => {
  const opts = args(
    { listings: { type: 'string', default: '3000' }, seed: { type: 'string', default: '1' }, replace: { type: 'boolean', default: false }, remove: { type: 'boolean', default: false } },
    USAGE,
  );
  const listings = Number(opts.listings);
  const seed = Number(opts.seed);
  if (!Number.isInteger(listings) || listings < 1 || listings > 2_000_000) throw new UsageError(`--listings must be a whole number from 1 to 2000000.\nUsage: ${USAGE}`);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number.\nUsage: ${USAGE}`);

  const cfg = config();
  const db = getDb();
  if (opts.remove) {
    console.log(`Removed ${removeDemoData(db)} demo companies and their listings from ${cfg.dbFile}.`);
    return;
  }
  seedTaxonomy(db, { regionsFile: cfg.REGIONS_FILE, categoriesFile: cfg.CATEGORIES_FILE });
  if (!isEmpty(db)) {
    if (!opts.replace) throw new UsageError(`${cfg.dbFile} already has companies. Add --replace to delete every company and listing first.`);
    deleteDemoData(db);
  }
  const started = performance.now();
  const written = writeDemoData(db, { listings, seed, now: Date.now() });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `Wrote ${written.companies} companies and ${written.listings} listings into ${cfg.dbFile} in ${seconds.toFixed(1)} s ` +
      `(${Math.round(written.listings / seconds)} listings/s).`,
  );
});
