// GET the company's inquiries (bearer token; paged, `since=`). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../../lib/api.ts';
import { listApiInquiries } from '../../../../server/api/inquiries.ts';

export const GET = apiRoute({ auth: true }, ({ db, url, principal }) => listApiInquiries(db, principal, url.searchParams));

export const ALL = methodNotAllowed(['GET']);
