// GET the region tree (public, ETag). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../lib/api.ts';
import { regionsApi } from '../../../server/api/taxonomy.ts';

export const GET = apiRoute({ auth: false }, ({ db }) => regionsApi(db));

export const HEAD = GET;

export const ALL = methodNotAllowed(['GET', 'HEAD']);
