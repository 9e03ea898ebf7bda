// The listing use cases of the JSON API: each reads or writes through the same functions as the site's pages and
// forms, then answers the listing in its JSON shape.
import type { ApiPrincipal } from '../api-tokens/index.ts';
import type { Db } from '../db.ts';
import { GoneError, NotFoundError } from '../errors.ts';
import { translator, type Locale, type MessageKey } from '../i18n/index.ts';
import type { ListingNote } from '../listings/input.ts';
import { findListing } from '../listings/queries.ts';
import { visibility } from '../listings/rules.ts';
import { createListing, deleteListing, updateListing } from '../listings/write.ts';
import { listingJson, type ListingJson } from './listing-json.ts';

/** Public: live, expired and closed listings answer with their status; removed ones are gone; drafts do not exist. */
export function getApiListing(db: Db, id: number, now: number, locale: Locale): ListingJson {
  const listing = findListing(db, id);
  const state = listing ? visibility(listing, now) : 'hidden';
  if (!listing || state === 'hidden') throw new NotFoundError(`listing ${id}`);
  if (state === 'gone') throw new GoneError(`listing ${id}`);
  return listingJson(db, listing, locale, now);
}

/** What the API decided about a value the caller should know of, e.g. which region a bare name was read as. */
export interface ApiNotice {
  field: string;
  message: string;
}

export type ApiListingAnswer = ListingJson & { notices?: ApiNotice[] };

export function noticesJson(notes: ListingNote[], locale: Locale): ApiNotice[] {
  const t = translator(locale);
  return notes.map((n) => ({ field: n.field, message: t(n.key as MessageKey, n.params) }));
}

function withNotices(json: ListingJson, notes: ListingNote[], locale: Locale): ApiListingAnswer {
  return notes.length > 0 ? { ...json, notices: noticesJson(notes, locale) } : json;
}

/** Publishes a listing for the token's company, validated exactly as the posting form. */
export function createApiListing(db: Db, principal: ApiPrincipal, input: unknown, now: number, locale: Locale): ApiListingAnswer {
  const notes: ListingNote[] = [];
  return withNotices(listingJson(db, createListing(db, principal.userId, input, now, { notes }), locale, now), notes, locale);
}

/** Patches only the fields the body gives. */
export function updateApiListing(db: Db, principal: ApiPrincipal, id: number, input: unknown, now: number, locale: Locale): ApiListingAnswer {
  const notes: ListingNote[] = [];
  return withNotices(listingJson(db, updateListing(db, principal.userId, id, input, now, { notes }), locale, now), notes, locale);
}

/** Takes the listing down for good; its page and GET answer 410 from now on. */
export function deleteApiListing(db: Db, principal: ApiPrincipal, id: number, now: number): null {
  deleteListing(db, principal.userId, id, now);
  return null;
}
