// The dashboard's quick actions on one listing, by name, as the confirmation page and its POST use them.
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { closeListing, deleteListing, renewListing, type ListingRow } from './write.ts';

export const LISTING_ACTIONS = {
  close: { run: closeListing, done: 'closed' },
  renew: { run: renewListing, done: 'renewed' },
  delete: { run: deleteListing, done: 'deleted' },
} as const;
export type ListingAction = keyof typeof LISTING_ACTIONS;

export function parseAction(raw: string | undefined): ListingAction | null {
  return raw !== undefined && Object.hasOwn(LISTING_ACTIONS, raw) ? (raw as ListingAction) : null;
}

/** Runs a named action on the user's own listing; returns the listing and the flash word for the dashboard. */
export function runListingAction(db: Db, userId: string, listingId: number, action: string | undefined, now: number) {
  const name = parseAction(action);
  if (!name) throw new NotFoundError(`action ${action}`);
  const listing: ListingRow = LISTING_ACTIONS[name].run(db, userId, listingId, now);
  return { listing, done: LISTING_ACTIONS[name].done };
}
