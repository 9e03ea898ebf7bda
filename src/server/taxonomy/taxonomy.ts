// Regions and categories: small, read on every page, so they are held in memory as a tree built from SQLite.
import { asc } from 'drizzle-orm';
import { categories, regions } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

export type Region = typeof regions.$inferSelect;
export type Category = typeof categories.$inferSelect;

interface Node {
  id: number;
  parentId: number | null;
  slug: string;
}

/** A forest with lookups by id and slug, children in order, and ancestor paths. */
export class Tree<T extends Node> {
  readonly byId = new Map<number, T>();
  readonly bySlug = new Map<string, T>();
  private readonly childIds = new Map<number | null, number[]>();

  constructor(nodes: T[]) {
    for (const n of nodes) {
      this.byId.set(n.id, n);
      this.bySlug.set(n.slug, n);
      const siblings = this.childIds.get(n.parentId) ?? [];
      siblings.push(n.id);
      this.childIds.set(n.parentId, siblings);
    }
  }

  get roots(): T[] {
    return this.children(null);
  }

  children(id: number | null): T[] {
    return (this.childIds.get(id) ?? []).map((c) => this.byId.get(c)!);
  }

  /** From the root down to the node itself. */
  path(id: number): T[] {
    const out: T[] = [];
    for (let n = this.byId.get(id); n; n = n.parentId === null ? undefined : this.byId.get(n.parentId)) out.unshift(n);
    return out;
  }
}

export interface Taxonomy {
  regions: Tree<Region>;
  categories: Tree<Category>;
  /** The region whose listings the site serves (the province). */
  rootRegion: Region;
}

export function buildTaxonomy(regionRows: Region[], categoryRows: Category[]): Taxonomy {
  const regionTree = new Tree(regionRows);
  const rootRegion = regionTree.roots[0];
  if (!rootRegion) throw new Error('No regions are loaded: seed the reference data first.');
  return { regions: regionTree, categories: new Tree(categoryRows), rootRegion };
}

const cache = new WeakMap<Db, Taxonomy>();

/** The taxonomy of this database, read once; reference data changes only through seedTaxonomy, which resets it. */
export function getTaxonomy(db: Db): Taxonomy {
  let t = cache.get(db);
  if (!t) {
    const regionRows = db.select().from(regions).orderBy(asc(regions.id)).all();
    const categoryRows = db.select().from(categories).orderBy(asc(categories.parentId), asc(categories.position)).all();
    t = buildTaxonomy(regionRows, categoryRows);
    cache.set(db, t);
  }
  return t;
}

export function forgetTaxonomy(db: Db): void {
  cache.delete(db);
}
