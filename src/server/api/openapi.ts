// The OpenAPI 3.1 document of the JSON API, generated (zod-to-openapi) from the zod schemas the handlers parse their
// input with and type their answers by (listings/input.ts, api/schemas.ts, ...). Served at /api/v1/openapi.json;
// tests/integration/api-openapi.test.ts calls every documented route and checks each answer against this document.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { MAX_BULK_BODY_BYTES, MAX_BODY_BYTES, MAX_UPLOAD_BODY_BYTES } from './limits.ts';
import { BULK_ITEMS_PER_REQUEST } from '../api-tokens/rate.ts';
import { config } from '../config.ts';
import { listingInputSchema } from '../listings/input.ts';
import { MAX_BULK_ITEMS, bulkItemSchema } from './bulk.ts';
import { suggestQuerySchema } from './category-suggest.ts';
import { inquiriesQuerySchema } from './inquiries.ts';
import { mineQuerySchema } from './listings.ts';
import { searchAnswerSchema, typeaheadAnswerSchema, typeaheadQuerySchema } from './search.ts';
import { replySchema } from '../inquiries/threads.ts';
import { searchParamsSchema } from '../search/params.ts';
import {
  bulkAnswerSchema,
  categoriesAnswerSchema,
  categorySuggestAnswerSchema,
  errorBodySchema,
  imagesAnswerSchema,
  inquiriesAnswerSchema,
  inquiryMessageSchema,
  inquiryThreadSchema,
  listingAnswerSchema,
  listingJsonSchema,
  mineAnswerSchema,
  regionsAnswerSchema,
} from './schemas.ts';

type Status = 200 | 201 | 204 | 304 | 400 | 401 | 403 | 404 | 410 | 413 | 422 | 429;

const ERRORS: Record<Exclude<Status, 200 | 201 | 204 | 304>, string> = {
  400: 'The body is not what the endpoint reads (content type, JSON syntax)',
  401: 'No bearer token, or not a valid one',
  403: 'The listing belongs to another company',
  404: 'No such listing',
  410: 'The listing was deleted',
  413: 'The body is over the limit',
  422: 'A value is not valid: `error.fields` names each field, the value received and what is accepted',
  429: "The token's requests for this minute are used up (Retry-After)",
};

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });

const rateHeaders = {
  'RateLimit-Limit': { description: 'Requests per window', schema: { type: 'integer' as const } },
  'RateLimit-Remaining': { description: 'Requests left in this window (a bulk call counts one per 100 items)', schema: { type: 'integer' as const } },
  'RateLimit-Reset': { description: 'Seconds until the window starts again', schema: { type: 'integer' as const } },
};

const idOf = (what: string) => z.object({ id: z.string().regex(/^[1-9]\d*$/).meta({ description: `The ${what} id` }) });
const idParams = idOf('listing');

/** Error statuses an operation answers: the status alone (the usual reason), or with its own reason. */
type ErrorStatus = keyof typeof ERRORS | [keyof typeof ERRORS, string];

function responses(
  ok: { status: 200 | 201 | 204 | 304; description: string; schema?: z.ZodType }[],
  errors: ErrorStatus[],
  auth: boolean,
) {
  const out: Record<number, object> = {};
  for (const o of ok) {
    out[o.status] = { description: o.description, ...(o.schema ? json(o.schema) : {}), ...(auth ? { headers: rateHeaders } : {}) };
  }
  for (const e of errors) {
    const [status, description] = Array.isArray(e) ? e : [e, ERRORS[e]];
    out[status] = { description, ...json(errorBodySchema) };
  }
  return out;
}

/**
 * A field that reads more than its inner schema (a preprocessed one: numbers as text, 供应 for supply, price text)
 * says what it accepts with `anyOf` in its metadata; the inner schema's own type and string checks, which the
 * generator also writes beside it, are dropped so the two do not contradict each other.
 */
function preferAnyOf(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(preferAnyOf);
  if (typeof node !== 'object' || node === null) return;
  const o = node as Record<string, unknown>;
  if (Array.isArray(o.anyOf)) for (const k of ['type', 'pattern', 'maxLength', 'minLength', 'enum', 'format']) delete o[k];
  Object.values(o).forEach(preferAnyOf);
}

/** What the document's own route answers: an OpenAPI document (its inner shape is OpenAPI's, not ours to restate). */
const openApiDocumentSchema = z
  .looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.looseObject({})) })
  .meta({ id: 'OpenApiDocument' });

let cached: { key: string; doc: ReturnType<OpenApiGeneratorV31['generateDocument']> } | undefined;

