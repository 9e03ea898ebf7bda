// The data behind a listing's own page.
import type { Db } from '../db.ts';
import { GoneError, NotFoundError } from '../errors.ts';
import { findCompanyById } from '../companies/queries.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { latestListings, findListing, listingImagesOf, similarListings } from './queries.ts';
import { visibility } from './rules.ts';
import { pendingViews } from './views.ts';

const MORE_FROM_COMPANY = 6;
/**
 * A live listing shows this many live listings of other companies like it (相关推荐); an expired or closed one still
 * answers and points the reader on to as many live listings like it.
 */
const SIMILAR = 8;

export function getListingPage(db: Db, id: number, now: number) {
  const listing = findListing(db, id);
  const state = listing ? visibility(listing, now) : 'hidden';
  if (!listing || state === 'hidden') throw new NotFoundError(`listing ${id}`);
  if (state === 'gone') throw new GoneError(`listing ${id}`);
  const company = findCompanyById(db, listing.companyId);
  if (!company) throw new NotFoundError(`company of listing ${id}`);
  const taxonomy = getTaxonomy(db);
  return {
    listing,
    state,
    company,
    companyRegionPath: taxonomy.regions.path(company.regionId),
    regionPath: taxonomy.regions.path(listing.regionId),
    categoryPath: taxonomy.categories.path(listing.categoryId),
    attributes: taxonomy.categories.byId.get(listing.categoryId)?.attributes ?? [],
    images: listingImagesOf(db, id),
    moreFromCompany: latestListings(db, { companyId: company.id, excludeId: id }, MORE_FROM_COMPANY, now),
    similar: similarListings(db, listing, SIMILAR, now, { otherCompanies: state === 'live' }),
    /** Views written so far and those counted since the last write. */
    views: listing.views + pendingViews(listing.id),
  };
}
