// The rows of a full FTS5 rebuild (indexer.ts rebuildFts), batch by batch in key order: made by a worker thread
// (rebuild-worker.ts) when the site is large enough to be worth one, so reading and tokenizing run on the second core
// while this thread writes; made here otherwise, and wherever the worker's file is not found.
import fs from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { asc, eq, max } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { documentsFor, type SearchDocument } from './documents.ts';
import { indexRows, type IndexRow } from './fts.ts';

/** Below this many listings a rebuild takes a second or two: not worth starting a thread. */
const WORKER_FROM = 20_000;
/** Batches the worker may have ready before the writer takes them. */
const AHEAD = 2;
/** No batch for this long: the worker has died (a crash that could not post its error). */
const STALL_MS = 120_000;

/** Counters shared with the worker: batches posted, batches taken. */
export const POSTED = 0;
export const TAKEN = 1;

export type RebuildMessage = { rows: IndexRow[] } | { end: true } | { error: string };
export interface RebuildWorkerData {
  file: string;
  now: number;
  batchSize: number;
  ahead: number;
  counters: SharedArrayBuffer;
}

/**
 * Where the worker's code is: beside this module in the source (tsx, tests), and in the built start script one
 * folder above the chunk this module is compiled into (scripts/lib/bundle-start.mjs). Looked up in a list, not
 * written as `new URL('literal', import.meta.url)`, which bundlers would try to treat as an asset.
 */
const WORKER_FILES = ['./rebuild-worker.ts', '../search-rebuild-worker.mjs', './search-rebuild-worker.mjs'];

function workerFile(): URL | undefined {
  return WORKER_FILES.map((f) => new URL(f, import.meta.url)).find((url) => fs.existsSync(url));
}

/** Rows of every live listing, batch by batch, each batch in key order; `worker` forces the choice of thread. */
export function* rebuildRows(db: Db, now: number, batchSize: number, worker?: boolean): Generator<IndexRow[]> {
  const file = workerFile();
  const large = () => (db.select({ n: max(listings.id) }).from(listings).get()?.n ?? 0) >= WORKER_FROM;
  if (file && db.$client.name !== ':memory:' && (worker ?? large())) {
    yield* fromWorker(file, { file: db.$client.name, now, batchSize, ahead: AHEAD, counters: new SharedArrayBuffer(8) });
    return;
  }
  for (const docs of documentsInKeyOrder(db, now, batchSize)) yield indexRows(docs);
}

/**
 * Every live listing's document, `batchSize` at a time, in the index's key order (minute published, then id; each
 * batch is sorted exactly by indexRows). Each batch then becomes an FTS5 segment of its own stretch of keys instead
 * of one spread over all of them, which the final merge reads a quarter faster (and the inserts a little): the keys
 * are read off the (status, published_at) index first, then the listings by id, batch by batch.
 */
export function* documentsInKeyOrder(db: Db, now: number, batchSize: number): Generator<SearchDocument[]> {
  const ids = db
    .select({ id: listings.id })
    .from(listings)
    .where(eq(listings.status, 'active'))
    .orderBy(asc(listings.publishedAt), asc(listings.id))
    .all()
    .map((r) => r.id);
  for (let i = 0; i < ids.length; i += batchSize) {
    // Liveness (the expiry) is tested by documentsFor: the index holds no expiry.
    const docs = documentsFor(db, ids.slice(i, i + batchSize), now);
    if (docs.length > 0) yield docs;
  }
}

/**
 * The worker's node options: none for the built file, whatever the parent ran with being refused by a worker
 * (`--max-semi-space-size`, which `npm start` sets); for a .ts file, the TypeScript loader this process runs with
 * (tsx), or tsx itself (under vitest, which has its own).
 */
function loaderArgs(file: URL): string[] {
  if (!file.pathname.endsWith('.ts')) return [];
  const args = process.execArgv;
  const loader = args.flatMap((a, i) => (['--require', '--import'].includes(a) && args[i + 1]?.includes('tsx') ? [a, args[i + 1]!] : []));
  return loader.length > 0 ? loader : ['--import', 'tsx'];
}

function* fromWorker(file: URL, data: RebuildWorkerData): Generator<IndexRow[]> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(file, { workerData: { ...data, port: port2 }, transferList: [port2], execArgv: loaderArgs(file) });
  worker.unref();
  const counters = new Int32Array(data.counters);
  try {
    for (;;) {
      const message = take(port1, counters);
      if ('error' in message) throw new Error(`The search rebuild's reader failed: ${message.error}`);
      if ('end' in message) return;
      yield message.rows;
    }
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** The next message, waiting for it without returning to the event loop (the rebuild is synchronous). */
function take(port: MessagePort, counters: Int32Array): RebuildMessage {
  for (;;) {
    const received = receiveMessageOnPort(port);
    if (received) {
      Atomics.add(counters, TAKEN, 1);
      Atomics.notify(counters, TAKEN);
      return received.message as RebuildMessage;
    }
    const posted = Atomics.load(counters, POSTED);
    // Posted before counted: a count ahead of what was taken means a message is on its way in.
    if (posted > Atomics.load(counters, TAKEN)) continue;
    if (Atomics.wait(counters, POSTED, posted, STALL_MS) === 'timed-out') throw new Error(`The search rebuild's reader sent nothing for ${STALL_MS / 1000} s.`);
  }
}
