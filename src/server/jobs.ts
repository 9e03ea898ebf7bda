// Background work of the server process (the search indexer, the expiry sweep), started once by the first request:
// the built server bundles its own copy of src/server, so jobs must start inside it, not in scripts/start.ts.
import type { Db } from './db.ts';
import { startIndexer } from './search/indexer.ts';

const started = new WeakSet<Db>();

export function startJobs(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  // Each concept adds one line here, e.g. startIndexer(db); startExpirySweep(db);
  startIndexer(db);
}
