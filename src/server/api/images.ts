// A listing's images through the API: upload (the same checks and sharp pipeline as the posting form: decoded,
// checked, stripped, re-encoded to WebP), delete one, put them in a new order. An image's id is its content hash, as
// the listing's `images` answer it.
import type { ApiPrincipal } from '../api-tokens/index.ts';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';
import { getOwnListing } from '../listings/form.ts';
import { listingImagesOf } from '../listings/queries.ts';
import { MAX_IMAGES, setListingImages, type ListingRow } from '../listings/write.ts';
import { arrangeImages, storeImages, type UploadedFile } from '../media/upload.ts';
import { listingJson } from './listing-json.ts';
import type { ImagesAnswer } from './schemas.ts';


const answer = (db: Db, listing: ListingRow, locale: Locale, now: number): ImagesAnswer => ({
  images: listingJson(db, listing, locale, now).images,
});

/** Adds the uploaded files after the listing's images (at most 8 in all); one refused file stores none of them. */
export async function addListingImagesApi(
  db: Db,
  principal: ApiPrincipal,
  listingId: number,
  files: UploadedFile[],
  dataDir: string,
  now: number,
  locale: Locale,
): Promise<ImagesAnswer> {
  // Ownership first: nothing is decoded for someone else's listing.
  getOwnListing(db, principal.userId, listingId);
  if (files.length === 0) throw new InvalidError('no image', { images: 'api.images.none' });
  const existing = listingImagesOf(db, listingId);
  const added = await storeImages(files, dataDir, MAX_IMAGES - existing.length);
  const listing = setListingImages(db, principal.userId, listingId, arrangeImages(existing, {}, added, MAX_IMAGES), now);
  return answer(db, listing, locale, now);
}

/** Removes one image (by its id) from the listing. */
export function deleteListingImageApi(db: Db, principal: ApiPrincipal, listingId: number, imageId: string, now: number, locale: Locale): ImagesAnswer {
  getOwnListing(db, principal.userId, listingId);
  const existing = listingImagesOf(db, listingId);
  if (!existing.some((i) => i.hash === imageId)) throw new InvalidError('unknown image', { image: 'api.images.unknown' });
  const listing = setListingImages(db, principal.userId, listingId, arrangeImages(existing, { remove: [imageId] }, [], MAX_IMAGES), now);
  return answer(db, listing, locale, now);
}

/** Puts the listing's images in the given order: every image id exactly once; the first is the one lists show. */
export function reorderListingImagesApi(db: Db, principal: ApiPrincipal, listingId: number, body: Record<string, unknown>, now: number, locale: Locale): ImagesAnswer {
  getOwnListing(db, principal.userId, listingId);
  const existing = listingImagesOf(db, listingId);
  const order = body.order;
  const byId = new Map(existing.map((i) => [i.hash, i]));
  const valid =
    Array.isArray(order) &&
    order.length === existing.length &&
    new Set(order).size === order.length &&
    order.every((id) => typeof id === 'string' && byId.has(id));
  if (!valid) throw new InvalidError('bad order', { order: 'api.images.orderInvalid' });
  const listing = setListingImages(db, principal.userId, listingId, (order as string[]).map((id) => byId.get(id)!), now);
  return answer(db, listing, locale, now);
}
