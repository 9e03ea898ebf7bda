// The JSON API's edge: reads the request (bearer token, JSON body within a size limit, the reader's language), runs
// one domain call, and turns its result or typed error into a JSON answer. Every /api/v1 endpoint is a few lines
// over apiRoute, so every endpoint answers errors the same way.
import type { APIContext, APIRoute } from 'astro';
import { authenticateApiToken, type ApiPrincipal } from '../server/api-tokens/index.ts';
import { apiRateState, consumeApiRate } from '../server/api-tokens/rate.ts';
import { getDb, type Db } from '../server/db.ts';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
} from '../server/errors.ts';
import { DEFAULT_LOCALE, translator, type Locale, type MessageKey, type Translate } from '../server/i18n/index.ts';
import { UnreadableItem } from '../server/api/bulk.ts';
import { fieldMessages, say } from '../server/api/field-errors.ts';
import { MAX_IMAGE_BYTES } from '../server/media/renditions.ts';
import { describeUploadError, ImageUploadError, type PostedForm, type UploadedFile } from '../server/media/upload.ts';
import { log } from '../server/observability/log.ts';
import { BodyError, readPostedForm } from './body.ts';
import { etagMatches, etagOf } from './http-cache.ts';

import { MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_UPLOAD_BODY_BYTES } from '../server/api/limits.ts';

export { MAX_BODY_BYTES };

/** How long a public GET may be cached by clients and proxies. */
const PUBLIC_MAX_AGE_SECONDS = 60;

export interface ApiCall<Auth extends boolean> {
  db: Db;
  now: number;
  locale: Locale;
  params: APIContext['params'];
  url: URL;
  /** The parsed JSON object body (for routes declared with `body: 'json'`), else undefined. */
  body: Record<string, unknown> | undefined;
  /** The items of a bulk body (`body: 'items'`): a JSON array or NDJSON, one item a line. */
  items: unknown[] | undefined;
  /** The files of a multipart body (`body: 'files'`), every file part in order. */
  files: UploadedFile[] | undefined;
  principal: Auth extends true ? ApiPrincipal : null;
}

interface Options<Auth extends boolean> {
  /** Needs `Authorization: Bearer <token>`, counted against the token's rate limit. */
  auth: Auth;
  /** Reads a JSON object body, a bulk body of items, or multipart files. */
  body?: 'json' | 'items' | 'files';
  /** How many requests of the rate limit the call counts as, once its items are read (1 unless given). */
  cost?: (items: unknown[]) => number;
  /** Status of a successful answer (200, or 201 for a creation). A handler returning null answers 204. */
  status?: number;
  /** What a 404 says, when the endpoint's thing is not a listing. */
  notFound?: MessageKey;
}

/** The error body every endpoint answers with. */
export interface ApiErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

/** A problem of the request itself, found at the edge before any domain call. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly key: MessageKey,
    readonly params?: Record<string, string | number>,
  ) {
    super(code);
  }
}

/** The reader's language from Accept-Language: English when English is preferred to Chinese, else Chinese. */
export function apiLocale(header: string | null): Locale {
  const ranked = (header ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...rest] = part.trim().toLowerCase().split(';');
      const q = rest.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((l) => l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
  }
  return DEFAULT_LOCALE;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: {
      ...(body === null ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
      'Cache-Control': 'no-store',
      ...headers,
    },
  });
}

/** The token of `Authorization: Bearer <token>`; UnauthorizedError when it is missing or malformed. */
export function bearer(request: Request): string {
  const header = request.headers.get('authorization');
  if (!header) throw new UnauthorizedError('api.auth.missingToken');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError('api.auth.invalidToken');
  return m[1]!;
}

/** The body's bytes, refused with 413 beyond `max` (a chunked body has no length to check first: read and stop). */
async function readBytes(request: Request, max: number): Promise<Buffer> {
  const tooLarge = new RequestError(413, 'body_too_large', 'api.error.tooLarge', { max: Math.round(max / 1024) });
  const declared = Number(request.headers.get('content-length'));
  if (declared > max) throw tooLarge;
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        throw tooLarge;
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const NDJSON_TYPE = /^application\/(?:x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)\s*(?:;|$)/i;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(400, 'malformed_json', 'api.error.badJson');
  }
}

