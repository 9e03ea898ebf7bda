// The search indexer job in bounded batches, driven batch by batch as the job runner would (observability/jobs.ts
// paces between them): queued changes first, at most a batch at a time; with none queued, expired listings out of the
// index, then steps of FTS5's segment merging, which the job does itself instead of FTS5 inside a commit.
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings, searchOutbox } from '../../db/schema.ts';
import { ftsCount, ftsMergeStep, ftsStartRebuild } from '../../src/server/search/fts.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { ensureSearchIndex, INDEXER_BATCH, indexerBatch, rebuildFts } from '../../src/server/search/indexer.ts';
import { enqueueSearchUpdate } from '../../src/server/search/outbox.ts';
import { freshDb, makeCompany, makeListing } from '../helpers/db.ts';

const db = freshDb();
const company = makeCompany(db, { name: '赣州稀土材料有限公司', slug: 'ganzhou-xitu' });
ensureSearchIndex(db);

const queued = () => db.select({ n: count() }).from(searchOutbox).get()!.n;
const total = async (q: string) => (await searchListings(db, { q }, Date.now())).total;

/** Runs the job's batches until it says there is no more, as one round of the job would; what each batch did. */
async function round(now = () => Date.now()): Promise<{ done: number; more: boolean }[]> {
  const batches: { done: number; more: boolean }[] = [];
  for (let i = 0; i < 10_000; i++) {
    const { done, more, failed } = await indexerBatch(db, null, now);
    expect(failed).toBe(0);
    batches.push({ done, more });
    if (!more) return batches;
  }
  throw new Error('the indexer job never ran out of work');
}

describe('the indexer job', () => {
  it('applies a backlog one bounded batch at a time, each batch searchable as soon as it is done', async () => {
    const made = Array.from({ length: 2 * INDEXER_BATCH + 30 }, (_, i) => makeListing(db, company.id, { title: `稀土永磁材料 第${i}批` }));
    enqueueSearchUpdate(db, made.map((l) => l.id), Date.now());
    const first = await indexerBatch(db, null);
    expect(first).toEqual({ done: INDEXER_BATCH, more: true, failed: 0 });
    expect(await total('稀土永磁')).toBe(INDEXER_BATCH);
    expect(queued()).toBe(INDEXER_BATCH + 30);
    const rest = await round();
    expect(rest.map((b) => b.done).filter((n) => n > 0)).toEqual([INDEXER_BATCH, 30]);
    expect(queued()).toBe(0);
    expect(await total('稀土永磁')).toBe(made.length);
  });

  it('takes expired listings out when nothing is queued, a bounded batch at a time', async () => {
    const soon = makeListing(db, company.id, { title: '氧化镨钕 短期报价', expiresAt: Date.now() + 3_600_000 });
    enqueueSearchUpdate(db, [soon.id], Date.now());
    await round();
    const indexed = ftsCount(db);
    expect(await total('氧化镨钕')).toBe(1);
    // Two hours on: only that listing has expired.
    const later = () => Date.now() + 2 * 3_600_000;
    expect(await indexerBatch(db, null, later)).toEqual({ done: 1, more: true, failed: 0 });
    expect(ftsCount(db)).toBe(indexed - 1);
    expect(queued()).toBe(0);
  });

  it('merges the segments that single commits leave, in steps, and the index answers the same after', async () => {
    const before = await searchListings(db, { q: '稀土' }, Date.now());
    // One listing per commit: a segment each, which FTS5 does not merge itself any more.
    for (let i = 0; i < 8; i++) {
      const l = makeListing(db, company.id, { title: `稀土抛光粉 ${i}号` });
      enqueueSearchUpdate(db, [l.id], Date.now());
      expect(await indexerBatch(db, null)).toEqual({ done: 1, more: true, failed: 0 });
    }
    const steps = await round();
    // Steps that merged said there is more; the last found nothing to merge.
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.at(-1)).toEqual({ done: 0, more: false });
    expect(ftsMergeStep(db, 64)).toBe(false);
    db.$client.exec("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')");
    const after = await searchListings(db, { q: '稀土' }, Date.now());
    expect(after.total).toBe(before.total + 8);
    expect(await total('稀土抛光粉')).toBe(8);
  });

  it('leaves a listing closed meanwhile out, and its outbox row gone', async () => {
    const l = makeListing(db, company.id, { title: '钐钴磁钢 库存' });
    db.update(listings).set({ status: 'closed', updatedAt: Date.now() }).where(eq(listings.id, l.id)).run();
    enqueueSearchUpdate(db, [l.id], Date.now());
    expect((await indexerBatch(db, null)).done).toBe(1);
    expect(await total('钐钴磁钢')).toBe(0);
    expect(queued()).toBe(0);
  });
});

