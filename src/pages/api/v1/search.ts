// GET one page of live listings matching a query and filters, with facet counts (public). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../lib/api.ts';
import { searchListingsApi } from '../../../server/api/search.ts';

export const GET = apiRoute({ auth: false }, ({ db, now, locale, url }) => searchListingsApi(db, url.searchParams, now, locale));

export const ALL = methodNotAllowed(['GET']);
