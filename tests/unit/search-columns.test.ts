// The in-memory columns searches filter and count on (facet-columns.ts): rows newest first across the block read at
// load and the block of rows written since, dead rows skipped, merges keeping the order, and the log of touched keys
// that brings kept text matches up to date.
import { describe, expect, it } from 'vitest';
import { FacetColumns, ID_SPACE, type Block, type ColumnRow } from '../../src/server/search/facet-columns.ts';

// A row published in a minute: its key is the index's (fts.ts documentKey), minute above id.
const row = (id: number, minute: number, city = 1): ColumnRow => ({
  id,
  key: minute * ID_SPACE + id,
  kind: 'supply',
  city,
  region: 10,
  top: 100,
  cat: 1000,
  priceMin: null,
  priceMax: null,
  publishedAt: minute,
  expiresAt: Number.MAX_SAFE_INTEGER,
  hasImages: false,
  verified: false,
});

/** Minutes of the live keys newest first, as a search without words reads them (both blocks merged). */
const minute = (key: number) => Math.floor(key / ID_SPACE);
function liveKeys(cols: FacetColumns): number[] {
  const live = (b: Block) => Array.from({ length: b.length }, (_, p) => p).filter((p) => !b.dead(p)).map((p) => minute(b.key[p]!));
  return [...live(cols.main), ...live(cols.recent)].sort((a, b) => b - a);
}

function loaded(rows: ColumnRow[]): FacetColumns {
  const cols = new FacetColumns(1);
  cols.load(
    [...rows].sort((a, b) => b.key - a.key),
    rows.length,
  );
  return cols;
}

describe('search columns', () => {
  it('keeps the rows newest first across loads, writes, edits and removals', () => {
    const cols = loaded([row(1, 100), row(2, 300), row(3, 200)]);
    expect(liveKeys(cols)).toEqual([300, 200, 100]);
    expect(cols.size).toBe(3);

    cols.set(row(4, 400)); // a new listing
    cols.set(row(1, 500)); // renewed: a new key, its old row dead
    cols.remove(3);
    expect(liveKeys(cols)).toEqual([500, 400, 300]);
    expect(cols.size).toBe(3);
    const [old, q] = cols.locate(100 * ID_SPACE + 1)!;
    expect(old.dead(q)).toBe(true); // the renewed listing's old row is dead

    // Taken out and put back with the same key, and edited in place: one live row each.
    cols.remove(4);
    cols.set(row(4, 400, 2));
    cols.set(row(2, 300, 3));
    expect(liveKeys(cols)).toEqual([500, 400, 300]);
    const [block, p] = cols.locate(300 * ID_SPACE + 2)!;
    expect(cols.places.outer.values[cols.places.outerOf[block.place[p]!]! - 1]).toBe(3);
  });

  it('merges the recent block into the main one when it grows, in order and without dead rows', () => {
    const cols = loaded(Array.from({ length: 100 }, (_, i) => row(i + 1, (i + 1) * 10)));
    // Between the loaded keys, one write at a time and in batches.
    for (let i = 0; i < 200; i++) cols.set(row(1000 + i, 5 + i * 10));
    cols.set(...Array.from({ length: 4800 }, (_, i) => row(1200 + i, 5 + (i + 200) * 10)));
    for (let id = 1; id <= 50; id++) cols.remove(id);
    const expected = [...Array.from({ length: 50 }, (_, i) => (i + 51) * 10), ...Array.from({ length: 5000 }, (_, i) => 5 + i * 10)].sort((a, b) => b - a);
    expect(liveKeys(cols)).toEqual(expected);
    expect(cols.recent.length).toBeLessThan(5000); // merged at least once
    expect(cols.size).toBe(5050);
    for (let p = 1; p < cols.main.length; p++) expect(cols.main.key[p - 1]!).toBeGreaterThan(cols.main.key[p]!);
  });

  it('finds a key walking down the main block from any row before it', () => {
    const cols = loaded(Array.from({ length: 1000 }, (_, i) => row(i + 1, (i + 1) * 2)));
    let from = 0;
    for (let m = 2000; m > 0; m--) {
      const key = m * ID_SPACE + 500; // between keys of that minute or the next
      from = cols.main.atOrOlder(key, from);
      expect(from === cols.main.length || cols.main.key[from]! <= key).toBe(true);
      if (from > 0) expect(cols.main.key[from - 1]! > key).toBe(true);
    }
  });

  it('logs the keys each change touched, for as far back as it reaches', () => {
    const cols = loaded([row(1, 100)]);
    cols.set(row(2, 200));
    cols.changed(2);
    cols.set(row(1, 300));
    cols.changed(3);
    expect(cols.touchedSince(1)!.map(minute).sort()).toEqual([100, 200, 300]);
    expect(cols.touchedSince(2)!.map(minute).sort()).toEqual([100, 300]);
    expect(cols.touchedSince(3)).toEqual([]);
    for (let i = 0; i < 30; i++) {
      cols.set(...Array.from({ length: 1000 }, (_, j) => row(10_000 + i * 1000 + j, 1000 + i * 1000 + j)));
      cols.changed(4 + i);
    }
    expect(cols.touchedSince(1)).toBeNull(); // the log was cut: kept matches that old are read again
  });
});
