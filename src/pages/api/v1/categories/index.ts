// GET the category tree with each subcategory's attributes (public, ETag). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../../lib/api.ts';
import { categoriesApi } from '../../../../server/api/taxonomy.ts';

export const GET = apiRoute({ auth: false }, ({ db }) => categoriesApi(db));

export const HEAD = GET;

export const ALL = methodNotAllowed(['GET', 'HEAD']);
