// What every filter, facet and sort reads about an indexed listing, held in memory as typed arrays indexed by listing
// id, so a search filters, counts and orders its matches in one pass of JS over arrays instead of SQL per filter
// value. FTS5 decides only the words (fts.ts); the rest is decided here, exactly. About 45 bytes per listing id (45 MB
// at a million). Kept in step with the index by the writer in this process (fts.ts `change`); a generation number in
// search_meta, bumped with every change to the index, tells a process when another one (the reindex CLI) changed it:
// it then reads them again. Attributes (only filtered and counted within a chosen subcategory) are read per
// subcategory on first use.
import type Database from 'better-sqlite3';
import type { ListingAttributes } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

/** One facet's values: a code per listing id (0: none) and the value of each code. */
export class Column<V extends string | number> {
  codes = new Uint16Array(0);
  readonly values: V[] = [];
  private readonly codeOf = new Map<V, number>();

  set(id: number, value: V): void {
    let code = this.codeOf.get(value);
    if (code === undefined) {
      this.values.push(value);
      this.codeOf.set(value, (code = this.values.length));
    }
    this.codes[id] = code;
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

export class FacetColumns {
  readonly kind = new Column<string>();
  readonly city = new Column<number>();
  readonly region = new Column<number>();
  readonly top = new Column<number>();
  readonly cat = new Column<number>();
  /** By listing id; key 0: not in the index. Prices NaN: negotiable. */
  key = new Float64Array(0);
  priceMin = new Float64Array(0);
  priceMax = new Float64Array(0);
  published = new Float64Array(0);
  expires = new Float64Array(0);
  flags = new Uint8Array(0);

  /** Keys newest first as read at load, then the keys added since (newest first too); stale entries are skipped. */
  private order: number[] = [];
  private added: number[] = [];
  private stale = 0;
  private readonly attributes = new Map<number, Map<number, ListingAttributes>>();

  /** How many listings the index holds (expired ones not yet swept included). */
  size = 0;

  constructor(public generation: number) {}

  private grow(id: number): void {
    if (id < this.key.length) return;
    const n = Math.max(1024, id + 1, Math.ceil(this.key.length * 1.5));
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.key = f64(this.key);
    this.priceMin = f64(this.priceMin);
    this.priceMax = f64(this.priceMax);
    this.published = f64(this.published);
    this.expires = f64(this.expires);
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
    for (const c of [this.kind, this.city, this.region, this.top, this.cat] as Column<string | number>[]) {
      const codes = new Uint16Array(n);
      codes.set(c.codes);
      c.codes = codes;
    }
  }

  /** Loads or replaces a listing's row; `loading` rows arrive newest first, later ones go to the added list. */
  set(row: ColumnRow, loading = false): void {
    this.grow(row.id);
    const id = row.id;
    const old = this.key[id]!;
    if (old === 0) this.size++;
    else if (old !== row.key) this.stale++;
    this.key[id] = row.key;
    this.kind.set(id, row.kind);
    this.city.set(id, row.city);
    this.region.set(id, row.region);
    this.top.set(id, row.top);
    this.cat.set(id, row.cat);
    this.priceMin[id] = row.priceMin ?? NaN;
    this.priceMax[id] = row.priceMax ?? NaN;
    this.published[id] = row.publishedAt;
    this.expires[id] = row.expiresAt;
    this.flags[id] = (row.hasImages ? IMAGES : 0) | (row.verified ? VERIFIED : 0);
    if (loading) this.order.push(row.key);
    else if (old !== row.key) {
      // Kept sorted newest first; a new listing is the newest, so this is nearly always a push at the front.
      let i = 0;
      while (i < this.added.length && this.added[i]! > row.key) i++;
      this.added.splice(i, 0, row.key);
      if (this.added.length > 4096) this.compact();
    }
  }

  remove(id: number): void {
    if (id >= this.key.length || this.key[id] === 0) return;
    this.attributes.get(this.cat.values[this.cat.codes[id]! - 1] as number)?.delete(id);
    this.key[id] = 0;
    this.size--;
    this.stale++;
  }

  /** Merges the added keys into the order and drops stale ones. */
  private compact(): void {
    const merged: number[] = [];
    let [i, j] = [0, 0];
    const { order, added } = this;
    while (i < order.length || j < added.length) {
      const k = j >= added.length || (i < order.length && order[i]! > added[j]!) ? order[i++]! : added[j++]!;
      // A listing taken out and put back with the same key is in both lists.
      if (this.key[k % ID_SPACE] === k && merged[merged.length - 1] !== k) merged.push(k);
    }
    this.order = merged;
    this.added = [];
    this.stale = 0;
  }

  /**
   * Every current key, newest first, as two lists to merge (the keys at load and those added since): merging them
   * into one on every write would copy a million keys. Entries whose listing changed key or left are still there:
   * the reader skips a key that is not its listing's current one, and one it has just seen.
   */
  keysNewestFirst(): [number[], number[]] {
    if (this.stale > this.order.length / 8 + 1024) this.compact();
    return [this.order, this.added];
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

/** The listing id part of a key (fts.ts documentKey). */
export const ID_SPACE = 2 ** 28;

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
  // The primary key is the index key: reading it backwards is newest first, with no sort.
  const rows = db.$client
    .prepare('SELECT key, id, kind, city, region, top, cat, price_min, price_max, published_at, expires_at, flags FROM search_rows ORDER BY key DESC')
    .raw()
    .iterate() as Iterable<Raw>;
  for (const [key, id, kind, city, region, top, cat, priceMin, priceMax, publishedAt, expiresAt, flags] of rows) {
    cols.set(
      { key, id, kind, city, region, top, cat, priceMin, priceMax, publishedAt, expiresAt, hasImages: (flags & IMAGES) !== 0, verified: (flags & VERIFIED) !== 0 },
      true,
    );
  }
  loaded.set(db.$client, cols);
  return cols;
}

/** The loaded columns, if this process has them, for a writer to keep up to date. */
export function loadedFacetColumns(db: Db): FacetColumns | undefined {
  return loaded.get(db.$client);
}
