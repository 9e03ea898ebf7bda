// POST images to a listing (multipart) and PUT their order (bearer token). See docs/api.md.
import { apiRoute, idParam, methodNotAllowed } from '../../../../../../lib/api.ts';
import { addListingImagesApi, reorderListingImagesApi } from '../../../../../../server/api/images.ts';
import { config } from '../../../../../../server/config.ts';

export const POST = apiRoute({ auth: true, body: 'files' }, ({ db, now, locale, params, files, principal }) =>
  addListingImagesApi(db, principal, idParam(params), files!, config().dataDir, now, locale),
);

export const PUT = apiRoute({ auth: true, body: 'json' }, ({ db, now, locale, params, body, principal }) =>
  reorderListingImagesApi(db, principal, idParam(params), body!, now, locale),
);

export const ALL = methodNotAllowed(['POST', 'PUT']);
