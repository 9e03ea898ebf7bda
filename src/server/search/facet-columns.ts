// What every filter, facet and sort reads about an indexed listing, held in memory as typed arrays, so a search
// filters, counts and orders its matches in one pass of JS instead of SQL per filter value. FTS5 decides only the
// words (fts.ts); the rest is decided here, exactly. About 30 bytes per listing (30 MB at a million; Block).
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
import type { Facets } from './types.ts';

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

/** A price column's value for "no price" (negotiable): prices are at least one fen. */
export const NO_PRICE = 0;
/** A price column's value for a price a Uint32 of fen cannot hold (over 42 million yuan, or not whole fen): read from search_rows. */
export const BIG_PRICE = 0xffffffff;
const IN_RECENT = -1;

/** An expiry column's value for a dead row (removed or re-keyed); live rows hold their expiry in whole seconds. */
export const DEAD = 0;

/** Whole seconds of an expiry, never DEAD: a row is live while its second is after now's (the second itself: see fts.ts). */
export const expirySecond = (ms: number) => Math.min(0xfffffffe, Math.max(1, Math.floor(ms / 1000)));
/** The minute a key was published in (fts.ts documentKey): the days filter reads it off the key. */
export const minuteOfKey = (key: number) => Math.floor(key / ID_SPACE);
const priceCell = (fen: number | null) => (fen === null || Number.isNaN(fen) ? NO_PRICE : Number.isInteger(fen) && fen > 0 && fen < BIG_PRICE ? fen : BIG_PRICE);

/**
 * Rows newest first (keys descending), about 26 bytes each. A place is a (city, region) pair and a category a (top,
 * category) pair, each a small code (FacetColumns.places / cats), so one column answers both levels. The publish
 * time is the key's minute; the exact millisecond (the days filter's boundary minute), an expiry within the current
 * second and prices too large for a Uint32 are read from search_rows, so every filter stays exact.
 */
export class Block {
  readonly key: Float64Array;
  readonly expires: Uint32Array;
  readonly priceMin: Uint32Array;
  readonly priceMax: Uint32Array;
  readonly kind: Uint8Array;
  readonly flags: Uint8Array;
  readonly place: Uint16Array;
  readonly cat: Uint16Array;

  constructor(readonly length: number) {
    this.key = new Float64Array(length);
    this.expires = new Uint32Array(length);
    this.priceMin = new Uint32Array(length);
    this.priceMax = new Uint32Array(length);
    this.kind = new Uint8Array(length);
    this.flags = new Uint8Array(length);
    this.place = new Uint16Array(length);
    this.cat = new Uint16Array(length);
  }

  get bytes(): number {
    return this.length * 26;
  }

  dead(p: number): boolean {
    return this.expires[p] === DEAD;
  }

  copyRow(to: number, from: Block, p: number): void {
    this.key[to] = from.key[p]!;
    this.expires[to] = from.expires[p]!;
    this.priceMin[to] = from.priceMin[p]!;
    this.priceMax[to] = from.priceMax[p]!;
    this.kind[to] = from.kind[p]!;
    this.flags[to] = from.flags[p]!;
    this.place[to] = from.place[p]!;
    this.cat[to] = from.cat[p]!;
  }

  /** A row's cells as a plain object: a copy that outlives changes to the block, far smaller than a block of one. */
  cells(p: number): Cells {
    return {
      key: this.key[p]!,
      expires: this.expires[p]!,
      priceMin: this.priceMin[p]!,
      priceMax: this.priceMax[p]!,
      kind: this.kind[p]!,
      flags: this.flags[p]!,
      place: this.place[p]!,
      cat: this.cat[p]!,
    };
  }

