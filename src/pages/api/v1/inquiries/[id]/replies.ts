// POST a reply to an inquiry thread (bearer token). See docs/api.md.
import { apiRoute, idParam, methodNotAllowed } from '../../../../../lib/api.ts';
import { replyApiInquiry } from '../../../../../server/api/inquiries.ts';

export const POST = apiRoute({ auth: true, body: 'json', status: 201, notFound: 'api.error.inquiryNotFound' }, ({ db, now, params, body, principal }) =>
  replyApiInquiry(db, principal, idParam(params), body, now),
);

export const ALL = methodNotAllowed(['POST']);
