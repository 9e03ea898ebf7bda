// GET the OpenAPI 3.1 document of this API (public, ETag), generated from the handlers' own schemas.
import { apiRoute, methodNotAllowed } from '../../../lib/api.ts';
import { openApiDocument } from '../../../server/api/openapi.ts';

export const GET = apiRoute({ auth: false }, () => openApiDocument());

export const ALL = methodNotAllowed(['GET']);
