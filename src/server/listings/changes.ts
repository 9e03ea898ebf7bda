// Who hears that listings changed, right after the change commits: the page cache drops exactly the pages that show
// them. A listing is named with where it sits (ancestors included), before and after a move, so the lists it left
// are dropped too.
import type { Db } from '../db.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';

export interface ListingPlace {
  id: number;
  companyId: number;
  regionId: number;
  categoryId: number;
}

export interface ChangedListing {
  id: number;
  companyId: number;
  /** The listing's region and its ancestors, the province first. */
  regionIds: number[];
  /** The listing's category and its ancestors, the industry first. */
  categoryIds: number[];
}

/** Listings that changed, or 'all' when too much changed to name (demo data, a company's name or badge). */
export type ListingChanges = ChangedListing[] | 'all';
type Listener = (changes: ListingChanges) => void;

const listeners = new Set<Listener>();

export function onListingsChanged(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Call after the transaction that made the change has committed. */
export function listingsChanged(db: Db, changed: ListingPlace[] | 'all'): void {
  if (changed !== 'all' && changed.length === 0) return;
  const { regions, categories } = getTaxonomy(db);
  const changes: ListingChanges =
    changed === 'all'
      ? 'all'
      : changed.map((l) => ({
          id: l.id,
          companyId: l.companyId,
          regionIds: regions.path(l.regionId).map((r) => r.id),
          categoryIds: categories.path(l.categoryId).map((c) => c.id),
        }));
  for (const listener of listeners) listener(changes);
}
