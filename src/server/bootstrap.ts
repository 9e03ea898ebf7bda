// What start-up does before the first request: reference data from its files (idempotent), and demo data when the
// database has no companies yet, so a fresh checkout shows a living site.
import type { Config } from './config.ts';
import { databaseProblem, isSqliteError, type Db } from './db.ts';
import { isEmpty, writeDemoData } from './demo/generate.ts';
import { ensureSearchIndex } from './search/indexer.ts';
import { seedTaxonomy } from './taxonomy/seed.ts';

export const DEMO_SEED = 1;

/** Any SQLite failure (a full disk while seeding, a read-only file) ends start-up with one message naming the file. */
export function prepareSite(db: Db, cfg: Config, now = Date.now()): { demo: { companies: number; listings: number } | null } {
  try {
    seedTaxonomy(db, { regionsFile: cfg.REGIONS_FILE, categoriesFile: cfg.CATEGORIES_FILE });
    const demo = cfg.DEMO_LISTINGS === 0 || !isEmpty(db) ? null : writeDemoData(db, { listings: cfg.DEMO_LISTINGS, seed: DEMO_SEED, now });
    ensureSearchIndex(db, now);
    return { demo };
  } catch (e) {
    if (isSqliteError(e)) throw databaseProblem(cfg.dbFile, e, 'could not be written while preparing the site');
    throw e;
  }
}
