// Keeps the engines in step with SQLite. Every listing write leaves a row in search_outbox (same transaction); the
// indexer drains the rows right after the commit, at start-up and every few seconds: FTS5 first (in-process, so
// it can always be brought up to date), then Meilisearch when configured. A row is deleted only when every engine
// has the change; when Meilisearch is away the row waits with a growing delay, and the backlog drains when it is back.
import { count, inArray, lte, sql } from 'drizzle-orm';
import { listings, searchOutbox } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { liveCondition } from '../listings/queries.ts';
import { runJob, type Batch } from '../observability/jobs.ts';
import { log } from '../observability/log.ts';
import { backlogs } from '../observability/metrics.ts';
import { allDocuments, documentsFor } from './documents.ts';
import { ensureFtsSchema, ftsApply, ftsCount, ftsDropRetiredStep, ftsMergeSettings, ftsMergeStep, ftsMeta, ftsStartRebuild, ftsSweepExpired, FTS_VERSION, hasCurrentShape, setFtsMeta } from './fts.ts';
import { meiliEngine, searchDictionary } from './index.ts';
import { facetColumns } from './facet-columns.ts';
import { MEILI_VERSION, type MeiliEngine } from './meili.ts';
import { rebuildRows } from './rebuild-rows.ts';
import { onSearchUpdateQueued } from './outbox.ts';
import { searchChanged } from './changed.ts';

/**
 * Outbox rows per batch of the indexer job: each batch holds the event loop (one transaction), so it stays small;
 * a backlog drains batch after batch with the job's pacing between them.
 */
export const INDEXER_BATCH = 100;
/** Outbox rows per transaction at start-up, before any request is answered. */
const STARTUP_BATCH = 500;
/** Expired listings taken out per batch (each a delete of every token). */
const SWEEP_BATCH = 100;
/** Pages of FTS5 segments merged per batch (fts.ts ftsMergeStep): a few milliseconds. */
const MERGE_PAGES = 64;
/**
 * Listings per transaction of a full rebuild: fewer, larger FTS5 segments to merge (see ftsStartRebuild) while each
 * write lock stays around a second, well inside the 5 s busy_timeout of writers waiting meanwhile.
 */
const REBUILD_BATCH = 20_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const PERIOD_MS = 5_000;

/** How long a failed outbox row waits before its next attempt: 1 s, 2 s, 4 s ... at most five minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
}

function liveCount(db: Db, now: number): number {
  return db.select({ n: count() }).from(listings).where(liveCondition(now)).get()?.n ?? 0;
}

/**
 * Rebuilds the FTS5 index from every live listing into new tables and swaps them in; returns how many it holds.
 * Listings changed while it ran are applied again after the swap (their outbox rows may have gone to the old tables).
 */
export function rebuildFts(db: Db, now = Date.now(), progress: (indexed: number, step: string) => void = () => {}, opts: { worker?: boolean } = {}): number {
  // Writes during the rebuild are caught up by the clock, not by `now` (the liveness reference): a bulk load stamped
  // with the same `now` (demo data, then a rebuild) would otherwise count every listing as changed and index it twice.
  const startedAt = Date.now();
  // For this connection and only while the rebuild runs: a larger page cache for FTS5's segment merges (256 MiB
  // instead of 64), and the WAL checkpointed every ~80 MB instead of every ~4 MB, so the pages merges rewrite soon
  // are not copied into the database file over and over. 1M listings: 108.9 s -> 103.6 s. Both restored after.
  const cacheSize = db.$client.pragma('cache_size', { simple: true }) as number;
  const autocheckpoint = db.$client.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.$client.pragma('cache_size = -262144');
  db.$client.pragma('wal_autocheckpoint = 20000');
  let n = 0;
  try {
    const rebuild = ftsStartRebuild(db);
    // Read and tokenized on the other core when the site is large (rebuild-rows.ts); this thread writes.
    for (const batch of rebuildRows(db, now, REBUILD_BATCH, opts.worker)) {
      rebuild.insert(batch);
      n += batch.length;
      progress(n, 'indexed');
    }
    rebuild.swap((step) => progress(n, step));
  } finally {
    db.$client.pragma(`cache_size = ${cacheSize}`);
    db.$client.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  }
  setFtsMeta(db, 'fts_version', FTS_VERSION);
  progress(n, 'catching up with writes made meanwhile');
  const changed = changedSince(db, startedAt);
  if (changed.length > 0) ftsApply(db, documentsFor(db, changed, Date.now()), changed);
  return n;
}

/**
 * Start-up: creates the FTS5 tables, and rebuilds the index when it was built by another version or is empty while
 * live listings exist (demo data is bulk-written without outbox rows). Then brings it up to date with the outbox.
 */
