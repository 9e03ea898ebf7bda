// The listing use cases of the JSON API: each reads or writes through the same functions as the site's pages and
// forms, then answers the listing in its JSON shape.
import type { ApiPrincipal } from '../api-tokens/index.ts';
import type { Db } from '../db.ts';
import { GoneError, InvalidError, NotFoundError } from '../errors.ts';
import { translator, type Locale, type MessageKey } from '../i18n/index.ts';
import type { ListingNote } from '../listings/input.ts';
import { z } from 'zod';
import { fillMissingCategory } from '../category-suggest/index.ts';
import { LISTING_STATUSES } from '../../../db/schema.ts';
import { findListing } from '../listings/queries.ts';
import { ownListingsPage } from '../listings/own.ts';
import { parseInput } from '../validation.ts';
import { visibility } from '../listings/rules.ts';
import { createListing, deleteListing, updateListing } from '../listings/write.ts';
import { listingJson, listingsJson, type ListingJson } from './listing-json.ts';
import type { ApiListingAnswer, ApiNotice, MineAnswer } from './schemas.ts';

/** Public: live, expired and closed listings answer with their status; removed ones are gone; drafts do not exist. */
export function getApiListing(db: Db, id: number, now: number, locale: Locale): ListingJson {
  const listing = findListing(db, id);
  const state = listing ? visibility(listing, now) : 'hidden';
  if (!listing || state === 'hidden') throw new NotFoundError(`listing ${id}`);
  if (state === 'gone') throw new GoneError(`listing ${id}`);
  return listingJson(db, listing, locale, now);
}


export function noticesJson(notes: ListingNote[], locale: Locale): ApiNotice[] {
  const t = translator(locale);
  return notes.map((n) => ({ field: n.field, message: t(n.key as MessageKey, n.params) }));
}

function withNotices(json: ListingJson, notes: ListingNote[], locale: Locale): ApiListingAnswer {
  return notes.length > 0 ? { ...json, notices: noticesJson(notes, locale) } : json;
}

/** Publishes a listing for the token's company, validated exactly as the posting form. */
export async function createApiListing(db: Db, principal: ApiPrincipal, input: unknown, now: number, locale: Locale): Promise<ApiListingAnswer> {
  const notes: ListingNote[] = [];
  const filled = await fillMissingCategory(db, input, now, notes);
  return withNotices(listingJson(db, createListing(db, principal.userId, filled, now, { notes }), locale, now), notes, locale);
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

export const MINE_MAX_LIMIT = 500;
const MINE_DEFAULT_LIMIT = 100;

/** The query of GET /api/v1/listings (the OpenAPI document is generated from it). */
export const mineQuerySchema = z.object({
  mine: z.literal('1', { error: 'api.listings.mineRequired' }).meta({ description: "Required: your company's own listings (the token's)" }),
  status: z
    .enum(LISTING_STATUSES, { error: 'api.listings.statusInvalid' })
    .optional()
    .meta({ description: 'Only this status (expired includes active listings past their expiry); every status when left out' }),
  cursor: z
    .string({ error: 'api.listings.cursorInvalid' })
    .regex(/^[1-9]\d{0,14}$/, 'api.listings.cursorInvalid')
    .optional()
    .meta({ description: "The previous page's cursor; follow next rather than building it" }),
  limit: z
    .string({ error: 'api.listings.limitInvalid' })
    .regex(/^\d{1,4}$/, 'api.listings.limitInvalid')
    .transform(Number)
    .refine((n) => n >= 1 && n <= MINE_MAX_LIMIT, 'api.listings.limitInvalid')
    .optional()
    .meta({ description: `Listings per page, 1-${MINE_MAX_LIMIT} (${MINE_DEFAULT_LIMIT} when left out)` }),
});


/** The token's company's listings, all statuses or one, in id order, a page at a time (keyset cursor). */
export function listMyListingsApi(db: Db, principal: ApiPrincipal, query: URLSearchParams, now: number, locale: Locale): MineAnswer {
  const raw = Object.fromEntries([...query].filter(([k]) => ['mine', 'status', 'cursor', 'limit'].includes(k)));
  let q: z.infer<typeof mineQuerySchema>;
  try {
    q = parseInput(mineQuerySchema, raw);
  } catch (e) {
    if (e instanceof InvalidError) {
      if (e.fields.limit) e.fieldParams.limit = { max: MINE_MAX_LIMIT };
      if (e.fields.status) e.fieldParams.status = { values: LISTING_STATUSES.join(', ') };
    }
    throw e;
  }
  const page = ownListingsPage(db, principal.companyId, {
    status: q.status,
    afterId: q.cursor === undefined ? 0 : Number(q.cursor),
    limit: q.limit ?? MINE_DEFAULT_LIMIT,
    now,
  });
  const cursor = page.nextAfter === null ? null : String(page.nextAfter);
  const next = cursor === null ? null : `/api/v1/listings?${new URLSearchParams({ ...raw, cursor })}`;
  return {
    items: listingsJson(db, page.listings, locale, now).map((json, i) => ({ ...json, ref: page.listings[i]!.importKey })),
    cursor,
    next,
  };
}
