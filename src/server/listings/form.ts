// The posting form (new and edit): what it shows and what a submission does. Works without JavaScript: the
// category is chosen first (its attributes decide the rest of the form), and a submission with errors comes back
// with everything typed, including images already uploaded (carried in a hidden field so nobody uploads twice).
import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import type { Db } from '../db.ts';
import { ForbiddenError, GoneError, InvalidError, NotFoundError } from '../errors.ts';
import { imageFolder, isImageHash, type StoredImage } from '../media/index.ts';
import { forgetPendingUploads, pendingUploadsOf, recordPendingUploads } from '../media/pending.ts';
import { arrangeImages, ImageUploadError, roomForImages, storeImages, type ImageChoice, type PostedForm, type UploadedFile } from '../media/upload.ts';
import type { Category, Region, Taxonomy } from '../taxonomy/taxonomy.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { priceTypeOf, resolveListing } from './input.ts';
import { listingImagesOf } from './queries.ts';
import { createListing, MAX_IMAGES, updateListing, valuesOf, type ListingRow } from './write.ts';

export type FormValues = Record<string, string>;

/** One submission of the form, read from its multipart body. */
export interface ListingFormData {
  values: FormValues;
  /** Images the form ticked "remove" and the one chosen first. */
  choice: ImageChoice;
  files: UploadedFile[];
}

const LISTING_FIELDS = [
  'kind', 'category', 'region', 'title', 'description', 'priceType', 'price', 'priceMin', 'priceMax', 'priceUnit',
  'quantity', 'quantityUnit', 'moq', 'validityDays',
] as const;

/** Reads the posted form: text fields (the last value of a name), attribute fields, image choices and files. */
export function readListingForm(form: PostedForm): ListingFormData {
  const values: FormValues = Object.fromEntries(form.fields);
  const files: UploadedFile[] = form.files.filter((f) => f.field === 'images').map(({ name, bytes }) => ({ name, bytes }));
  const remove = form.fields.filter(([name]) => name === 'removeImages').map(([, value]) => value);
  const first = form.fields.find(([name]) => name === 'firstImage')?.[1] ?? null;
  return { values, choice: { remove, first }, files };
}

/**
 * The listing input of a form: the contract's fields, attributes from `attributes.<key>` fields, and only the price
 * fields of the chosen price type (a price typed before switching to 面议 is not an error).
 */
export function listingInputFromForm(values: FormValues): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const f of LISTING_FIELDS) if (f in values) input[f] = values[f];
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (name.startsWith('attributes.')) attributes[name.slice('attributes.'.length)] = value;
  }
  input.attributes = attributes;
  const type = values.priceType;
  if (type === 'single' || type === 'negotiable') {
    delete input.priceMin;
    delete input.priceMax;
  }
  if (type === 'range' || type === 'negotiable') delete input.price;
  return input;
}

/** Fen as the yuan amount a person types: 385 -> "3.85", 1200 -> "12". */
export function fenToYuan(fen: number): string {
  return fen % 100 === 0 ? String(fen / 100) : (fen / 100).toFixed(2);
}

/** A stored listing as the form's field values. */
export function formValuesOf(listing: ListingRow, taxonomy: Taxonomy): FormValues {
  const type = priceTypeOf(listing);
  const values: FormValues = {
    kind: listing.kind,
    category: taxonomy.categories.byId.get(listing.categoryId)?.slug ?? '',
    region: taxonomy.regions.byId.get(listing.regionId)?.slug ?? '',
    title: listing.title,
    description: listing.description,
    priceType: type,
    price: type === 'single' ? fenToYuan(listing.priceMin!) : '',
    priceMin: type === 'range' ? fenToYuan(listing.priceMin!) : '',
    priceMax: type === 'range' ? fenToYuan(listing.priceMax!) : '',
    priceUnit: listing.priceUnit,
    quantity: listing.quantity === null ? '' : String(listing.quantity),
    quantityUnit: listing.quantityUnit,
    moq: listing.moq === null ? '' : String(listing.moq),
    validityDays: String(listing.validityDays),
  };
  for (const [key, value] of Object.entries(listing.attributes)) values[`attributes.${key}`] = String(value);
  return values;
}

/** Industries with their subcategories, for a `<select>` with one optgroup per industry. */
export function categoryGroups(taxonomy: Taxonomy): { industry: Category; subcategories: Category[] }[] {
  return taxonomy.categories.roots.map((industry) => ({ industry, subcategories: taxonomy.categories.children(industry.id) }));
}

/** Cities with their counties, for a `<select>` with one optgroup per city (the city itself first). */
export function regionGroups(taxonomy: Taxonomy): { city: Region; counties: Region[] }[] {
  return taxonomy.regions.children(taxonomy.rootRegion.id).map((city) => ({ city, counties: taxonomy.regions.children(city.id) }));
}

function ownedListing(db: Db, userId: string, listingId: number): ListingRow {
  const listing = db.select().from(listings).where(eq(listings.id, listingId)).get();
  if (!listing) throw new NotFoundError(`listing ${listingId}`);
  const company = findCompanyByOwner(db, userId);
  if (!company || company.id !== listing.companyId) throw new ForbiddenError('posting.notYours');
  if (listing.status === 'removed') throw new GoneError(`listing ${listingId}`);
  return listing;
}

/** One of the user's own listings (for the edit form and the confirmation of an action). */
export function getOwnListing(db: Db, userId: string, listingId: number): ListingRow {
  return ownedListing(db, userId, listingId);
}

