// GET the token's company's listings (?mine=1, status, cursor) and POST a new listing (bearer token). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../../lib/api.ts';
import { createApiListing, listMyListingsApi } from '../../../../server/api/listings.ts';

export const GET = apiRoute({ auth: true }, ({ db, now, locale, url, principal }) =>
  listMyListingsApi(db, principal, url.searchParams, now, locale),
);

export const POST = apiRoute({ auth: true, body: 'json', status: 201 }, ({ db, now, locale, body, principal }) =>
  createApiListing(db, principal, body, now, locale),
);

export const ALL = methodNotAllowed(['GET', 'POST']);
