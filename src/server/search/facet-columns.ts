// What every filter, facet and sort reads about an indexed listing, held in memory as typed arrays, so a search
// filters, counts and orders its matches in one pass of JS instead of SQL per filter value. FTS5 decides only the
// words (fts.ts); the rest is decided here, exactly. About 50 bytes per listing (50 MB at a million).
//
// Rows are stored newest first (index key order, fts.ts documentKey), not by listing id: a pass over every listing
// then reads memory in order, and the keys of a text match (sorted) land on rows in order too. Reading a million rows
// in id order, which demo data and renewed listings make random in key order, cost ten times as much (cache misses).
// Rows written since the columns were loaded go to a small second block in the same layout; removed rows are marked
// dead in place; the blocks are merged when the second one grows.
//
// Kept in step with the index by the writer in this process (fts.ts `change`); a generation number in search_meta,
// bumped with every change to the index, tells a process when another one (the reindex CLI) changed it: it then
// reads them again. Attributes (only filtered and counted within a chosen subcategory) are read per subcategory on
// first use.
import type Database from 'better-sqlite3';
import type { ListingAttributes } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

/** The listing id part of a key (fts.ts documentKey). */
export const ID_SPACE = 2 ** 28;

/** A facet's values: each gets a small code, which the blocks store (0: none). */
export class Codes<V extends string | number> {
  readonly values: V[] = [];
  private readonly codeOf = new Map<V, number>();

  add(value: V): number {
    let code = this.codeOf.get(value);
    if (code === undefined) {
      this.values.push(value);
      this.codeOf.set(value, (code = this.values.length));
    }
    return code;
  }

  /** The code of a value, or -1 when no listing has it (so nothing matches). */
  code(value: V): number {
    return this.codeOf.get(value) ?? -1;
  }

  /** Counts by code (index 0 unused) turned into counts by value. */
  named(n: ArrayLike<number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (let c = 1; c < n.length; c++) if (n[c]! > 0) out[String(this.values[c - 1])] = n[c]!;
    return out;
  }
}

export interface ColumnRow {
  id: number;
  /** The index's key (fts.ts documentKey): newest first is key order. */
  key: number;
  kind: string;
  city: number;
  region: number;
  top: number;
  cat: number;
  priceMin: number | null;
  priceMax: number | null;
  publishedAt: number;
  expiresAt: number;
  hasImages: boolean;
  verified: boolean;
}

export const IMAGES = 1;
export const VERIFIED = 2;

/** Rows newest first (keys descending). Prices NaN: negotiable. A dead row (removed or re-keyed) has expires -Infinity. */
export class Block {
  readonly key: Float64Array;
  readonly expires: Float64Array;
  readonly published: Float64Array;
  readonly priceMin: Float64Array;
  readonly priceMax: Float64Array;
  readonly kind: Uint16Array;
  readonly city: Uint16Array;
  readonly region: Uint16Array;
  readonly top: Uint16Array;
  readonly cat: Uint16Array;
  readonly flags: Uint8Array;
  private lists: Map<string, Int32Array> | undefined;

  constructor(readonly length: number) {
    this.key = new Float64Array(length);
    this.expires = new Float64Array(length);
    this.published = new Float64Array(length);
    this.priceMin = new Float64Array(length);
    this.priceMax = new Float64Array(length);
    this.kind = new Uint16Array(length);
    this.city = new Uint16Array(length);
    this.region = new Uint16Array(length);
    this.top = new Uint16Array(length);
    this.cat = new Uint16Array(length);
    this.flags = new Uint8Array(length);
  }

  copyRow(to: number, from: Block, p: number): void {
    this.key[to] = from.key[p]!;
    this.expires[to] = from.expires[p]!;
    this.published[to] = from.published[p]!;
    this.priceMin[to] = from.priceMin[p]!;
    this.priceMax[to] = from.priceMax[p]!;
    this.kind[to] = from.kind[p]!;
    this.city[to] = from.city[p]!;
    this.region[to] = from.region[p]!;
    this.top[to] = from.top[p]!;
    this.cat[to] = from.cat[p]!;
    this.flags[to] = from.flags[p]!;
  }

  /** The row of a key, or -1. */
  find(key: number): number {
    const p = this.atOrOlder(key);
    return p < this.length && this.key[p] === key ? p : -1;
  }