describe('a full rebuild', () => {
  /** Every token of the index where it is (FTS5's own vocabulary of it), and the facts of every row. */
  function snapshot() {
    db.$client.exec('DROP TABLE IF EXISTS temp.search_vocab; CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, search_fts, instance)');
    const tokens = db.$client.prepare('SELECT term, doc, col, offset FROM temp.search_vocab ORDER BY term, doc, col, offset').raw().all();
    db.$client.exec('DROP TABLE temp.search_vocab');
    return { tokens, rows: db.$client.prepare('SELECT * FROM search_rows ORDER BY key').raw().all() };
  }

  it('builds the same index when a worker thread reads and tokenizes as when this thread does', async () => {
    const live = rebuildFts(db, Date.now(), undefined, { worker: false });
    expect(live).toBe(ftsCount(db));
    const here = snapshot();
    expect(here.tokens.length).toBeGreaterThan(live * 10);
    const steps: string[] = [];
    expect(rebuildFts(db, Date.now(), (_, step) => steps.includes(step) || steps.push(step), { worker: true })).toBe(live);
    expect(snapshot()).toEqual(here);
    expect(steps).toEqual(['indexed', 'merging the index', 'indexing the rows', 'swapping the new index in', 'statistics', 'catching up with writes made meanwhile']);
    expect(await total('稀土抛光粉')).toBe(8);
  });

  it('sets the old index aside and drops it after the swap, and drops what an interrupted rebuild left', async () => {
    const tables = () =>
      (db.$client.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'search_%' AND name NOT LIKE 'search_outbox%' ORDER BY name").pluck().all() as string[]).filter(
        (n) => /_(old|new)(_|$)/.test(n),
      );
    // As a rebuild that stopped half-way would leave them: new tables being filled, old ones not yet dropped.
    ftsStartRebuild(db).insert([]);
    db.$client.exec(`CREATE VIRTUAL TABLE search_fts_old USING fts5(title, content='', contentless_delete=1, prefix='1');
      CREATE TABLE search_rows_old (key INTEGER PRIMARY KEY, id INTEGER NOT NULL);
      CREATE INDEX search_rows_id_leftover ON search_rows_old(id);`);
    const leftover = db.$client.prepare('INSERT INTO search_fts_old(rowid, title) VALUES (?, ?)');
    db.$client.transaction(() => {
      for (let i = 1; i <= 3000; i++) leftover.run(i, `稀土 ${i}`);
    })();
    expect(tables()).toContain('search_fts_old_data');
    expect(tables()).toContain('search_fts_new_data');
    const live = ftsCount(db);
    expect(rebuildFts(db)).toBe(live);
    // The leftovers are gone; the index just replaced waits, set aside, for the indexer job.
    expect(tables()).toEqual(expect.arrayContaining(['search_fts_old', 'search_rows_old']));
    expect(tables().filter((n) => n.includes('_new'))).toEqual([]);
    expect(await total('稀土抛光粉')).toBe(8);
    // The job drops it a step at a time (one index, a few megabytes of rows, or one empty table each), searches
    // answering between steps.
    let steps = 0;
    while ((await indexerBatch(db, null)).more) {
      steps++;
      expect(await total('稀土抛光粉')).toBe(8);
    }
    expect(steps).toBeGreaterThan(2);
    expect(tables()).toEqual([]);
  });
});
