// Create-or-update by the company's own reference (listings.import_key): the one write behind the CSV import and the
// API's bulk endpoint. An item is the whole listing; sending it again unchanged changes nothing (so a retry is
// harmless), a changed item updates its listing in place, a new reference creates one. A batch is one immediate
// transaction; each item's write is a savepoint inside it, so a refused item leaves the others in place.
import { and, eq, inArray } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import type { Db } from '../db.ts';
import { ConflictError, ForbiddenError, GoneError, InvalidError, NotFoundError } from '../errors.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { resolveListing, type ListingNote, type ListingValues } from './input.ts';
import { createListing, updateListing, type ListingRow } from './write.ts';

export interface UpsertItem {
  /** The company's own reference of the listing. */
  key: string;
  input: unknown;
}

export type UpsertOutcome =
  | { status: 'created' | 'updated' | 'unchanged'; listing: ListingRow; notes: ListingNote[] }
  | { status: 'error'; fields: Record<string, string>; params: Record<string, Record<string, string | number>> };

const CONTENT_KEYS: (keyof ListingValues)[] = [
  'kind',
  'title',
  'description',
  'categoryId',
  'regionId',
  'priceMin',
  'priceMax',
  'negotiable',
  'priceUnit',
  'quantity',
  'quantityUnit',
  'moq',
  'validityDays',
  'attributes',
];

function sameContent(a: ListingValues, b: ListingRow): boolean {
  return CONTENT_KEYS.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

/** The company the user writes for; without one there is nothing to import into. */
export function upsertCompany(db: Db, userId: string) {
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('posting.needCompany');
  return company;
}

/** Writes one batch (keys unique within it) in one transaction; one outcome per item, in order. */
export function upsertListings(db: Db, userId: string, items: readonly UpsertItem[], now: number): UpsertOutcome[] {
  const company = upsertCompany(db, userId);
  const taxonomy = getTaxonomy(db);
  return db.transaction(
    () => {
      const existing = new Map(
        db
          .select()
          .from(listings)
          .where(and(eq(listings.companyId, company.id), inArray(listings.importKey, items.map((i) => i.key))))
          .all()
          .map((l) => [l.importKey!, l]),
      );
      return items.map(({ key, input }): UpsertOutcome => {
        const notes: ListingNote[] = [];
        try {
          const stored = existing.get(key);
          if (!stored) {
            const created = createListing(db, userId, input, now, { importKey: key, notes });
            existing.set(key, created);
            return { status: 'created', listing: created, notes };
          }
          if (stored.status === 'removed') throw new GoneError(`listing ${stored.id}`);
          if (sameContent(resolveListing(taxonomy, input, null, notes), stored)) return { status: 'unchanged', listing: stored, notes };
          const updated = updateListing(db, userId, stored.id, input, now);
          existing.set(key, updated);
          return { status: 'updated', listing: updated, notes };
        } catch (e) {
          if (e instanceof InvalidError) return { status: 'error', fields: e.fields, params: e.fieldParams };
          if (e instanceof GoneError || e instanceof NotFoundError) return { status: 'error', fields: { ref: 'import.listingRemoved' }, params: {} };
          if (e instanceof ConflictError) return { status: 'error', fields: { ref: e.message }, params: {} };
          throw e;
        }
      });
    },
    { behavior: 'immediate' },
  );
}
