// DELETE one image of a listing (bearer token). See docs/api.md.
import { apiRoute, idParam, methodNotAllowed } from '../../../../../../lib/api.ts';
import { deleteListingImageApi } from '../../../../../../server/api/images.ts';

export const DELETE = apiRoute({ auth: true }, ({ db, now, locale, params, principal }) =>
  deleteListingImageApi(db, principal, idParam(params), params.image ?? '', now, locale),
);

export const ALL = methodNotAllowed(['DELETE']);
