// `npm run migrate`: apply migrations and load the reference data (regions, categories) into the data folder.
import { config } from '../src/server/config.ts';
import { getDb } from '../src/server/db.ts';
import { seedTaxonomy } from '../src/server/taxonomy/seed.ts';
import { runCli } from './lib/cli.ts';

runCli(() => {
  const cfg = config();
  seedTaxonomy(getDb(), { regionsFile: cfg.REGIONS_FILE, categoriesFile: cfg.CATEGORIES_FILE });
  console.log(`Database ${cfg.dbFile} is migrated and its reference data loaded.`);
});
