// Every write of a listing calls enqueueSearchUpdate inside its own transaction, so the search index can never miss
// a change: the row commits with the change or not at all. The indexer drains the rows; listeners hear about new
// rows right after the writer's synchronous transaction has committed.
import { searchOutbox } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

type Listener = () => void;
const listeners = new Set<Listener>();
let scheduled = false;

/** Queues listings for (re)indexing; call it with the transaction that changes them. */
export function enqueueSearchUpdate(db: Pick<Db, 'insert'>, listingIds: readonly number[], now: number): void {
  if (listingIds.length === 0) return;
  db.insert(searchOutbox)
    .values(listingIds.map((listingId) => ({ listingId, createdAt: now })))
    .run();
  if (!scheduled && listeners.size > 0) {
    scheduled = true;
    // better-sqlite3 transactions are synchronous: by the time this runs, the writer's transaction has ended.
    setImmediate(() => {
      scheduled = false;
      for (const listener of listeners) listener();
    });
  }
}

/** Called soon after rows are queued (the indexer subscribes); returns the unsubscribe function. */
export function onSearchUpdateQueued(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
