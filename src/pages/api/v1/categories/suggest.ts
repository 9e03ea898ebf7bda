// GET the three most likely subcategories for a title (public). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../../lib/api.ts';
import { categorySuggestApi } from '../../../../server/api/category-suggest.ts';

export const GET = apiRoute({ auth: false }, ({ db, now, url }) => categorySuggestApi(db, url.searchParams, now));

export const ALL = methodNotAllowed(['GET']);