/**
 * What the form shows. `categoryRef` is the category picked in the first step (a slug); without one an edit keeps
 * its category and a new listing starts with the category step. `category` is null while none is chosen.
 */
export function getListingForm(db: Db, userId: string, listingId: number | null, categoryRef: string | null) {
  const taxonomy = getTaxonomy(db);
  const company = findCompanyByOwner(db, userId) ?? null;
  const listing = listingId === null ? null : ownedListing(db, userId, listingId);
  let category: Category | null = null;
  let categoryError: string | null = null;
  if (categoryRef) {
    const found = taxonomy.categories.bySlug.get(categoryRef);
    if (!found) categoryError = 'posting.categoryUnknown';
    else if (found.parentId === null) categoryError = 'posting.categoryNotSub';
    else category = found;
  } else if (listing) {
    category = taxonomy.categories.byId.get(listing.categoryId) ?? null;
  }
  const values: FormValues = listing
    ? formValuesOf(listing, taxonomy)
    : { kind: 'supply', priceType: 'negotiable', validityDays: '30', region: company ? (taxonomy.regions.byId.get(company.regionId)?.slug ?? '') : '' };
  if (category) values.category = category.slug;
  return {
    company,
    listing,
    category,
    categoryPath: category ? taxonomy.categories.path(category.id) : [],
    categoryError,
    values,
    images: listing ? listingImagesOf(db, listing.id) : [],
    categoryGroups: categoryGroups(taxonomy),
    regionGroups: regionGroups(taxonomy),
  };
}

export type ListingFormResult =
  | { ok: true; listing: ListingRow }
  | {
      ok: false;
      /** Field -> message key. */
      fields: Record<string, string>;
      /** Field -> the parameters of its message. */
      params: Record<string, Record<string, string | number>>;
      /** A refused upload, for its full sentence (it names the file). */
      uploadError: ImageUploadError | null;
      /** Images uploaded by this or an earlier failed submission, not yet part of the listing: sent back hidden. */
      keptImages: StoredImage[];
    };

/**
 * The hashes the hidden field carries back (at most a listing's worth, each once). Only hashes: which of them the
 * member may use, and their dimensions, come from our records (pendingUploadsOf), never from the form.
 */
export function parseKeptImages(raw: string | undefined): string[] {
  // A page rendered by an earlier release sends `hash:width:height`: the hash is taken, the rest ignored.
  const hashes = (raw ?? '').split(',').map((part) => part.split(':')[0]!.trim()).filter(isImageHash);
  return [...new Set(hashes)].slice(0, MAX_IMAGES);
}

export function keptImagesField(images: readonly StoredImage[]): string {
  return images.map((i) => i.hash).join(',');
}

/**
 * Saves a submission: a new listing (listingId null) or an edit of the user's own. Problems a person can fix come
 * back as field keys (nothing is written); a listing that is not theirs or is gone throws (403/404/410).
 */
export async function saveListingForm(
  db: Db,
  userId: string,
  listingId: number | null,
  form: ListingFormData,
  dataDir: string,
  now: number,
): Promise<ListingFormResult> {
  const taxonomy = getTaxonomy(db);
  const listing = listingId === null ? null : ownedListing(db, userId, listingId);
  if (!listing && !findCompanyByOwner(db, userId)) throw new ForbiddenError('posting.needCompany');
  const input = listingInputFromForm(form.values);
  const fields: Record<string, string> = {};
  const params: Record<string, Record<string, string | number>> = {};
  try {
    resolveListing(taxonomy, input, listing ? valuesOf(listing) : null);
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    Object.assign(fields, e.fields);
    Object.assign(params, e.fieldParams);
  }

  const stored = listing ? listingImagesOf(db, listing.id) : [];
  // Kept images: this member's own earlier uploads, still on disk (the cleanup may have taken an old one).
  const keptHashes = parseKeptImages(form.values.keptImages).filter((h) => !stored.some((s) => s.hash === h));
  const kept = pendingUploadsOf(db, userId, keptHashes).filter((k) => existsSync(imageFolder(dataDir, k.hash)));
  const existing = [...stored, ...kept];
  let added: StoredImage[] = [];
  let uploadError: ImageUploadError | null = null;
  try {
    added = await storeImages(form.files, dataDir, roomForImages(existing, form.choice, MAX_IMAGES));
  } catch (e) {
    if (!(e instanceof ImageUploadError)) throw e;
    uploadError = e;
    fields.images = e.problem;
  }
  const pending = [...kept, ...added.filter((a) => !kept.some((k) => k.hash === a.hash))];
  const fail = () => {
    const keptImages = pending.filter((p) => !stored.some((s) => s.hash === p.hash));
    recordPendingUploads(db, userId, keptImages, now);
    return { ok: false as const, fields, params, uploadError, keptImages };
  };
  if (Object.keys(fields).length > 0) return fail();

  try {
    const images = arrangeImages(existing, form.choice, added, MAX_IMAGES);
    const row = listing
      ? updateListing(db, userId, listing.id, input, now, { images })
      : createListing(db, userId, input, now, { images });
    forgetPendingUploads(db, userId, pending.map((p) => p.hash));
    return { ok: true, listing: row };
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    if (e instanceof ImageUploadError) uploadError = e;
    Object.assign(fields, e.fields);
    Object.assign(params, e.fieldParams);
    return fail();
  }
}