export function ensureSearchIndex(db: Db, now = Date.now()): { rebuilt: boolean; documents: number } {
  ensureFtsSchema(db);
  let rebuilt = false;
  let documents: number;
  if (ftsMeta(db, 'fts_version') !== FTS_VERSION || !hasCurrentShape(db) || (ftsCount(db) === 0 && liveCount(db, now) > 0)) {
    documents = rebuildFts(db, now);
    rebuilt = true;
  } else documents = ftsCount(db);
  applyOutboxToFts(db, now, meiliEngine() === null);
  while (ftsSweepExpired(db, now) > 0);
  // Read the facet columns now (about a second at a million listings) rather than in the first search.
  facetColumns(db);
  searchChanged();
  return { rebuilt, documents };
}

interface DueRows {
  rowIds: number[];
  listingIds: number[];
}

function dueRows(db: Db, now: number, limit = INDEXER_BATCH): DueRows {
  const rows = db
    .select({ id: searchOutbox.id, listingId: searchOutbox.listingId })
    .from(searchOutbox)
    .where(lte(searchOutbox.nextAttemptAt, now))
    .orderBy(searchOutbox.id)
    .limit(limit)
    .all();
  return { rowIds: rows.map((r) => r.id), listingIds: [...new Set(rows.map((r) => r.listingId))] };
}

function deleteRows(db: Db, rowIds: number[]): void {
  if (rowIds.length > 0) db.delete(searchOutbox).where(inArray(searchOutbox.id, rowIds)).run();
}

/** Applies every queued change to FTS5 (synchronously); deletes the rows too when FTS5 is the only engine. */
export function applyOutboxToFts(db: Db, now: number, deleteWhenDone: boolean): number {
  let applied = 0;
  let after = 0;
  for (;;) {
    const rows = db
      .select({ id: searchOutbox.id, listingId: searchOutbox.listingId })
      .from(searchOutbox)
      .where(sql`${searchOutbox.id} > ${after}`)
      .orderBy(searchOutbox.id)
      .limit(STARTUP_BATCH)
      .all();
    if (rows.length === 0) return applied;
    after = rows[rows.length - 1]!.id;
    const ids = [...new Set(rows.map((r) => r.listingId))];
    ftsApply(db, documentsFor(db, ids, now), ids);
    if (deleteWhenDone) deleteRows(db, rows.map((r) => r.id));
    applied += ids.length;
  }
}

export interface DrainResult {
  indexed: number;
  failed: number;
}

/** One batch of the due outbox rows into FTS5 and, when given, Meilisearch; `more` when a full batch was due. */
async function outboxBatch(db: Db, meili: MeiliEngine | null, now: () => number): Promise<DrainResult & { more: boolean }> {
  const t = now();
  const due = dueRows(db, t);
  if (due.rowIds.length === 0) return { indexed: 0, failed: 0, more: false };
  const docs = documentsFor(db, due.listingIds, t);
  ftsApply(db, docs, due.listingIds);
  searchChanged();
  if (meili) {
    const live = new Set(docs.map((d) => d.id));
    try {
      await meili.apply(docs, due.listingIds.filter((id) => !live.has(id)));
    } catch (e) {
      const message = (e as Error).message.slice(0, 500);
      db.update(searchOutbox)
        .set({
          attempts: sql`${searchOutbox.attempts} + 1`,
          nextAttemptAt: sql`${now()} + min(${MAX_BACKOFF_MS}, 1000 * (1 << min(${searchOutbox.attempts}, 20)))`,
          lastError: message,
        })
        .where(inArray(searchOutbox.id, due.rowIds))
        .run();
      return { indexed: 0, failed: due.rowIds.length, more: false };
    }
    searchChanged();
  }
  deleteRows(db, due.rowIds);
  return { indexed: due.listingIds.length, failed: 0, more: due.rowIds.length === INDEXER_BATCH };
}

/** Drains the due outbox rows into FTS5 and, when given, Meilisearch, all at once (tests, scripts). */
export async function drainOutbox(db: Db, meili: MeiliEngine | null, now = () => Date.now()): Promise<DrainResult> {
  let indexed = 0;
  for (;;) {
    const batch = await outboxBatch(db, meili, now);
    indexed += batch.indexed;
    if (batch.failed > 0 || !batch.more) return { indexed, failed: batch.failed };
  }
}

/**
 * One batch of the indexer job, each part bounded so no batch holds the event loop long: queued changes first (what
 * a new listing waits for); with none queued, expired listings out of the index, then a step of dropping an index a
 * rebuild set aside, or of FTS5's merging.
 * With a backlog, a merge step follows each batch of changes, so segments never pile up behind it. `failed`: rows
 * Meilisearch refused (they wait with a growing delay).
 */
export async function indexerBatch(db: Db, meili: MeiliEngine | null, now = () => Date.now()): Promise<Batch & { failed: number }> {
  const out = await outboxBatch(db, meili, now);
  if (out.failed > 0) return { done: 0, more: false, failed: out.failed };
  if (out.indexed > 0) {
    if (out.more) ftsMergeStep(db, MERGE_PAGES);
    return { done: out.indexed, more: true, failed: 0 };
  }
  const swept = ftsSweepExpired(db, now(), SWEEP_BATCH);
  if (swept > 0) {
    searchChanged();
    return { done: swept, more: true, failed: 0 };
  }
  // An old index a rebuild set aside goes first: its pages are free space only once it is gone.
  return { done: 0, more: ftsDropRetiredStep(db) || ftsMergeStep(db, MERGE_PAGES), failed: 0 };
}

