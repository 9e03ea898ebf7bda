// GET categories, listing titles and companies for what has been typed so far (public; the header's search box).
import { apiRoute, methodNotAllowed } from '../../../lib/api.ts';
import { typeaheadApi } from '../../../server/api/search.ts';

export const GET = apiRoute({ auth: false }, ({ db, locale, url }) => typeaheadApi(db, url.searchParams, locale));

export const ALL = methodNotAllowed(['GET']);
