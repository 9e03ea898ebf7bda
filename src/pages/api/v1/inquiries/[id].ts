// GET one inquiry thread with its messages (bearer token). See docs/api.md.
import { apiRoute, idParam, methodNotAllowed } from '../../../../lib/api.ts';
import { getApiInquiry } from '../../../../server/api/inquiries.ts';

export const GET = apiRoute({ auth: true, notFound: 'api.error.inquiryNotFound' }, ({ db, params, principal }) => getApiInquiry(db, principal, idParam(params)));

export const ALL = methodNotAllowed(['GET']);
