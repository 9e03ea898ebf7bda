// The reading half of a full FTS5 rebuild, in a worker thread (started by rebuild-rows.ts): every live listing read
// on this thread's own connection and turned into the rows the index stores, tokens and all, while the main thread
// only writes them. Reading and tokenizing were a third of a rebuild's time on one core.
//
// The main thread waits for batches synchronously (a rebuild runs before the site answers, and its callers are
// synchronous), so besides the message port a shared counter says a batch was posted; the same counters keep this
// thread at most `ahead` batches in front of the writer, so a million listings never pile up in memory.
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { workerData, type MessagePort } from 'node:worker_threads';
import * as schema from '../../../db/schema.ts';
import { indexRows } from './fts.ts';
import { documentsInKeyOrder, POSTED, TAKEN, type RebuildMessage, type RebuildWorkerData } from './rebuild-rows.ts';

const { file, now, batchSize, ahead, counters: shared, port } = workerData as RebuildWorkerData & { port: MessagePort };
const counters = new Int32Array(shared);

function post(message: RebuildMessage): void {
  for (let taken = Atomics.load(counters, TAKEN); Atomics.load(counters, POSTED) - taken >= ahead; taken = Atomics.load(counters, TAKEN)) {
    Atomics.wait(counters, TAKEN, taken);
  }
  port.postMessage(message);
  Atomics.add(counters, POSTED, 1);
  Atomics.notify(counters, POSTED);
}

try {
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  // Listings are read by id in key order, all over the table: a cache that holds the table's interior pages and more.
  sqlite.pragma('cache_size = -131072');
  const db = drizzle(sqlite, { schema });
  for (const docs of documentsInKeyOrder(db, now, batchSize)) post({ rows: indexRows(docs) });
  sqlite.close();
  post({ end: true });
} catch (e) {
  post({ error: (e as Error).stack ?? String(e) });
}