/** The document for this site (its SITE_URL as the server). */
export function openApiDocument() {
  const { SITE_URL } = config();
  if (cached?.key === SITE_URL) return cached.doc;
  const r = new OpenAPIRegistry();
  const bearer = r.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token from /dashboard/tokens' });
  const security = [{ [bearer.name]: [] }];

  r.registerPath({
    method: 'get',
    path: '/api/v1/regions',
    operationId: 'listRegions',
    summary: 'The region tree: the province, its cities and their counties',
    description: 'Codes, slugs and both names of every region a listing can be in. Cacheable: send If-None-Match with the ETag.',
    responses: responses([{ status: 200, description: 'The tree', schema: regionsAnswerSchema }, { status: 304, description: 'Unchanged since the ETag sent' }], [], false),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/categories',
    operationId: 'listCategories',
    summary: "The category tree with each subcategory's attributes",
    description: 'Industries and their subcategories; a listing is posted in a subcategory. Cacheable with the ETag.',
    responses: responses([{ status: 200, description: 'The tree', schema: categoriesAnswerSchema }, { status: 304, description: 'Unchanged since the ETag sent' }], [], false),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/categories/suggest',
    operationId: 'suggestCategories',
    summary: 'The three most likely subcategories for a listing title',
    description: 'From the categories of live listings whose titles match best. Also what fills a missing category on a create.',
    request: { query: suggestQuerySchema },
    responses: responses([{ status: 200, description: 'Up to three subcategories, best first', schema: categorySuggestAnswerSchema }], [422], false),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/listings',
    operationId: 'listOwnListings',
    summary: "Your company's listings, a page at a time",
    description: 'In id order with a cursor, so a system can reconcile its catalogue: every status, or one.',
    security,
    request: { query: mineQuerySchema },
    responses: responses([{ status: 200, description: 'One page', schema: mineAnswerSchema }], [401, 422, 429], true),
  });
  r.registerPath({
    method: 'post',
    path: '/api/v1/listings',
    operationId: 'createListing',
    summary: 'Publish a listing',
    description: `Validated exactly as the posting form. Body at most ${MAX_BODY_BYTES / 1024} KB.`,
    security,
    request: { body: { required: true, ...json(listingInputSchema) } },
    responses: responses([{ status: 201, description: 'The listing as published', schema: listingAnswerSchema }], [400, 401, 413, 422, 429], true),
  });
  r.registerPath({
    method: 'post',
    path: '/api/v1/listings/bulk',
    operationId: 'upsertListings',
    summary: `Create or update up to ${MAX_BULK_ITEMS} listings by your ref`,
    description:
      `A JSON array, or NDJSON (Content-Type: application/x-ndjson, one item a line; a line that is not JSON is that item's error), of at most ${MAX_BULK_ITEMS} items and ${MAX_BULK_BODY_BYTES / 1024 / 1024} MB. ` +
      'Each item is the whole listing: created when its ref is new, updated when it changed, unchanged otherwise (a retry is harmless). ' +
      `Counts as one request per ${BULK_ITEMS_PER_REQUEST} items. Every item gets its own answer; a bad item does not stop the others. ` +
      "An unverified company's new listings wait for review as one batch (batchId; each item's listingStatus is pending and its url answers 404 until approved); a verified company's are active at once.",
    security,
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: z.array(bulkItemSchema) },
          'application/x-ndjson': { schema: { type: 'string', description: 'One BulkItem JSON object per line' } },
        },
      },
    },
    responses: responses([{ status: 200, description: 'One result per item, in order', schema: bulkAnswerSchema }], [400, 401, 413, 422, 429], true),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/listings/{id}',
    operationId: 'getListing',
    summary: 'Read a listing (public)',
    request: { params: idParams },
    responses: responses([{ status: 200, description: 'The listing, also when expired or closed', schema: listingJsonSchema }], [404, 410], false),
  });
  r.registerPath({
    method: 'patch',
    path: '/api/v1/listings/{id}',
    operationId: 'updateListing',
    summary: 'Change some fields of your listing',
    description: 'Only the fields given change; "" or null clears an optional field.',
    security,
    request: { params: idParams, body: { required: true, ...json(listingInputSchema) } },
    responses: responses([{ status: 200, description: 'The listing as changed', schema: listingAnswerSchema }], [400, 401, 403, 404, 410, 422, 429], true),
  });
  r.registerPath({
    method: 'delete',
    path: '/api/v1/listings/{id}',
    operationId: 'deleteListing',
    summary: 'Take your listing down for good',
    security,
    request: { params: idParams },
    responses: responses([{ status: 204, description: 'Deleted; the listing answers 410 from now on' }], [401, 403, 404, 410, 429], true),
  });
  r.registerPath({
    method: 'post',
    path: '/api/v1/listings/{id}/images',
    operationId: 'addListingImages',
    summary: 'Add images to your listing',
    description:
      `multipart/form-data with one or more file parts (any field name), at most 8 images per listing, 10 MB each, ${Math.round(MAX_UPLOAD_BODY_BYTES / 1024 / 1024)} MB per call. ` +
      'JPEG, PNG, WebP or AVIF; each is checked, stripped of metadata and re-encoded, as on the posting form. One refused file stores none of the call.',
    security,
    request: {
      params: idParams,
      body: {
        required: true,
        content: { 'multipart/form-data': { schema: { type: 'object', properties: { image: { type: 'string', contentMediaType: 'application/octet-stream' } } } } },
      },
    },
    responses: responses([{ status: 200, description: "The listing's images, in order", schema: imagesAnswerSchema }], [400, 401, 403, 404, 413, 422, 429], true),
  });
  r.registerPath({
    method: 'put',
    path: '/api/v1/listings/{id}/images',
    operationId: 'orderListingImages',
    summary: 'Put the images of your listing in a new order',
    security,
    request: {
      params: idParams,
      body: { required: true, ...json(z.object({ order: z.array(z.string()).meta({ description: 'Every image id of the listing, exactly once; the first is the one lists show' }) })) },
    },
    responses: responses([{ status: 200, description: "The listing's images, in the new order", schema: imagesAnswerSchema }], [400, 401, 403, 404, 422, 429], true),
  });
  r.registerPath({
    method: 'delete',
    path: '/api/v1/listings/{id}/images/{image}',
    operationId: 'deleteListingImage',
    summary: 'Remove one image of your listing',
    security,
    request: { params: idParams.extend({ image: z.string().meta({ description: 'The image id (content hash)' }) }) },
    responses: responses([{ status: 200, description: "The listing's remaining images", schema: imagesAnswerSchema }], [401, 403, 404, 422, 429], true),
  });

  r.registerPath({
    method: 'get',
    path: '/api/v1/search',
    operationId: 'searchListings',
    summary: 'Search live listings',
    description:
      'One page (20) of live listings matching a query and filters, with exact facet counts by kind, region and category, as the /search page shows them. ' +
      "With a subcategory chosen, its attributes filter too: a.<key>=<choice> for a choice attribute, a.<key>.min / a.<key>.max for a number attribute (keys in /api/v1/categories). " +
      'Prices in hits are in fen. Cacheable for 60 s (ETag).',
    request: { query: searchParamsSchema },
    responses: responses([{ status: 200, description: 'One page of hits', schema: searchAnswerSchema }], [[422, 'A filter is not valid: `error.fields` names each parameter, the value received and what it takes']], false),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/suggest',
    operationId: 'suggestSearches',
    summary: 'Suggestions for what has been typed so far',
    description: 'Categories, listing titles and companies, for a search box. Any text is read; an empty one suggests nothing.',
    request: { query: typeaheadQuerySchema },
    responses: responses([{ status: 200, description: 'Up to ten suggestions', schema: typeaheadAnswerSchema }], [], false),
  });
  const inquiry404: ErrorStatus = [404, 'No such thread among those your company received (also one awaiting the asker\'s confirmation or held for review)'];
  r.registerPath({
    method: 'get',
    path: '/api/v1/inquiries',
    operationId: 'listInquiries',
    summary: 'The inquiries, quotes and messages your company received',
    description: 'Newest activity first, a page at a time; since= keeps only threads with a message at or after a time, for polling. Reading does not mark a thread read.',
    security,
    request: { query: inquiriesQuerySchema },
    responses: responses([{ status: 200, description: 'One page of threads', schema: inquiriesAnswerSchema }], [401, 422, 429], true),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/inquiries/{id}',
    operationId: 'getInquiry',
    summary: 'One thread with its messages',
    security,
    request: { params: idOf('thread') },
    responses: responses([{ status: 200, description: 'The thread, messages oldest first', schema: inquiryThreadSchema }], [401, inquiry404, 429], true),
  });
  r.registerPath({
    method: 'post',
    path: '/api/v1/inquiries/{id}/replies',
    operationId: 'replyToInquiry',
    summary: 'Reply to a thread',
    description: "As a reply from the inbox: the asker is mailed. Each side may reply a limited number of times a minute in one thread (429).",
    security,
    request: { params: idOf('thread'), body: { required: true, ...json(replySchema) } },
    responses: responses([{ status: 201, description: 'The reply as stored', schema: inquiryMessageSchema }], [400, 401, inquiry404, 413, 422, 429], true),
  });
  r.registerPath({
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    responses: responses([{ status: 200, description: 'The OpenAPI 3.1 document of this API', schema: openApiDocumentSchema }], [], false),
  });

  const doc = new OpenApiGeneratorV31(r.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'B2B listings API',
      version: '1',
      description:
        'Post and maintain your listings from your own systems. Errors are in Chinese, or English with Accept-Language: en. See /developers.',
    },
    servers: [{ url: SITE_URL }],
  });
  preferAnyOf(doc.components);
  cached = { key: SITE_URL, doc };
  return doc;
}
