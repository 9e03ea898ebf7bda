// Background work of the server process (the search indexer, the expiry sweep), started once by the first request:
// the built server bundles its own copy of src/server, so jobs must start inside it, not in scripts/start.ts.
import { config } from './config.ts';
import { optimizeDatabase, type Db } from './db.ts';
import { every } from './every.ts';
import { startExpirySweep } from './listings/expiry.ts';
import { startViewFlush } from './listings/views.ts';
import { startImageCleanup } from './media/cleanup.ts';
import { startIndexer } from './search/indexer.ts';

const started = new WeakSet<Db>();
const OPTIMIZE_EVERY_MS = 60 * 60_000;

export function startJobs(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  startExpirySweep(db);
  startViewFlush(db);
  startImageCleanup(db, config().dataDir);
  startIndexer(db);
  // Keeps the planner's statistics current as listings come and go (a no-op when no table changed much).
  every(OPTIMIZE_EVERY_MS, 'PRAGMA optimize', () => optimizeDatabase(db));
}

