import { afterEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES, startCheckpointer, type Checkpointer } from '../../src/server/wal-checkpointer.ts';
import { freshDb } from '../helpers/db.ts';

// Writes about `pages` pages of log in one commit (a scratch table: the test needs volume, not listings).
function writePages(db: ReturnType<typeof freshDb>, pages: number): void {
  db.$client.exec('CREATE TABLE IF NOT EXISTS scratch(b BLOB)');
  db.$client.prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO scratch SELECT randomblob(3000) FROM n').run(pages);
}

describe('the WAL checkpointer', () => {
  let running: Checkpointer | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('takes checkpoints out of the commits: the log grows past SQLite\'s 1,000 pages until its thread folds it in', async () => {
    const db = freshDb({ seed: false });
    running = startCheckpointer(db, { everyMs: 3_600_000 });
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    writePages(db, 1500);
    writePages(db, 10);
    // A checkpoint inside the second commit would have restarted the log; it holds both.
    const first = await running.checkpoint();
    expect(first.busy).toBe(0);
    expect(first.log).toBeGreaterThan(1500);
    expect(first.checkpointed).toBe(first.log);
    // Folded in: the next commit starts the log over.
    writePages(db, 10);
    const second = await running.checkpoint();
    expect(second.log).toBeLessThan(100);
    expect(second.checkpointed).toBe(second.log);
    expect(db.$client.prepare('SELECT count(*) FROM scratch').pluck().get()).toBe(1520);
  });

  it('gives the checkpoints back to the connection when it stops', async () => {
    const db = freshDb({ seed: false });
    const checkpointer = startCheckpointer(db, { everyMs: 3_600_000 });
    await checkpointer.stop();
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await expect(checkpointer.checkpoint()).rejects.toThrow(/stopped/);
  });
});