async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  if (!JSON_TYPE.test(request.headers.get('content-type') ?? '')) {
    throw new RequestError(400, 'unsupported_content_type', 'api.error.contentType');
  }
  const parsed = parseJson(new TextDecoder().decode(await readBytes(request, MAX_BODY_BYTES)));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(400, 'body_not_object', 'api.error.notObject');
  }
  return parsed as Record<string, unknown>;
}

/** A bulk body: a JSON array, or NDJSON (one JSON value a line, blank lines skipped; a line that is not JSON is its item's error). */
async function readItems(request: Request): Promise<unknown[]> {
  const type = request.headers.get('content-type') ?? '';
  const ndjson = NDJSON_TYPE.test(type);
  if (!ndjson && !JSON_TYPE.test(type)) throw new RequestError(400, 'unsupported_content_type', 'api.error.bulkContentType');
  const text = new TextDecoder().decode(await readBytes(request, MAX_BULK_BODY_BYTES));
  if (!ndjson) {
    const parsed = parseJson(text);
    if (!Array.isArray(parsed)) throw new RequestError(400, 'body_not_array', 'api.error.notArray');
    return parsed;
  }
  const items: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      items.push(JSON.parse(line));
    } catch {
      items.push(new UnreadableItem(i + 1));
    }
  });
  return items;
}

/** The file parts of a multipart body (field names do not matter: every file is one upload, in order). */
async function readFiles(request: Request): Promise<UploadedFile[]> {
  if (!/^multipart\/form-data\s*;/i.test(request.headers.get('content-type') ?? '')) {
    throw new RequestError(400, 'unsupported_content_type', 'api.error.multipartContentType');
  }
  // The site's streaming multipart reader, each file kept at most one byte over the image limit.
  let form: PostedForm;
  try {
    form = await readPostedForm(request, { maxBytes: MAX_UPLOAD_BODY_BYTES, maxFileBytes: MAX_IMAGE_BYTES });
  } catch (e) {
    if (!(e instanceof BodyError)) throw e;
    if (e.status === 413) throw new RequestError(413, 'body_too_large', 'api.error.tooLarge', { max: Math.round(MAX_UPLOAD_BODY_BYTES / 1024) });
    throw new RequestError(400, 'malformed_multipart', 'api.error.badMultipart');
  }
  return form.files.map(({ name, bytes }) => ({ name, bytes }));
}

/**
 * Maps a typed error to its status and JSON body; anything untyped is a 500 with a generic message (and logged).
 * `input` is the request's body, so field errors can say what they received.
 */
export function errorResponse(e: unknown, t: Translate, input?: unknown, notFound: MessageKey = 'api.error.notFound'): Response {
  const fail = (status: number, code: string, text: string, extra: Partial<ApiErrorBody['error']> = {}, headers = {}) =>
    json(status, { error: { code, message: text, ...extra } }, headers);
  const translateFields = (err: InvalidError | ConflictError) =>
    fieldMessages(t, err.fields, err instanceof InvalidError ? err.fieldParams : {}, input);

  if (e instanceof RequestError) return fail(e.status, e.code, t(e.key, e.params));
  // A refused image is named by its file ("样品.jpg"：图片已损坏…), as the form says it.
  if (e instanceof ImageUploadError)
    return fail(422, 'invalid', t('api.error.invalid'), { fields: Object.fromEntries(Object.keys(e.fields).map((f) => [f, describeUploadError(t, e)])) });
  if (e instanceof InvalidError)
    return fail(422, 'invalid', t('api.error.invalid'), { fields: translateFields(e) });
  if (e instanceof UnauthorizedError)
    return fail(401, 'unauthorized', say(t, e.message, 'api.auth.invalidToken'), {}, { 'WWW-Authenticate': 'Bearer' });
  if (e instanceof ForbiddenError) return fail(403, 'forbidden', say(t, e.message, 'api.error.forbidden'));
  if (e instanceof NotFoundError) return fail(404, 'not_found', t(notFound));
  if (e instanceof GoneError) return fail(410, 'gone', t('api.error.gone'));
  if (e instanceof ConflictError)
    return fail(409, 'conflict', say(t, e.message, 'api.error.conflict'), { fields: translateFields(e) });
  if (e instanceof RateLimitedError)
    return fail(429, 'rate_limited', t('api.error.rateLimited', { seconds: e.retryAfterSeconds }), {}, {
      'Retry-After': String(e.retryAfterSeconds),
    });
  log().error({ err: e }, 'API request failed');
  return fail(500, 'internal', t('api.error.internal'));
}

