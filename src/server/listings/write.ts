// Writing listings: create, edit, close, renew, delete and their images. Each change is one immediate transaction
// that also queues the listing for the search index; the cached navigation counts are dropped after it.
import { eq } from 'drizzle-orm';
import { listingImages, listings } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import { checkListingContent, storeFingerprint, type ContentVerdict } from '../content-rules/index.ts';
import type { Db } from '../db.ts';
import { ConflictError, ForbiddenError, GoneError, InvalidError, NotFoundError } from '../errors.ts';
import type { StoredImage } from '../media/index.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { slugify } from '../slug.ts';
import { getTaxonomy, type Taxonomy } from '../taxonomy/taxonomy.ts';
import { listingsChanged, type ListingPlace } from './changes.ts';
import { countChange, type CountedFields } from './counts.ts';
import { resolveListing, type ListingNote, type ListingValues } from './input.ts';
import { awaitsModerator, reviewReason } from './review.ts';

export type ListingRow = typeof listings.$inferSelect;
export const MAX_IMAGES = 8;
const DAY_MS = 86_400_000;

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The company the user posts for; without one there is nothing to post under. */
function postingCompany(db: Db | Tx, userId: string) {
  const company = findCompanyByOwner(db as Db, userId);
  if (!company) throw new ForbiddenError('posting.needCompany');
  if (company.suspendedAt !== null) throw new ForbiddenError('moderation.suspended');
  return company;
}

/** The listing, if it exists, is not deleted and belongs to the user's company. */
function ownListing(db: Db | Tx, userId: string, listingId: number): ListingRow {
  const listing = db.select().from(listings).where(eq(listings.id, listingId)).get();
  if (!listing) throw new NotFoundError(`listing ${listingId}`);
  const company = postingCompany(db, userId);
  if (listing.companyId !== company.id) throw new ForbiddenError('posting.notYours');
  if (listing.status === 'removed') throw new GoneError(`listing ${listingId}`);
  return listing;
}

/** The author-written values of a stored listing (the base an update patches). */
export function valuesOf(l: ListingRow): ListingValues {
  return {
    kind: l.kind,
    title: l.title,
    description: l.description,
    categoryId: l.categoryId,
    topCategoryId: l.topCategoryId,
    regionId: l.regionId,
    cityId: l.cityId,
    priceMin: l.priceMin,
    priceMax: l.priceMax,
    negotiable: l.negotiable,
    priceUnit: l.priceUnit,
    quantity: l.quantity,
    quantityUnit: l.quantityUnit,
    moq: l.moq,
    validityDays: l.validityDays,
    attributes: l.attributes,
  };
}

/** The content rules on resolved values (content-rules/): refuses with field errors, or gives the fingerprint. */
function checkContent(
  db: Db,
  taxonomy: Taxonomy,
  company: { id: number; verified: boolean },
  values: ListingValues,
  opts: { excludeId?: number; isNew: boolean; now: number },
): ContentVerdict {
  const categorySlugs = taxonomy.categories.path(values.categoryId).map((c) => c.slug);
  return checkListingContent(db, company, { title: values.title, description: values.description, attributes: values.attributes, categorySlugs }, opts);
}

const DUPLICATE_NOTE = 'moderation.note.possibleDuplicate';
const BATCH_NOTE = 'moderation.note.batch';

const placeColumns = {
  id: listings.id,
  companyId: listings.companyId,
  regionId: listings.regionId,
  categoryId: listings.categoryId,
  kind: listings.kind,
  status: listings.status,
  expiresAt: listings.expiresAt,
};

/**
 * Runs one change of a listing (`listingId` null for a new one): an immediate transaction that also queues it for
 * search, then the navigation counts adjusted, and word of where it was and is now for the page cache.
 */
function change(db: Db, listingId: number | null, now: number, fn: (tx: Tx) => ListingRow): ListingRow {
  let before: (ListingPlace & CountedFields) | undefined;
  const result = db.transaction(
    (tx) => {
      if (listingId !== null) before = tx.select(placeColumns).from(listings).where(eq(listings.id, listingId)).get();
      const r = fn(tx);
      enqueueSearchUpdate(tx, [r.id], now);
      return r;
    },
    { behavior: 'immediate' },
  );
  countChange(db, before, result);
  listingsChanged(db, before ? [before, result] : [result]);
  return result;
}