  setCells(p: number, c: Cells): void {
    [this.key[p], this.expires[p], this.priceMin[p], this.priceMax[p]] = [c.key, c.expires, c.priceMin, c.priceMax];
    [this.kind[p], this.flags[p], this.place[p], this.cat[p]] = [c.kind, c.flags, c.place, c.cat];
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
}

/** Codes of value pairs (a region with its city, a category with its industry): each level's code of a pair code. */
export class Pairs {
  readonly outer = new Codes<number>();
  readonly inner = new Codes<number>();
  /** By pair code (index 0 unused): the outer and inner value codes. */
  outerOf: number[] = [0];
  innerOf: number[] = [0];
  private readonly codeOf = new Map<number, number>();

  add(outer: number, inner: number): number {
    const id = outer * 2 ** 26 + inner;
    let code = this.codeOf.get(id);
    if (code === undefined) {
      code = this.outerOf.length;
      if (code > 0xffff) throw new Error('search columns: more than 65535 places or categories');
      this.codeOf.set(id, code);
      this.outerOf.push(this.outer.add(outer));
      this.innerOf.push(this.inner.add(inner));
    }
    return code;
  }

  get size(): number {
    return this.outerOf.length;
  }

  /** Counts by pair code summed by outer and by inner value. */
  named(n: ArrayLike<number>): { outer: Record<string, number>; inner: Record<string, number> } {
    const outer = new Uint32Array(this.outer.values.length + 1);
    const inner = new Uint32Array(this.inner.values.length + 1);
    for (let c = 1; c < n.length; c++) {
      outer[this.outerOf[c]!]! += n[c]!;
      inner[this.innerOf[c]!]! += n[c]!;
    }
    return { outer: this.outer.named(outer), inner: this.inner.named(inner) };
  }

