// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that takes the log past
// 1,000 pages: it copies the log into the database file and syncs it, synchronously, on the server's one thread.
// Under the load bench on a busy disk one such commit took 576 ms, and every request in flight waited behind it.
// Here a thread of its own, with its own connection, checkpoints PASSIVE (it never waits for a reader or
// the writer, and neither waits for it) every second; the server's connection keeps an automatic checkpoint at four
// times SQLite's threshold, which then has only what the thread has not copied yet to do (BACKSTOP_PAGES).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.ts';

/**
 * The server connection's own automatic checkpoint, in pages (about 16 MB of log). Under a steady stream of writes
 * the thread's checkpoints rarely find the log's end still where it was, and the log starts over only at a write
 * that does; then this one, in a commit, finishes what the thread left (the last second's frames) and the log
 * starts over: once every 16 MB of writes instead of every 4 MB, and copying a second's frames instead of all.
 */
export const BACKSTOP_PAGES = 4_000;
const EVERY_MS = 1_000;
const CATCH_UP_ROUNDS = 5;

/** What `PRAGMA wal_checkpoint` reports: whether it was blocked, the log's pages, and how many are in the file now. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface Checkpointer {
  /** One PASSIVE checkpoint by the thread, now (the timer does this every second). */
  checkpoint: () => Promise<CheckpointResult>;
  stop: () => Promise<void>;
}

// Plain CommonJS run by the thread (an eval'd worker), so the built server needs no file of its own for it.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
parentPort.on('message', (id) => {
  try {
    // The log starts over only at a write that finds every frame of it checkpointed: frames written while a
    // checkpoint ran leave it behind, and under a steady stream of writes it would grow to the backstop. A few more
    // rounds, each only the frames that came meanwhile, catch up with the writer.
    let r;
    for (let round = 0; round < ${CATCH_UP_ROUNDS}; round++) {
      [r] = db.pragma('wal_checkpoint(PASSIVE)');
      if (r.busy || r.checkpointed >= r.log) break;
    }
    parentPort.postMessage({ id, result: { busy: r.busy, log: r.log, checkpointed: r.checkpointed } });
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

/** Starts the checkpointing thread for this database file (a file in WAL mode); the server's checkpoints move there. */
export function startCheckpointer(db: Db, { everyMs = EVERY_MS, onError }: { everyMs?: number; onError?: (e: Error) => void } = {}): Checkpointer {
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file: db.$client.name },
    // The server's own flags (--max-semi-space-size) are refused by a worker.
    execArgv: [],
  });
  worker.unref();
  db.$client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  let next = 0;
  const waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  const fail = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('message', (m: { id: number; result?: CheckpointResult; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.result) w?.resolve(m.result);
    else w?.reject(new Error(`WAL checkpoint failed: ${m.error}`));
  });
  worker.on('error', fail);
  let stopped = false;
  const checkpoint = () =>
    new Promise<CheckpointResult>((resolve, reject) => {
      if (stopped) return reject(new Error('The WAL checkpointer is stopped.'));
      const id = ++next;
      waiting.set(id, { resolve, reject });
      worker.postMessage(id);
    });
  let inFlight = false;
  const timer = setInterval(() => {
    // One at a time: a slow disk must not queue checkpoints behind each other.
    if (inFlight) return;
    inFlight = true;
    checkpoint().then(
      () => (inFlight = false),
      (e: unknown) => {
        inFlight = false;
        onError?.(e as Error);
      },
    );
  }, everyMs);
  timer.unref();
  return {
    checkpoint,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      // The connection checkpoints by itself again (closeDatabase folds the rest of the log in at the end).
      if (db.$client.open) db.$client.pragma('wal_autocheckpoint = 1000');
      fail(new Error('The WAL checkpointer stopped.'));
      await worker.terminate();
    },
  };
}