/** The request's URL (route tests may call a handler without Astro's parsed one). */
const requestUrl = (url: URL | undefined, request: Request) => url ?? new URL(request.url);

function rateHeaders(principal: ApiPrincipal | null, now: number): Record<string, string> {
  if (!principal) return {};
  const r = apiRateState(principal.tokenId, now);
  return {
    'RateLimit-Limit': String(r.limit),
    'RateLimit-Remaining': String(r.remaining),
    'RateLimit-Reset': String(r.resetSeconds),
    'RateLimit-Policy': `${r.limit};w=${r.windowSeconds}`,
  };
}

/** One endpoint: authentication, body, one domain call, JSON answer. */
export function apiRoute<Auth extends boolean>(
  options: Options<Auth>,
  handler: (call: ApiCall<Auth>) => unknown,
): APIRoute {
  return async ({ request, params, url }) => {
    const locale = apiLocale(request.headers.get('accept-language'));
    const t = translator(locale);
    const vary = { Vary: 'Accept-Language' };
    const now = Date.now();
    let principal: ApiPrincipal | null = null;
    let input: unknown;
    try {
      const db = getDb();
      if (options.auth) {
        principal = authenticateApiToken(db, bearer(request), now);
        consumeApiRate(principal.tokenId, now);
      }
      const body = options.body === 'json' ? await readJsonObject(request) : undefined;
      // What a field error quotes back: the JSON body, or the query of a GET.
      input = body ?? Object.fromEntries(requestUrl(url, request).searchParams);
      const items = options.body === 'items' ? await readItems(request) : undefined;
      const files = options.body === 'files' ? await readFiles(request) : undefined;
      // The first request was counted before the body was read (so a flood of bodies is refused unread).
      const extra = items && options.cost ? options.cost(items) - 1 : 0;
      if (principal && extra > 0) consumeApiRate(principal.tokenId, now, extra);
      const call = { db, now, locale, params, url: requestUrl(url, request), body, items, files, principal };
      const result = await handler(call as ApiCall<Auth>);
      const limits = rateHeaders(principal, now);
      if (result === null) return json(204, null, limits);
      const publicRead = !options.auth && (request.method === 'GET' || request.method === 'HEAD');
      if (!publicRead) return json(options.status ?? 200, result, { ...vary, ...limits });
      // Public reads carry an ETag of their body, so a client polling the taxonomy or a listing gets 304s.
      const text = JSON.stringify(result);
      const etag = etagOf(Buffer.from(text));
      const headers = { ...vary, 'Cache-Control': `public, max-age=${PUBLIC_MAX_AGE_SECONDS}`, ETag: etag };
      if (etagMatches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
      return new Response(text, { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers } });
    } catch (e) {
      const res = errorResponse(e, t, input, options.notFound);
      res.headers.set('Vary', 'Accept-Language');
      for (const [name, value] of Object.entries(rateHeaders(principal, now))) res.headers.set(name, value);
      return res;
    }
  };
}

/** A positive integer id from the URL, or a 404 (an id that cannot exist is simply not found). */
export function idParam(params: APIContext['params']): number {
  const raw = params.id ?? '';
  if (!/^[1-9]\d{0,14}$/.test(raw)) throw new NotFoundError(`id ${raw}`);
  return Number(raw);
}

/** The answer for a method an endpoint does not have: 405 with the methods it does have. */
export function methodNotAllowed(allowed: string[]): APIRoute {
  return ({ request }) => {
    const t = translator(apiLocale(request.headers.get('accept-language')));
    return json(
      405,
      { error: { code: 'method_not_allowed', message: t('api.error.method', { methods: allowed.join(', ') }) } },
      { Allow: allowed.join(', '), Vary: 'Accept-Language' },
    );
  };
}
