// GET (public), PATCH and DELETE (bearer token) of one listing. See docs/api.md.
import { apiRoute, idParam, methodNotAllowed } from '../../../../lib/api.ts';
import { deleteApiListing, getApiListing, updateApiListing } from '../../../../server/api/listings.ts';

export const GET = apiRoute({ auth: false }, ({ db, now, locale, params }) => getApiListing(db, idParam(params), now, locale));

export const HEAD = GET;

export const PATCH = apiRoute({ auth: true, body: 'json' }, ({ db, now, locale, params, body, principal }) =>
  updateApiListing(db, principal, idParam(params), body, now, locale),
);

export const DELETE = apiRoute({ auth: true }, ({ db, now, params, principal }) =>
  deleteApiListing(db, principal, idParam(params), now),
);

export const ALL = methodNotAllowed(['GET', 'HEAD', 'PATCH', 'DELETE']);