const isUniqueViolation = (e: unknown) =>
  e instanceof Error && (e as Error & { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/**
 * Publishes a new listing of the user's company: active from now for its validity (30 days unless chosen), or
 * pending when it must first pass a moderator (listings/review.ts); the validity then runs from the approval.
 */
export function createListing(
  db: Db,
  userId: string,
  input: unknown,
  now: number,
  opts: { importKey?: string; images?: readonly StoredImage[]; notes?: ListingNote[]; batchId?: number } = {},
): ListingRow {
  const company = postingCompany(db, userId);
  const taxonomy = getTaxonomy(db);
  const values = resolveListing(taxonomy, input, null, opts.notes);
  checkImageCount(opts.images);
  const verdict = checkContent(db, taxonomy, company, values, { isNew: true, now });
  const duplicate = verdict.duplicateOfOtherCompany !== null ? DUPLICATE_NOTE : null;
  // A listing of a bulk load under review (listings/upsert.ts) waits with its batch, whatever else would hold it.
  const review = opts.batchId !== undefined ? (duplicate ?? BATCH_NOTE) : (reviewReason(db, company) ?? duplicate);
  try {
    return change(db, null, now, (tx) => {
      const row = tx
        .insert(listings)
        .values({
          ...values,
          companyId: company.id,
          // What migration 0016's trigger would set after the insert: written here too, so the row returned is the row stored.
          companyOwned: company.ownerId !== null,
          slug: slugify(values.title),
          status: review ? 'pending' : 'active',
          createdAt: now,
          updatedAt: now,
          publishedAt: review ? null : now,
          expiresAt: review ? null : now + values.validityDays * DAY_MS,
          importKey: opts.importKey ?? null,
          moderationNote: review,
          batchId: opts.batchId ?? null,
        })
        .returning()
        .get();
      if (opts.images) writeImages(tx, row.id, opts.images, now);
      storeFingerprint(tx, row.id, verdict.fingerprint);
      return row;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError('posting.importKeyTaken', { importKey: 'posting.importKeyTaken' });
    throw e;
  }
}

/**
 * Edits a listing: the input patches only the fields it gives. The publication date stays (an edit does not move
 * a listing up; a renewal does); a new validity counts from now for a listing that is still running.
 */
export function updateListing(
  db: Db,
  userId: string,
  listingId: number,
  input: unknown,
  now: number,
  opts: { images?: readonly StoredImage[]; notes?: ListingNote[] } = {},
): ListingRow {
  checkImageCount(opts.images);
  return change(db, listingId, now, (tx) => {
    const listing = ownListing(tx, userId, listingId);
    if (opts.images) writeImages(tx, listingId, opts.images, now);
    const taxonomy = getTaxonomy(db);
    const values = resolveListing(taxonomy, input, valuesOf(listing), opts.notes);
    const company = postingCompany(tx, userId);
    const verdict = checkContent(db, taxonomy, company, values, { excludeId: listingId, isNew: false, now });
    storeFingerprint(tx, listingId, verdict.fingerprint);
    const running = listing.status === 'active' && listing.expiresAt !== null && listing.expiresAt > now;
    const expiresAt =
      running && values.validityDays !== listing.validityDays ? now + values.validityDays * DAY_MS : listing.expiresAt;
    // Only the columns that change: SQLite rewrites the entries of every index whose column is SET, changed or not.
    const next: Partial<ListingRow> = { ...values, slug: slugify(values.title), expiresAt };
    // Editing a rejected listing is how its owner answers the moderator: it goes back to the queue.
    if (listing.status === 'rejected') Object.assign(next, { status: 'pending', moderationNote: 'moderation.note.resubmitted' });
    else if (verdict.duplicateOfOtherCompany !== null && listing.status === 'active') Object.assign(next, { status: 'pending', moderationNote: DUPLICATE_NOTE });
    const changed = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(listing[k as keyof ListingRow])),
    );
    return tx
      .update(listings)
      .set({ ...changed, updatedAt: now })
      .where(eq(listings.id, listingId))
      .returning()
      .get()!;
  });
}

function setStatus(
  db: Db,
  userId: string,
  listingId: number,
  now: number,
  next: (l: ListingRow) => Partial<ListingRow>,
): ListingRow {
  return change(db, listingId, now, (tx) => {
    const listing = ownListing(tx, userId, listingId);
    // Renewing (or closing, then renewing) would publish past the moderator.
    if (awaitsModerator(listing.status)) throw new ForbiddenError('moderation.awaitingReview');
    return tx
      .update(listings)
      .set({ ...next(listing), updatedAt: now })
      .where(eq(listings.id, listingId))
      .returning()
      .get()!;
  });
}

/** The poster found a buyer or seller: the listing stays readable with a notice but leaves lists and search. */
export function closeListing(db: Db, userId: string, listingId: number, now: number): ListingRow {
  return setStatus(db, userId, listingId, now, () => ({ status: 'closed' }));
}

/** Publishes again for the listing's validity from now, at the top of "newest"; an expired or closed one too. */
export function renewListing(db: Db, userId: string, listingId: number, now: number): ListingRow {
  return setStatus(db, userId, listingId, now, (l) => ({
    status: 'active',
    publishedAt: now,
    expiresAt: now + l.validityDays * DAY_MS,
  }));
}

/**
 * Takes the listing down for good: its page answers 410 Gone; lists and search drop it. Its images are let go, so
 * the media cleanup can delete files nothing else uses.
 */
export function deleteListing(db: Db, userId: string, listingId: number, now: number): ListingRow {
  return change(db, listingId, now, (tx) => {
    ownListing(tx, userId, listingId);
    writeImages(tx, listingId, [], now);
    return tx.update(listings).set({ status: 'removed', updatedAt: now }).where(eq(listings.id, listingId)).returning().get()!;
  });
}

/** Replaces a listing's images by these, in this order (the first is the one lists show). */
export function setListingImages(
  db: Db,
  userId: string,
  listingId: number,
  images: readonly StoredImage[],
  now: number,
): ListingRow {
  checkImageCount(images);
  return change(db, listingId, now, (tx) => {
    ownListing(tx, userId, listingId);
    writeImages(tx, listingId, images, now);
    return tx.update(listings).set({ updatedAt: now }).where(eq(listings.id, listingId)).returning().get()!;
  });
}

function checkImageCount(images: readonly StoredImage[] | undefined): void {
  if (images && images.length > MAX_IMAGES) throw new InvalidError('too many images', { images: 'posting.imagesTooMany' });
}

function writeImages(tx: Tx, listingId: number, images: readonly StoredImage[], now: number): void {
  tx.delete(listingImages).where(eq(listingImages.listingId, listingId)).run();
  if (images.length === 0) return;
  tx.insert(listingImages)
    .values(images.map((img, position) => ({ listingId, position, hash: img.hash, width: img.width, height: img.height, createdAt: now })))
    .run();
}