  /**
   * A state per pair code for a filter on the outer value (must pass: 0 fails) and one on the inner value (a facet
   * group: 2 fails only it): 1 passes both. Undefined values: no such filter.
   */
  states(outer: number | undefined, inner: number | undefined): Uint8Array {
    const oc = outer === undefined ? 0 : this.outer.code(outer);
    const ic = inner === undefined ? 0 : this.inner.code(inner);
    const out = new Uint8Array(this.size);
    for (let c = 1; c < this.size; c++) out[c] = oc !== 0 && this.outerOf[c] !== oc ? 0 : ic !== 0 && this.innerOf[c] !== ic ? 2 : 1;
    return out;
  }
}

/**
 * Rows not dead counted by (kind, place, category) code, kept in step with every write, and the keys of the rows
 * among them that expire before `horizon` (seconds): a search without words or other filters than these reads its
 * total and facets off the table (those keys' rows that expired by now taken off) instead of a pass over every row.
 */
export interface ComboCounts {
  n: Uint32Array;
  kinds: number;
  places: number;
  cats: number;
  horizon: number;
  expiring: Set<number>;
}

/** At most this many listings' attributes are held (about 5 MB; the subcategories used last), read again from search_rows after. */
const ATTRIBUTE_ROWS = 40_000;

/** How far ahead the combo counts list expiring rows; past it they are counted again (one pass). */
const COMBO_HORIZON_SECONDS = 3600;
/** Beyond this many cells (kinds x places x categories) there is no table: searches count in their pass. */
const COMBO_CELLS = 1 << 20;

/**
 * A search's total and facets, good for its generation of the index from one moment (ms) until a second (an expiry).
 * A change to the index patches them (fts.ts patchHeld) with what the keys it touched were and are now.
 */
export interface HeldCounts {
  generation: number;
  /** The main block the rows are of (FacetColumns.mainVersion). */
  mainVersion: number;
  fromMs: number;
  untilSecond: number;
  /** With a publish-date filter: when the oldest counted listing may age past it. */
  untilMs: number;
  total: number;
  facets: Facets;
  /**
   * The main block's rows that matched, when few enough: a page then visits only those (and the small recent block,
   * where every change lands). A row that stops matching is taken out of the main block (dead), never changed.
   */
  rows: Int32Array | null;
  /** With words: the text match counted (fts.ts TextMatch.serial) and its recent block keys then, descending. */
  text: { serial: number; recent: number[] } | null;
  /** With the rows: every match's key in price order, ascending by the lower price or descending by the upper one. */
  byPrice?: { priceMin?: Float64Array; priceMax?: Float64Array };
}

/** Searches whose counts are held (a kilobyte or so each), and the bytes of the rows held with them. */
const HELD_COUNTS = 256;
const HELD_ROW_BYTES = 2 * 2 ** 20;
const heldBytes = (c: HeldCounts) =>
  (c.rows?.byteLength ?? 0) + 8 * (c.text?.recent.length ?? 0) + (c.byPrice?.priceMin?.byteLength ?? 0) + (c.byPrice?.priceMax?.byteLength ?? 0);

/** A text match kept for the next search with the same words (fts.ts textKeys). */
export interface KeptMatch {
  generation: number;
  /** The main block's matching rows (ascending: newest first), as a list or as a bitset (broad words: fewer bytes). */
  rows: Int32Array | null;
  bits: Uint32Array | null;
  count: number;
  /** Keys of matching rows of the recent block, descending (brought up to date by the change log). */
  recent: number[];
  bytes: number;
  /** Tells this read of FTS5 from another one of the same words (its main rows are never changed). */
  serial: number;
}

/** One row of a Block. */
export interface Cells {
  key: number;
  expires: number;
  priceMin: number;
  priceMax: number;
  kind: number;
  flags: number;
  place: number;
  cat: number;
}

/**
 * A row as it was before a change took it out: its cells, its main block row (or -1) and its attributes (null: not
 * known, its subcategory's were not held).
 */
export interface Before {
  cells: Cells;
  mainRow: number;
  attributes: ListingAttributes | null;
}

export class FacetColumns {
  readonly kindCodes = new Codes<string>();
  /** (city, region) and (industry, subcategory) pairs: the place and cat columns' codes. */
  readonly places = new Pairs();
  readonly cats = new Pairs();
  /** The rows at load (or the last merge) and the rows written since. */
  main = new Block(0);
  recent = new Block(0);
  /** Bumped when the main block is rebuilt (a merge): row numbers of the main block held elsewhere are void. */
  mainVersion = 0;
  /**
   * Where each listing's row is, by id: its main block row + 1, IN_RECENT (its key in recentKeyOf), or 0 (not
   * indexed). A text match's keys find their rows through it, one read each instead of a search down the keys.
   */
  private rowOf = new Int32Array(0);
  private readonly recentKeyOf = new Map<number, number>();
  private readonly attributes = new Map<number, Map<number, ListingAttributes>>();
  private combos: ComboCounts | null = null;
  /** The main block's rows grouped by category pair code, each group newest first (built on first use). */
  private byCat: { rows: Int32Array; start: Int32Array; version: number } | null = null;
  private readonly catLists = new Map<string, Int32Array>();

  /** How many listings the index holds (expired ones not yet swept included). */
  size = 0;

  /** Totals and facets of searches (fts.ts filterAndCount), by words and filters, last made last. */
  readonly counted = new Map<string, HeldCounts>();

  keepCounts(key: string, counts: HeldCounts): void {
    this.counted.delete(key);
    this.counted.set(key, counts);
    if (this.counted.size > HELD_COUNTS) this.counted.delete(this.counted.keys().next().value!);
    let bytes = 0;
    for (const c of this.counted.values()) bytes += heldBytes(c);
    for (const c of this.counted.values()) {
      if (bytes <= HELD_ROW_BYTES) break;
      bytes -= heldBytes(c);
      c.rows = null; // the oldest lose their rows first, and keep their counts
      c.byPrice = undefined;
    }
  }

  /** Holds a search's matches in price order with its counts (bytes bounded with its rows). */
  holdOrder(held: HeldCounts, by: 'priceMin' | 'priceMax', order: Float64Array): void {
    held.byPrice = { ...held.byPrice, [by]: order };
    const key = [...this.counted].find(([, c]) => c === held)?.[0];
    if (key) this.keepCounts(key, held);
  }