/** Listings written since `since`, which a rebuild that started then may have missed. */
function changedSince(db: Db, since: number): number[] {
  return db
    .select({ id: listings.id })
    .from(listings)
    .where(sql`${listings.updatedAt} >= ${since}`)
    .all()
    .map((r) => r.id);
}

/** Rebuilds the Meilisearch index from SQLite in a side index swapped in at the end. */
export async function rebuildMeili(db: Db, meili: MeiliEngine, now = Date.now()): Promise<number> {
  const startedAt = Date.now();
  const n = await meili.rebuild(searchDictionary(db), allDocuments(db, now, 10_000));
  const changed = changedSince(db, startedAt);
  if (changed.length > 0) {
    const docs = documentsFor(db, changed, Date.now());
    const live = new Set(docs.map((d) => d.id));
    await meili.apply(docs, changed.filter((id) => !live.has(id)));
  }
  setFtsMeta(db, 'meili_version', `${MEILI_VERSION}:${meili.settings.index}`);
  return n;
}

interface IndexerState {
  busy: boolean;
  again: boolean;
  stopped: boolean;
  stop: () => Promise<void>;
  inFlight: Promise<void> | null;
  /** When the drain in progress began, and when the last one ended (0: none yet). */
  busySince: number;
  lastRun: number;
}
const running = new WeakMap<Db, IndexerState>();

/**
 * Whether this process's indexer runs: started, and either between drains that keep coming (the timer asks every
 * few seconds) or inside one that has not hung. What /readyz reports as the job runner.
 */
export function indexerAlive(db: Db, now = Date.now()): boolean {
  const state = running.get(db);
  if (!state) return false;
  if (state.busy) return now - state.busySince < MAX_BACKOFF_MS;
  return state.lastRun === 0 || now - state.lastRun < 6 * PERIOD_MS;
}

/** Drains now, or once more right after the drain in progress. */
export function requestDrain(db: Db): void {
  const state = running.get(db);
  if (!state) return;
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  state.busySince = Date.now();
  state.inFlight = (async () => {
    try {
      do {
        state.again = false;
        // Batch after batch, paced like every job (observability/jobs.ts); a stop ends the round between two.
        await runJob(
          'search-indexer',
          async () => {
            const { done, more, failed } = await indexerBatch(db, meiliEngine());
            // Rows wait only when Meilisearch refused them: say how many are queued then.
            if (failed > 0) log().warn({ job: 'search-indexer', failed, backlog: backlogs(db).search }, 'search index behind');
            return { done, more };
          },
          () => state.stopped,
        );
      } while (state.again && !state.stopped);
    } finally {
      state.busy = false;
      state.lastRun = Date.now();
      state.inFlight = null;
    }
  })();
}

/** Prepares Meilisearch (settings; a rebuild when its index is empty or of another version). */
async function prepareMeili(db: Db, meili: MeiliEngine): Promise<void> {
  await meili.applySettings(searchDictionary(db));
  const wanted = `${MEILI_VERSION}:${meili.settings.index}`;
  if (ftsMeta(db, 'meili_version') !== wanted || ((await meili.documentCount()) === 0 && liveCount(db, Date.now()) > 0)) {
    const n = await rebuildMeili(db, meili);
    log().info({ listings: n }, 'search: Meilisearch index rebuilt');
  }
}

/** Starts the indexer of this process: after each commit that queued rows, every few seconds, and now. */
export function startIndexer(db: Db): () => Promise<void> {
  const existing = running.get(db);
  if (existing) return existing.stop;
  ensureFtsSchema(db);
  // This job does FTS5's merging from now on (an index built before it did keeps FTS5's own settings until then).
  ftsMergeSettings(db);
  const unsubscribe = onSearchUpdateQueued(() => requestDrain(db));
  // Also the sweep of expired listings (off the path of a new listing: searches leave them out meanwhile;
  // Meilisearch filters on expiresAt itself) and merging when the site is quiet.
  const timer = setInterval(() => requestDrain(db), PERIOD_MS);
  timer.unref();
  // At a stop the batch in progress is awaited (the shutdown hooks bound the wait); what it has not reached stays queued.
  const stop = async () => {
    unsubscribe();
    clearInterval(timer);
    const state = running.get(db);
    running.delete(db);
    if (state) state.stopped = true;
    await state?.inFlight;
  };
  running.set(db, { busy: false, again: false, stopped: false, stop, busySince: 0, lastRun: 0, inFlight: null });
  const meili = meiliEngine();
  if (meili) {
    prepareMeili(db, meili).then(
      () => requestDrain(db),
      (err: unknown) => log().warn({ err }, 'search: Meilisearch not ready; FTS5 answers until it is'),
    );
  }
  requestDrain(db);
  return stop;
}


