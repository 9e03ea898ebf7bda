// POST up to 1,000 listings at once, created or updated by the caller's ref (bearer token). See docs/api.md.
import { apiRoute, methodNotAllowed } from '../../../../lib/api.ts';
import { BULK_ITEMS_PER_REQUEST } from '../../../../server/api-tokens/rate.ts';
import { bulkUpsertApi } from '../../../../server/api/bulk.ts';

export const POST = apiRoute(
  { auth: true, body: 'items', cost: (items) => Math.max(1, Math.ceil(items.length / BULK_ITEMS_PER_REQUEST)) },
  ({ db, now, locale, items, principal }) => bulkUpsertApi(db, principal, items!, now, locale),
);

export const ALL = methodNotAllowed(['POST']);