  /** Text matches kept for the next search with the same words (fts.ts textKeys), by FTS5 expression, last used last. */
  readonly textMatches = new Map<string, KeptMatch>();
  /**
   * The keys each change since generation `logFrom` touched (removed or written), for bringing those up to date, in
   * order, each with the row it took out (null: a row written).
   */
  private log: { generation: number; keys: number[]; before: (Before | null)[] }[] = [];
  private logFrom: number;
  private touched: number[] = [];
  private before: (Before | null)[] = [];
  /** Bumped when the log starts again (a merge of the blocks: what was kept or held is read again anyway). */
  logEpoch = 0;
  private restartLog = false;

  constructor(public generation: number) {
    this.logFrom = generation;
  }

  /** Closes a change: the keys touched since the last one belong to `generation`. */
  changed(generation: number): void {
    this.generation = generation;
    if (this.restartLog) {
      [this.log, this.logFrom, this.restartLog] = [[], generation, false];
      this.logEpoch++;
    } else this.log.push({ generation, keys: this.touched, before: this.before });
    this.touched = [];
    this.before = [];
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

  /**
   * Each key touched since a generation with its row at that generation (null: it had none), or null when the log
   * does not reach back that far.
   */
  rowsAt(generation: number): Map<number, Before | null> | null {
    if (generation < this.logFrom) return null;
    const out = new Map<number, Before | null>();
    for (const e of this.log) {
      if (e.generation <= generation) continue;
      // The first thing that happened to a key after the generation: taken out (what it was), or written (none).
      for (let i = 0; i < e.keys.length; i++) if (!out.has(e.keys[i]!)) out.set(e.keys[i]!, e.before[i]!);
    }
    return out;
  }

  /** The current key of a listing, or 0. */
  keyOf(id: number): number {
    const r = id < this.rowOf.length ? this.rowOf[id]! : 0;
    return r > 0 ? this.main.key[r - 1]! : r === IN_RECENT ? this.recentKeyOf.get(id)! : 0;
  }

  /** The main block row of a key, or -1 (not indexed, or in the recent block). */
  mainRow(key: number): number {
    const id = key % ID_SPACE;
    const r = id < this.rowOf.length ? this.rowOf[id]! - 1 : -1;
    return r >= 0 && this.main.key[r] === key ? r : -1;
  }

  /** Bytes held in typed arrays: the blocks, the row indexes, the combo counts and the kept text matches. */
  get bytes(): number {
    const m = this.memory();
    return m.columns! + m.rowByListing! + m.rowsByCategory! + m.comboCounts! + m.keptMatches! + m.heldRows!;
  }

  /** Loads the rows, newest first. */
  load(rows: Iterable<ColumnRow>, count: number): void {
    const block = new Block(count);
    let p = 0;
    for (const row of rows) {
      if (p >= count) break;
      this.fill(block, p++, row, true);
    }
    this.main = p === count ? block : this.slice(block, p);
    this.mainVersion++;
  }

  private slice(block: Block, n: number): Block {
    const out = new Block(n);
    for (let p = 0; p < n; p++) out.copyRow(p, block, p);
    return out;
  }

  private fill(block: Block, p: number, row: ColumnRow, inMain = false): void {
    block.key[p] = row.key;
    block.expires[p] = expirySecond(row.expiresAt);
    block.priceMin[p] = priceCell(row.priceMin);
    block.priceMax[p] = priceCell(row.priceMax);
    block.kind[p] = this.kindCodes.add(row.kind);
    block.flags[p] = (row.hasImages ? IMAGES : 0) | (row.verified ? VERIFIED : 0);
    block.place[p] = this.places.add(row.city, row.region);
    block.cat[p] = this.cats.add(row.top, row.cat);
    if (this.combos) this.count(block, p, 1);
    if (row.id >= this.rowOf.length) {
      const grown = new Int32Array(Math.max(1024, row.id + 1, Math.ceil(this.rowOf.length * 1.25)));
      grown.set(this.rowOf);
      this.rowOf = grown;
    }
    if (this.rowOf[row.id] === 0) this.size++;
    this.rowOf[row.id] = inMain ? p + 1 : IN_RECENT;
    if (!inMain) this.recentKeyOf.set(row.id, row.key);
  }

  /** The combo counts as of `nowSec` (built by one pass over every row when missing or past their horizon), or null. */
  combosAt(nowSec: number): ComboCounts | null {
    if (this.combos && nowSec <= this.combos.horizon) return this.combos;
    const [kinds, places, cats] = [this.kindCodes.values.length + 1, this.places.size, this.cats.size];
    if (kinds * places * cats > COMBO_CELLS) return null;
    this.combos = { n: new Uint32Array(kinds * places * cats), kinds, places, cats, horizon: nowSec + COMBO_HORIZON_SECONDS, expiring: new Set() };
    for (const block of [this.main, this.recent]) for (let p = 0; p < block.length; p++) if (!block.dead(p)) this.count(block, p, 1);
    return this.combos;
  }

  /** Counts a row in (or out of) the combo counts; a code the table has no room for drops it (built again when asked). */
  private count(block: Block, p: number, w: number): void {
    const c = this.combos!;
    const [kd, pl, ct] = [block.kind[p]!, block.place[p]!, block.cat[p]!];
    if (kd >= c.kinds || pl >= c.places || ct >= c.cats) {
      this.combos = null;
      return;
    }
    c.n[(kd * c.places + pl) * c.cats + ct]! += w;
    if (w > 0 && block.expires[p]! <= c.horizon) c.expiring.add(block.key[p]!);
  }

  /**
   * The main block's rows of the category pair codes `accept` takes, newest first, or null when they are more than
   * `most` (a pass over every row is then as cheap). A search restricted to an industry or a subcategory visits these.
   */
  rowsOfCats(accept: (code: number) => boolean, most: number): Int32Array | null {
    const main = this.main;
    if (this.byCat?.version !== this.mainVersion) {
      // Counting sort: stable, so each code's rows stay in row order.
      const start = new Int32Array(this.cats.size + 1);
      for (let p = 0; p < main.length; p++) start[main.cat[p]! + 1]!++;
      for (let c = 1; c < start.length; c++) start[c]! += start[c - 1]!;
      const at = start.slice();
      const rows = new Int32Array(main.length);
      for (let p = 0; p < main.length; p++) rows[at[main.cat[p]!]!++] = p;
      this.byCat = { rows, start, version: this.mainVersion };
    }
    const { rows, start } = this.byCat;
    const codes: number[] = [];
    let n = 0;
    for (let c = 1; c < start.length - 1; c++) {
      if (!accept(c)) continue;
      codes.push(c);
      n += start[c + 1]! - start[c]!;
    }
    if (n > most) return null;
    if (codes.length === 1) return rows.subarray(start[codes[0]!]!, start[codes[0]! + 1]!);
    // Several codes (an industry's subcategories): their rows in one list newest first, kept for the next search.
    const id = `${this.mainVersion}:${codes.join(',')}`;
    let out = this.catLists.get(id);
    if (!out) {
      out = new Int32Array(n);
      let o = 0;
      for (const c of codes) {
        out.set(rows.subarray(start[c]!, start[c + 1]!), o);
        o += start[c + 1]! - start[c]!;
      }
      out.sort();
      if (this.catLists.size >= 4) this.catLists.delete(this.catLists.keys().next().value!);
      this.catLists.set(id, out);
    }
    return out;
  }

  /**
   * The block and row of a key, if it is indexed. The recent block first: a listing changed since the load has its
   * live row there and a dead one in the main block.
   */
  locate(key: number): [Block, number] | null {
    const r = this.mainRow(key);
    if (r >= 0) return [this.main, r];
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
      if (this.keyOf(row.id) !== 0) this.remove(row.id);
      this.touched.push(row.key);
      this.before.push(null);
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
    const key = this.keyOf(id);
    if (key === 0) return;
    this.touched.push(key);
    const found = this.locate(key);
    if (found) {
      const [block, p] = found;
      const attributes = this.attributes.get(this.cats.inner.values[this.cats.innerOf[block.cat[p]!]! - 1]!);
      // A copy: a dead row of the recent block comes back to life in place when its key is written again.
      this.before.push({ cells: block.cells(p), mainRow: block === this.main ? p : -1, attributes: attributes?.get(id) ?? null });
      if (this.combos && !block.dead(p)) this.count(block, p, -1);
      block.expires[p] = DEAD;
      attributes?.delete(id);
    } else this.before.push(null);
    this.rowOf[id] = 0;
    this.recentKeyOf.delete(id);
    this.size--;
  }

  /** Both blocks as one, without dead rows. Kept text matches hold main block rows: they are read again. */
  private merge(): void {
    const [a, b] = [this.main, this.recent];
    let live = 0;
    for (const block of [a, b]) for (let p = 0; p < block.length; p++) if (!block.dead(p)) live++;
    const out = new Block(live);
    let [i, j, o] = [0, 0, 0];
    while (i < a.length || j < b.length) {
      const fromA = j >= b.length || (i < a.length && a.key[i]! > b.key[j]!);
      const [block, p] = fromA ? [a, i++] : [b, j++];
      if (!block.dead(p)) out.copyRow(o++, block, p);
    }
    this.main = out;
    this.recent = new Block(0);
    for (let o = 0; o < out.length; o++) this.rowOf[out.key[o]! % ID_SPACE] = o + 1;
    this.recentKeyOf.clear();
    this.mainVersion++;
    this.textMatches.clear();
    this.catLists.clear();
    this.restartLog = true;
  }

  /** The attributes of the listings of one subcategory, by id (read once, then kept in step). */
  attributesOf(db: Db, cat: number): Map<number, ListingAttributes> {
    let map = this.attributes.get(cat);
    if (map) this.attributes.delete(cat); // last used last
    else {
      map = new Map();
      const rows = db.$client.prepare('SELECT id, attributes FROM search_rows WHERE cat = ?').raw().all(cat) as [number, string | null][];
      for (const [id, json] of rows) map.set(id, json ? (JSON.parse(json) as ListingAttributes) : {});
      // Objects, not typed arrays (a hundred bytes or more a listing): only the subcategories used last are held.
      let held = map.size;
      for (const m of this.attributes.values()) held += m.size;
      for (const [oldest, m] of this.attributes) {
        if (held <= ATTRIBUTE_ROWS) break;
        this.attributes.delete(oldest);
        held -= m.size;
      }
    }
    this.attributes.set(cat, map);
    return map;
  }

  /** What the search holds in memory, in bytes (attribute maps: listings held, their objects not counted in bytes). */
  memory(): Record<string, number> {
    let [kept, keptRows] = [0, 0];
    for (const m of this.textMatches.values()) [kept, keptRows] = [kept + m.bytes, keptRows + m.count + m.recent.length];
    let attributeRows = 0;
    for (const m of this.attributes.values()) attributeRows += m.size;
    return {
      columns: this.main.bytes + this.recent.bytes,
      rowByListing: this.rowOf.byteLength,
      rowsByCategory: (this.byCat?.rows.byteLength ?? 0) + [...this.catLists.values()].reduce((n, l) => n + l.byteLength, 0),
      comboCounts: this.combos?.n.byteLength ?? 0,
      keptMatches: kept,
      heldRows: [...this.counted.values()].reduce((n, c) => n + heldBytes(c), 0),
      heldCounts: this.counted.size,
      keptMatchCount: this.textMatches.size,
      keptMatchRows: keptRows,
      attributeListings: attributeRows,
    };
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
