// Create-or-update by the company's own reference (listings.import_key): the one write behind the CSV import and the
// API's bulk endpoint. An item is the whole listing; sending it again unchanged changes nothing (so a retry is
// harmless), a changed item updates its listing in place, a new reference creates one. A batch is one immediate
// transaction; each item's write is a savepoint inside it, so a refused item leaves the others in place. The new
// listings of an unverified company's bulk load wait for review as one batch (BulkLoad).
import { and, eq, inArray, sql } from 'drizzle-orm';
import { BATCH_SOURCES, listingBatches, listings } from '../../../db/schema.ts';
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

/**
 * One bulk load (a CSV file, an API call) of an unverified company, reviewed as one batch: the new listings it
 * creates wait in `pending` with the batch's id (moderation/batches.ts decides them together or one by one). The
 * caller keeps this object across its chunks; the batch row is made with the first listing created.
 */
export interface BulkLoad {
  source: (typeof BATCH_SOURCES)[number];
  batchId: number | null;
}

/** Writes one batch (keys unique within it) in one transaction; one outcome per item, in order. */
export function upsertListings(db: Db, userId: string, items: readonly UpsertItem[], now: number, load?: BulkLoad): UpsertOutcome[] {
  const company = upsertCompany(db, userId);
  const taxonomy = getTaxonomy(db);
  // Verified companies publish at once, as with the form.
  const reviewed = load !== undefined && !company.verified;
  const batchFor = () => {
    load!.batchId ??= db.insert(listingBatches).values({ companyId: company.id, source: load!.source, createdAt: now }).returning({ id: listingBatches.id }).get().id;
    return load!.batchId;
  };
  return db.transaction(
    () => {
      let created = 0;
      const existing = new Map(
        db
          .select()
          .from(listings)
          .where(and(eq(listings.companyId, company.id), inArray(listings.importKey, items.map((i) => i.key))))
          .all()
          .map((l) => [l.importKey!, l]),
      );
      const outcomes = items.map(({ key, input }): UpsertOutcome => {
        const notes: ListingNote[] = [];
        try {
          const stored = existing.get(key);
          if (!stored) {
            const listing = createListing(db, userId, input, now, { importKey: key, notes, ...(reviewed ? { batchId: batchFor() } : {}) });
            existing.set(key, listing);
            created++;
            return { status: 'created', listing, notes };
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
      if (reviewed && load.batchId !== null) {
        if (created > 0) db.update(listingBatches).set({ items: sql`${listingBatches.items} + ${created}` }).where(eq(listingBatches.id, load.batchId)).run();
        else if (db.select({ items: listingBatches.items }).from(listingBatches).where(eq(listingBatches.id, load.batchId)).get()?.items === 0) {
          // Every item of the first chunk was refused: no batch is left behind empty.
          db.delete(listingBatches).where(eq(listingBatches.id, load.batchId)).run();
          load.batchId = null;
        }
      }
      return outcomes;
    },
    { behavior: 'immediate' },
  );
}
