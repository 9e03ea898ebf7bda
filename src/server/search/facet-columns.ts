// The facet values of every indexed listing in typed arrays indexed by listing id, so counting the facets of a
// match is a pass over its keys in JS instead of a join and GROUP BY in SQLite per match (45,000 matches: about 5 ms
// against 50-150 ms). About 17 bytes per listing id (17 MB at a million). A generation number in search_meta, bumped
// with every change to the index, tells a process when another one (the reindex CLI) changed it: it then reloads.
import type { Db } from '../db.ts';

const KINDS = ['supply', 'demand'] as const;

export class FacetColumns {
  kind = new Uint8Array(0);
  city = new Int32Array(0);
  region = new Int32Array(0);
  top = new Int32Array(0);
  cat = new Int32Array(0);

  constructor(public generation: number) {}

  private grow(id: number): void {
    if (id < this.kind.length) return;
    const size = Math.max(1024, id + 1, this.kind.length * 2);
    const grown = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.kind = grown(this.kind, (n) => new Uint8Array(n));
    this.city = grown(this.city, (n) => new Int32Array(n));
    this.region = grown(this.region, (n) => new Int32Array(n));
    this.top = grown(this.top, (n) => new Int32Array(n));
    this.cat = grown(this.cat, (n) => new Int32Array(n));
  }

  set(id: number, row: { kind: string; city: number; region: number; top: number; cat: number }): void {
    this.grow(id);
    this.kind[id] = KINDS.indexOf(row.kind as (typeof KINDS)[number]) + 1;
    this.city[id] = row.city;
    this.region[id] = row.region;
    this.top[id] = row.top;
    this.cat[id] = row.cat;
  }

  remove(id: number): void {
    if (id < this.kind.length) this.kind[id] = 0;
  }

  kindName(id: number): string | undefined {
    const k = this.kind[id];
    return k ? KINDS[k - 1] : undefined;
  }
}

const loaded = new WeakMap<object, FacetColumns>();

export function generationOf(db: Db): number {
  const row = db.$client.prepare("SELECT value FROM search_meta WHERE key = 'generation'").get() as { value: string } | undefined;
  return Number(row?.value ?? 0);
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
