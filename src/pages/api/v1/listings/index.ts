// POST a new listing (bearer token). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../../lib/api.ts';
import { createApiListing } from '../../../../server/api/listings.ts';

export const POST = apiRoute({ auth: true, body: 'json', status: 201 }, ({ db, now, locale, body, principal }) =>
  createApiListing(db, principal, body, now, locale),
);

export const ALL = methodNotAllowed(['POST']);
