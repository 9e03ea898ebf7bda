// The JSON API's edge: reads the request (bearer token, JSON body within a size limit, the reader's language), runs
// one domain call, and turns its result or typed error into a JSON answer. Every /api/v1 endpoint is a few lines
// over apiRoute, so every endpoint answers errors the same way.
import type { APIContext, APIRoute } from 'astro';
import { authenticateApiToken, type ApiPrincipal } from '../server/api-tokens/index.ts';
import { consumeApiRate } from '../server/api-tokens/rate.ts';
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
import { zhCN } from '../server/i18n/zh-CN.ts';
import { log } from '../server/observability/log.ts';

/** Request bodies above this are refused with 413: a listing's JSON is a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** How long a public GET may be cached by clients and proxies. */
const PUBLIC_MAX_AGE_SECONDS = 60;

export interface ApiCall<Auth extends boolean> {
  db: Db;
  now: number;
  locale: Locale;
  params: APIContext['params'];
  /** The query string (filters and paging of a list). */
  query: URLSearchParams;
  /** The parsed JSON object body (for routes declared with `body: true`), else undefined. */
  body: Record<string, unknown> | undefined;
  principal: Auth extends true ? ApiPrincipal : null;
}

interface Options<Auth extends boolean> {
  /** Needs `Authorization: Bearer <token>`, counted against the token's rate limit. */
  auth: Auth;
  /** Reads a JSON object body. */
  body?: boolean;
  /** Status of a successful answer (200, or 201 for a creation). A handler returning null answers 204. */
  status?: number;
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

/** A message key from the domain, translated; a key the catalogue lacks reads as the generic "invalid value". */
function message(t: Translate, key: string, fallback: MessageKey, params?: Record<string, string | number>): string {
  return key in zhCN ? t(key as MessageKey, params) : t(fallback, params);
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

async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new RequestError(400, 'unsupported_content_type', 'api.error.contentType');
  }
  const tooLarge = new RequestError(413, 'body_too_large', 'api.error.tooLarge', { max: MAX_BODY_BYTES / 1024 });
  const declared = Number(request.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) throw tooLarge;
  // A chunked body has no length to check first: read it and stop at the limit.
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        throw tooLarge;
      }
      chunks.push(value);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
  } catch {
    throw new RequestError(400, 'malformed_json', 'api.error.badJson');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(400, 'body_not_object', 'api.error.notObject');
  }
  return parsed as Record<string, unknown>;
}

/** Maps a typed error to its status and JSON body; anything untyped is a 500 with a generic message (and logged). */
export function errorResponse(e: unknown, t: Translate): Response {
  const fail = (status: number, code: string, text: string, extra: Partial<ApiErrorBody['error']> = {}, headers = {}) =>
    json(status, { error: { code, message: text, ...extra } }, headers);
  const translateFields = (fields: Record<string, string>) =>
    Object.fromEntries(Object.entries(fields).map(([name, key]) => [name, message(t, key, 'invalid.value')]));

  if (e instanceof RequestError) return fail(e.status, e.code, t(e.key, e.params));
  if (e instanceof InvalidError)
    return fail(422, 'invalid', t('api.error.invalid'), { fields: translateFields(e.fields) });
  if (e instanceof UnauthorizedError)
    return fail(401, 'unauthorized', message(t, e.message, 'api.auth.invalidToken'), {}, { 'WWW-Authenticate': 'Bearer' });
  if (e instanceof ForbiddenError) return fail(403, 'forbidden', message(t, e.message, 'api.error.forbidden'));
  if (e instanceof NotFoundError) return fail(404, 'not_found', t('api.error.notFound'));
  if (e instanceof GoneError) return fail(410, 'gone', t('api.error.gone'));
  if (e instanceof ConflictError)
    return fail(409, 'conflict', message(t, e.message, 'api.error.conflict'), { fields: translateFields(e.fields) });
  if (e instanceof RateLimitedError)
    return fail(429, 'rate_limited', t('api.error.rateLimited', { seconds: e.retryAfterSeconds }), {}, {
      'Retry-After': String(e.retryAfterSeconds),
    });
  log().error({ err: e }, 'API request failed');
  return fail(500, 'internal', t('api.error.internal'));
}

/** One endpoint: authentication, body, one domain call, JSON answer. */
export function apiRoute<Auth extends boolean>(
  options: Options<Auth>,
  handler: (call: ApiCall<Auth>) => unknown,
): APIRoute {
  return async ({ request, params }) => {
    const locale = apiLocale(request.headers.get('accept-language'));
    const t = translator(locale);
    const vary = { Vary: 'Accept-Language' };
    try {
      const db = getDb();
      const now = Date.now();
      let principal: ApiPrincipal | null = null;
      if (options.auth) {
        principal = authenticateApiToken(db, bearer(request), now);
        consumeApiRate(principal.tokenId, now);
      }
      const body = options.body ? await readJsonObject(request) : undefined;
      const query = new URL(request.url).searchParams;
      const result = await handler({ db, now, locale, params, query, body, principal } as ApiCall<Auth>);
      if (result === null) return json(204, null);
      const publicRead = !options.auth && request.method === 'GET';
      return json(options.status ?? 200, result, {
        ...vary,
        ...(publicRead ? { 'Cache-Control': `public, max-age=${PUBLIC_MAX_AGE_SECONDS}` } : {}),
      });
    } catch (e) {
      const res = errorResponse(e, t);
      res.headers.set('Vary', 'Accept-Language');
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
