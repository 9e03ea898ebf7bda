// The facet values of every indexed listing in typed arrays indexed by listing id, so counting the facets of a
// match is a pass over its ids in JS instead of a join and GROUP BY in SQLite per match (45,000 matches: under a
// millisecond per group, against 50-150 ms). Each column stores a small code per listing (its values in a table), so
// counting is incrementing an array. About 10 bytes per listing id (10 MB at a million). A generation number in
// search_meta, bumped with every change to the index, tells a process when another one (the reindex CLI) changed
// it: it then reads them again.
import type Database from 'better-sqlite3';
import type { Db } from '../db.ts';

/** One facet's values: a code per listing id (0: none) and the value of each code. */
export class Column<V extends string | number> {
  codes = new Uint16Array(0);
  readonly values: V[] = [];
  private readonly codeOf = new Map<V, number>();

  set(id: number, value: V): void {
    if (id >= this.codes.length) {
      const grown = new Uint16Array(Math.max(1024, id + 1, this.codes.length * 2));
      grown.set(this.codes);
      this.codes = grown;
    }
    let code = this.codeOf.get(value);
    if (code === undefined) {
      this.values.push(value);
      this.codeOf.set(value, (code = this.values.length));
    }
    this.codes[id] = code;
  }

  clear(id: number): void {
    if (id < this.codes.length) this.codes[id] = 0;
  }

  has(id: number): boolean {
    return (this.codes[id] ?? 0) !== 0;
  }

  /** Counts by value over the ids. */
  count(ids: ArrayLike<number>): Record<string, number> {
    const n = new Uint32Array(this.values.length + 1);
    const codes = this.codes;
    for (let i = 0; i < ids.length; i++) n[codes[ids[i]!] ?? 0]!++;
    const out: Record<string, number> = {};
    for (let c = 1; c < n.length; c++) if (n[c]! > 0) out[String(this.values[c - 1])] = n[c]!;
    return out;
  }
}

export interface FacetRow {
  kind: string;
  city: number;
  region: number;
  top: number;
  cat: number;
}

export class FacetColumns {
  readonly kind = new Column<string>();
  readonly city = new Column<number>();
  readonly region = new Column<number>();
  readonly top = new Column<number>();
  readonly cat = new Column<number>();

  /** How many listings the index holds (expired ones not yet swept included). */
  size = 0;

  constructor(public generation: number) {}

  set(id: number, row: FacetRow): void {
    if (!this.kind.has(id)) this.size++;
    this.kind.set(id, row.kind);
    this.city.set(id, row.city);
    this.region.set(id, row.region);
    this.top.set(id, row.top);
    this.cat.set(id, row.cat);
  }

  remove(id: number): void {
    if (this.kind.has(id)) this.size--;
    for (const c of [this.kind, this.city, this.region, this.top, this.cat]) c.clear(id);
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

/** The columns of this database's index, read again when another process changed it. */
export function facetColumns(db: Db): FacetColumns {
  const generation = generationOf(db);
  let cols = loaded.get(db.$client);
  if (cols?.generation === generation) return cols;
  cols = new FacetColumns(generation);
  const rows = db.$client.prepare('SELECT id, kind, city, region, top, cat FROM search_rows').raw().iterate() as Iterable<[number, string, number, number, number, number]>;
  for (const [id, kind, city, region, top, cat] of rows) cols.set(id, { kind, city, region, top, cat });
  loaded.set(db.$client, cols);
  return cols;
}

/** The loaded columns, if this process has them, for a writer to keep up to date. */
export function loadedFacetColumns(db: Db): FacetColumns | undefined {
  return loaded.get(db.$client);
}