  /** The first row whose key is at most `key`; rows before `from` must be newer (a walk down the keys). */
  atOrOlder(key: number, from = 0): number {
    let [lo, hi] = [from, this.length];
    // Gallop first: the keys of one search are close together far more often than not.
    for (let step = 1; lo + step < hi && this.key[lo + step]! > key; step *= 2) lo += step;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.key[mid]! > key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first row older than `key` (rows [0, result) are at least as new). */
  firstOlder(key: number): number {
    let [lo, hi] = [0, this.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.key[mid]! >= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The rows with one city, industry or subcategory code, in row order (built on first use: only for the main block, whose rows
   * never change but for dead marks).
   */
  rowsWith(column: 'city' | 'top' | 'cat', code: number): Int32Array {
    this.lists ??= new Map();
    const id = `${column}${code}`;
    let rows = this.lists.get(id);
    if (!rows) {
      const codes = this[column];
      let n = 0;
      for (let p = 0; p < this.length; p++) if (codes[p] === code) n++;
      rows = new Int32Array(n);
      for (let p = 0, i = 0; p < this.length; p++) if (codes[p] === code) rows[i++] = p;
      this.lists.set(id, rows);
    }
    return rows;
  }
}

export class FacetColumns {
  readonly kindCodes = new Codes<string>();
  readonly cityCodes = new Codes<number>();
  readonly regionCodes = new Codes<number>();
  readonly topCodes = new Codes<number>();
  readonly catCodes = new Codes<number>();
  /** The rows at load (or the last merge) and the rows written since. */
  main = new Block(0);
  recent = new Block(0);
  /** Each listing's current key, by id (0: not indexed): where to find its row. */
  private keyOf = new Float64Array(0);
  private readonly attributes = new Map<number, Map<number, ListingAttributes>>();

  /** How many listings the index holds (expired ones not yet swept included). */
  size = 0;

  /** Keys of text matches kept for the next search with the same words (fts.ts textKeys), by FTS5 expression. */
  readonly textMatches = new Map<string, { generation: number; keys: Float64Array }>();
  /** The keys each change since generation `logFrom` touched (removed or written), for bringing those up to date. */
  private log: { generation: number; keys: number[] }[] = [];
  private logFrom: number;
  private touched: number[] = [];

  constructor(public generation: number) {
    this.logFrom = generation;
  }

  /** Closes a change: the keys touched since the last one belong to `generation`. */
  changed(generation: number): void {
    this.generation = generation;
    this.log.push({ generation, keys: this.touched });
    this.touched = [];
    // A bounded log: kept matches older than its start are read again.
    let kept = this.log.reduce((n, e) => n + e.keys.length, 0);
    while (kept > 20_000 && this.log.length > 1) {
      const dropped = this.log.shift()!;
      kept -= dropped.keys.length;
      this.logFrom = dropped.generation;
    }
  }

  /** The keys touched since a generation, or null when the log does not reach back that far. */
  touchedSince(generation: number): number[] | null {
    if (generation < this.logFrom) return null;
    return this.log.filter((e) => e.generation > generation).flatMap((e) => e.keys);
  }

  /** Above every indexed listing id. */
  get idLimit(): number {
    return this.keyOf.length;
  }

  /** Loads the rows, newest first. */
  load(rows: Iterable<ColumnRow>, count: number): void {
    const block = new Block(count);
    let p = 0;
    for (const row of rows) {
      if (p >= count) break;
      this.fill(block, p++, row);
    }
    this.main = p === count ? block : this.slice(block, p);
  }

  private slice(block: Block, n: number): Block {
    const out = new Block(n);
    for (let p = 0; p < n; p++) out.copyRow(p, block, p);
    return out;
  }

  private fill(block: Block, p: number, row: ColumnRow): void {
    block.key[p] = row.key;
    block.expires[p] = row.expiresAt;
    block.published[p] = row.publishedAt;
    block.priceMin[p] = row.priceMin ?? NaN;
    block.priceMax[p] = row.priceMax ?? NaN;
    block.kind[p] = this.kindCodes.add(row.kind);
    block.city[p] = this.cityCodes.add(row.city);
    block.region[p] = this.regionCodes.add(row.region);
    block.top[p] = this.topCodes.add(row.top);
    block.cat[p] = this.catCodes.add(row.cat);
    block.flags[p] = (row.hasImages ? IMAGES : 0) | (row.verified ? VERIFIED : 0);
    if (row.id >= this.keyOf.length) {
      const grown = new Float64Array(Math.max(1024, row.id + 1, Math.ceil(this.keyOf.length * 1.5)));
      grown.set(this.keyOf);
      this.keyOf = grown;
    }
    if (this.keyOf[row.id] === 0) this.size++;
    this.keyOf[row.id] = row.key;
  }

  /**
   * The block and row of a key, if it is indexed. The recent block first: a listing changed since the load has its
   * live row there and a dead one in the main block.
   */
  locate(key: number): [Block, number] | null {
    const q = this.recent.find(key);
    if (q >= 0) return [this.recent, q];
    const p = this.main.find(key);
    return p >= 0 ? [this.main, p] : null;
  }

  /**
   * Adds or replaces listings' rows: always in the recent block (the main one never changes but for dead marks), in
   * one merge of the block with the new rows.
   */
  set(...rows: ColumnRow[]): void {
    const fresh: ColumnRow[] = [];
    for (const row of rows) {
      if (row.id < this.keyOf.length && this.keyOf[row.id] !== 0) this.remove(row.id);
      this.touched.push(row.key);
      const same = this.recent.find(row.key);
      // Taken out and put back with the same key: its dead row comes back to life.
      if (same >= 0) this.fill(this.recent, same, row);
      else fresh.push(row);
    }
    if (fresh.length === 0) return;
    fresh.sort((a, b) => b.key - a.key);
    const recent = this.recent;
    const next = new Block(recent.length + fresh.length);
    let [i, j, o] = [0, 0, 0];
    while (i < recent.length || j < fresh.length) {
      if (j >= fresh.length || (i < recent.length && recent.key[i]! > fresh[j]!.key)) next.copyRow(o++, recent, i++);
      else this.fill(next, o++, fresh[j++]!);
    }
    this.recent = next;
    if (next.length > 4096) this.merge();
  }

  remove(id: number): void {
    const key = id < this.keyOf.length ? this.keyOf[id]! : 0;
    if (key === 0) return;
    this.touched.push(key);
    const found = this.locate(key);
    if (found) {
      const [block, p] = found;
      block.expires[p] = -Infinity;
      this.attributes.get(this.catCodes.values[block.cat[p]! - 1] as number)?.delete(id);
    }
    this.keyOf[id] = 0;
    this.size--;
  }

  /** Both blocks as one, without dead rows. */
  private merge(): void {
    const [a, b] = [this.main, this.recent];
    let live = 0;
    for (const block of [a, b]) for (let p = 0; p < block.length; p++) if (block.expires[p] !== -Infinity) live++;
    const out = new Block(live);
    let [i, j, o] = [0, 0, 0];
    while (i < a.length || j < b.length) {
      const fromA = j >= b.length || (i < a.length && a.key[i]! > b.key[j]!);
      const [block, p] = fromA ? [a, i++] : [b, j++];
      if (block.expires[p] !== -Infinity) out.copyRow(o++, block, p);
    }
    this.main = out;
    this.recent = new Block(0);
  }

  /** The attributes of the listings of one subcategory, by id (read once, then kept in step). */
  attributesOf(db: Db, cat: number): Map<number, ListingAttributes> {
    let map = this.attributes.get(cat);
    if (!map) {
      map = new Map();
      const rows = db.$client.prepare('SELECT id, attributes FROM search_rows WHERE cat = ?').raw().all(cat) as [number, string | null][];
      for (const [id, json] of rows) map.set(id, json ? (JSON.parse(json) as ListingAttributes) : {});
      this.attributes.set(cat, map);
    }
    return map;
  }

  /** Keeps a loaded subcategory's attributes in step with a changed listing. */
  setAttributes(id: number, cat: number, attributes: ListingAttributes): void {
    this.attributes.get(cat)?.set(id, attributes);
  }
}

const loaded = new WeakMap<object, FacetColumns>();

const generationStatements = new WeakMap<object, Database.Statement<[], string>>();

/** Asked before every search: a statement prepared once per connection. */
export function generationOf(db: Db): number {
  let stmt = generationStatements.get(db.$client);
  if (!stmt) generationStatements.set(db.$client, (stmt = db.$client.prepare<[], string>("SELECT value FROM search_meta WHERE key = 'generation'").pluck()));
  return Number(stmt.get() ?? 0);
}

/** Marks a change to the index (inside the writer's transaction); returns the new generation. */
export function bumpGeneration(db: Db): number {
  const next = generationOf(db) + 1;
  db.$client.prepare("INSERT INTO search_meta(key, value) VALUES ('generation', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(next));
  return next;
}

type Raw = [number, number, string, number, number, number, number, number | null, number | null, number, number, number];

/** The columns of this database's index, read again when another process changed it. */
export function facetColumns(db: Db): FacetColumns {
  const generation = generationOf(db);
  let cols = loaded.get(db.$client);
  if (cols?.generation === generation) return cols;
  cols = new FacetColumns(generation);
  const count = db.$client.prepare('SELECT count(*) FROM search_rows').pluck().get() as number;
  // The primary key is the index key: reading it backwards is newest first, with no sort.
  const raw = db.$client
    .prepare('SELECT key, id, kind, city, region, top, cat, price_min, price_max, published_at, expires_at, flags FROM search_rows ORDER BY key DESC')
    .raw()
    .iterate() as Iterable<Raw>;
  function* rows(): Generator<ColumnRow> {
    for (const [key, id, kind, city, region, top, cat, priceMin, priceMax, publishedAt, expiresAt, flags] of raw) {
      yield { key, id, kind, city, region, top, cat, priceMin, priceMax, publishedAt, expiresAt, hasImages: (flags & IMAGES) !== 0, verified: (flags & VERIFIED) !== 0 };
    }
  }
  cols.load(rows(), count);
  loaded.set(db.$client, cols);
  return cols;
}

/** The loaded columns, if this process has them, for a writer to keep up to date. */
export function loadedFacetColumns(db: Db): FacetColumns | undefined {
  return loaded.get(db.$client);
}
