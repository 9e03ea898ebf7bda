// The OpenAPI document against the handlers: it validates (@readme/openapi-parser); every method of every route file
// under src/pages/api/v1 is in it and nothing else is; every documented answer (path, method, status) is produced by a
// real call to the route's handler whose body and headers are checked against the document, and every request body
// a handler accepted fits the document's request schema. A handler and a document that disagree fail here.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { validate } from '@readme/openapi-parser';
import type { APIContext } from 'astro';
import { beforeAll, describe, expect, it } from 'vitest';
import { developersPage } from '../../src/server/api/developers.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_UPLOAD_BODY_BYTES } from '../../src/server/api/limits.ts';
import { apiRateLimiter } from '../../src/server/api-tokens/rate.ts';
import type { Db } from '../../src/server/db.ts';
import { formStamp } from '../../src/server/inquiries/keys.ts';
import { sendInquiry } from '../../src/server/inquiries/send.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { type ApiAnswer, type ApiCallOptions, apiDb, callApi, tokenHolder } from '../helpers/api.ts';
import { makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { solid } from '../helpers/images.ts';
import { schemaProblems } from '../helpers/json-schema.ts';

type Handler = (ctx: APIContext) => Response | Promise<Response>;
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const ROOT = path.resolve('src/pages/api/v1');

/** Every route file under src/pages/api/v1 as the document names its path: [id].ts -> {id}, index.ts -> its folder. */
const routeFiles = fs
  .readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((file) => ({
    file: path.join(ROOT, file),
    path: ('/api/v1/' + file.replace(/\.ts$/, '').replace(/(^|\/)index$/, '').replace(/\[(\w+)\]/g, '{$1}')).replace(/\/$/, ''),
  }));

const modules: Record<string, Record<string, unknown>> = {};

let db: Db;
let doc: Doc;
let token: string;
const ids = { mine: 0, others: 0, removed: 0, missing: 999_999, thread: 0, othersThread: 0 };
let imageId = '';
const exercised = new Map<string, ApiAnswer>();
const requestBodies: { path: string; method: string; body: unknown }[] = [];

beforeAll(async () => {
  db = apiDb();
  const { company } = ({ token } = tokenHolder(db, 'contract'));
  ids.mine = makeListing(db, company.id, { title: '供应无缝钢管现货' }).id;
  ids.removed = makeListing(db, company.id, { status: 'removed' }).id;
  ids.others = makeListing(db, makeCompany(db, { ownerId: makeUser(db).id }).id).id;
  ensureSearchIndex(db, Date.now());
  // An inquiry to this company and one to another, from a signed-in buyer.
  const buyer = { ...makeUser(db), isAdmin: false };
  const ask = (listingId: number) => {
    const values = { started: formStamp(db, Date.now() - 60_000), contactName: '李采购', phone: '13812345678', message: '螺纹钢 20 吨多少钱？', quantity: '20', quantityUnit: '吨' };
    return sendInquiry(db, { target: { listingId }, user: buyer, values, ip: '192.0.2.1', locale: 'zh-CN' }, Date.now()).threadId;
  };
  ids.thread = ask(ids.mine);
  ids.othersThread = ask(ids.others);
  for (const r of routeFiles) modules[r.path] = await import(pathToFileURL(r.file).href);
  const res = await callApi(modules['/api/v1/openapi.json']!.GET as Handler, { path: '/api/v1/openapi.json' });
  doc = res.json;
});


/** A body of `size` zero bytes sent as a stream (no declared length), so the edge has to count. */
function oversized(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const chunk = new Uint8Array(1024 * 1024);
  return new ReadableStream({
    pull(c) {
      if (sent >= size) return c.close();
      sent += chunk.length;
      c.enqueue(chunk);
    },
  });
}

const mineParams = (id: number) => ({ id: String(id) });

interface Scenario {
  path: string;
  method: string;
  status: number;
  call: () => Promise<ApiAnswer>;
}

function run(path: string, method: string, opts: ApiCallOptions & { stream?: ReadableStream<Uint8Array> } = {}): Promise<ApiAnswer> {
  const handler = (modules[path]![method.toUpperCase()] ?? modules[path]!.ALL) as Handler;
  if (!opts.stream) {
    return callApi(handler, { method: method.toUpperCase(), token, ...opts }).then((res) => {
      // A body the handler accepted must fit the document's request schema too: both directions are held to it.
      if (res.status < 300 && opts.body !== undefined) requestBodies.push({ path, method, body: opts.body });
      return res;
    });
  }
  const request = new Request(`http://localhost${opts.path ?? path}`, {
    method: method.toUpperCase(),
    headers: { authorization: `Bearer ${token}`, 'content-type': opts.type ?? 'application/json' },
    body: opts.stream,
    duplex: 'half',
  } as RequestInit);
  return Promise.resolve(handler({ request, params: opts.params ?? {}, url: new URL(request.url) } as unknown as APIContext)).then(async (res) => {
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
  });
}

async function tooMany(fn: () => Promise<ApiAnswer>): Promise<ApiAnswer> {
  const key = [...Array(50).keys()].map((i) => `api-token:${i + 1}`);
  for (const k of key) for (let i = 0; i < apiRateLimiter.limit; i++) try { apiRateLimiter.consume(k); } catch { break; }
  try {
    return await fn();
  } finally {
    for (const k of key) apiRateLimiter.reset(k);
  }
}

const uploadForm = async () => {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(await solid(30, 20, 'png'))]), 'a.png');
  return form;
};

function scenarios(): Scenario[] {
  const Q = '/api/v1/inquiries';
  const T = '/api/v1/inquiries/{id}';
  const R = '/api/v1/inquiries/{id}/replies';
  const thread = () => ({ id: String(ids.thread) });
  const L = '/api/v1/listings/{id}';
  const I = '/api/v1/listings/{id}/images';
  const X = '/api/v1/listings/{id}/images/{image}';
  const s = (path: string, method: string, status: number, call: () => Promise<ApiAnswer>): Scenario => ({ path, method, status, call });
  const valid = { kind: '供应', category: '钢管', region: '南昌', title: '供应焊接钢管一批', price: '18500元/吨' };
  const out: Scenario[] = [
    s('/api/v1/openapi.json', 'get', 200, () => run('/api/v1/openapi.json', 'get', { token: null })),
    s('/api/v1/search', 'get', 200, () => run('/api/v1/search', 'get', { token: null, path: '/api/v1/search?q=%E9%92%A2%E7%AE%A1&kind=supply&sort=newest' })),
    s('/api/v1/search', 'get', 422, () => run('/api/v1/search', 'get', { token: null, path: '/api/v1/search?kind=ads&price_min=abc' })),
    s('/api/v1/suggest', 'get', 200, () => run('/api/v1/suggest', 'get', { token: null, path: '/api/v1/suggest?q=%E9%92%A2' })),
    s(Q, 'get', 200, () => run(Q, 'get', { path: '/api/v1/inquiries?per_page=5' })),
    s(Q, 'get', 422, () => run(Q, 'get', { path: '/api/v1/inquiries?since=yesterday' })),
    s(T, 'get', 200, () => run(T, 'get', { params: thread() })),
    s(T, 'get', 404, () => run(T, 'get', { params: { id: String(ids.othersThread) } })),
    s(R, 'post', 201, () => run(R, 'post', { params: thread(), body: { message: '3600 元/吨，含税到厂。' } })),
    s(R, 'post', 400, () => run(R, 'post', { params: thread(), raw: 'message', type: 'text/plain' })),
    s(R, 'post', 404, () => run(R, 'post', { params: { id: String(ids.othersThread) }, body: { message: '插一句话，别家的询盘' } })),
    s(R, 'post', 413, () => run(R, 'post', { params: thread(), stream: oversized(MAX_BODY_BYTES + 1) })),
    s(R, 'post', 422, () => run(R, 'post', { params: thread(), body: { message: '' } })),
    s('/api/v1/regions', 'get', 200, () => run('/api/v1/regions', 'get', { token: null })),
    s('/api/v1/regions', 'get', 304, async () => {
      const first = await run('/api/v1/regions', 'get', { token: null });
      return run('/api/v1/regions', 'get', { token: null, headers: { 'if-none-match': first.headers.get('etag')! } });
    }),
    s('/api/v1/categories', 'get', 200, () => run('/api/v1/categories', 'get', { token: null })),
    s('/api/v1/categories', 'get', 304, async () => {
      const first = await run('/api/v1/categories', 'get', { token: null });
      return run('/api/v1/categories', 'get', { token: null, headers: { 'if-none-match': first.headers.get('etag')! } });
    }),
    s('/api/v1/categories/suggest', 'get', 200, () => run('/api/v1/categories/suggest', 'get', { token: null, path: '/api/v1/categories/suggest?title=%E6%97%A0%E7%BC%9D%E9%92%A2%E7%AE%A1' })),
    s('/api/v1/categories/suggest', 'get', 422, () => run('/api/v1/categories/suggest', 'get', { token: null, path: '/api/v1/categories/suggest?title=' })),
    s('/api/v1/listings', 'get', 200, () => run('/api/v1/listings', 'get', { path: '/api/v1/listings?mine=1&limit=1' })),
    s('/api/v1/listings', 'get', 422, () => run('/api/v1/listings', 'get', { path: '/api/v1/listings?mine=1&status=sold' })),
    s('/api/v1/listings', 'post', 201, () => run('/api/v1/listings', 'post', { body: valid })),
    s('/api/v1/listings', 'post', 400, () => run('/api/v1/listings', 'post', { raw: '{', type: 'application/json' })),
    s('/api/v1/listings', 'post', 413, () => run('/api/v1/listings', 'post', { stream: oversized(MAX_BODY_BYTES + 1) })),
    s('/api/v1/listings', 'post', 422, () => run('/api/v1/listings', 'post', { body: { ...valid, region: '火星' } })),
    s('/api/v1/listings/bulk', 'post', 200, () => run('/api/v1/listings/bulk', 'post', { body: [{ ...valid, ref: 'C-1' }, { ref: 'C-2' }] })),
    s('/api/v1/listings/bulk', 'post', 400, () => run('/api/v1/listings/bulk', 'post', { body: { ref: 'not an array' } })),
    s('/api/v1/listings/bulk', 'post', 413, () => run('/api/v1/listings/bulk', 'post', { stream: oversized(MAX_BULK_BODY_BYTES + 1) })),
    s('/api/v1/listings/bulk', 'post', 422, () => run('/api/v1/listings/bulk', 'post', { body: [] })),
    s(L, 'get', 200, () => run(L, 'get', { token: null, params: mineParams(ids.mine) })),
    s(L, 'get', 404, () => run(L, 'get', { token: null, params: mineParams(ids.missing) })),
    s(L, 'get', 410, () => run(L, 'get', { token: null, params: mineParams(ids.removed) })),
    s(L, 'patch', 200, () => run(L, 'patch', { params: mineParams(ids.mine), body: { price: '面议' } })),
    s(L, 'patch', 400, () => run(L, 'patch', { params: mineParams(ids.mine), raw: '[]', type: 'application/json' })),
    s(L, 'patch', 403, () => run(L, 'patch', { params: mineParams(ids.others), body: { title: '改别人的信息标题' } })),
    s(L, 'patch', 404, () => run(L, 'patch', { params: mineParams(ids.missing), body: { title: '没有这条信息呀' } })),
    s(L, 'patch', 410, () => run(L, 'patch', { params: mineParams(ids.removed), body: { title: '已删除的信息呀' } })),
    s(L, 'patch', 422, () => run(L, 'patch', { params: mineParams(ids.mine), body: { kind: '卖' } })),
    s(L, 'delete', 403, () => run(L, 'delete', { params: mineParams(ids.others) })),
    s(L, 'delete', 404, () => run(L, 'delete', { params: mineParams(ids.missing) })),
    s(L, 'delete', 410, () => run(L, 'delete', { params: mineParams(ids.removed) })),
    s(I, 'post', 200, async () => {
      const res = await run(I, 'post', { params: mineParams(ids.mine), raw: await uploadForm() });
      imageId = res.json.images[0].id;
      return res;
    }),
    s(I, 'post', 400, () => run(I, 'post', { params: mineParams(ids.mine), body: { image: 'x' } })),
    s(I, 'post', 403, async () => run(I, 'post', { params: mineParams(ids.others), raw: await uploadForm() })),
    s(I, 'post', 404, async () => run(I, 'post', { params: mineParams(ids.missing), raw: await uploadForm() })),
    s(I, 'post', 413, () => run(I, 'post', { params: mineParams(ids.mine), stream: oversized(MAX_UPLOAD_BODY_BYTES + 1), type: 'multipart/form-data; boundary=x' })),
    s(I, 'post', 422, () => run(I, 'post', { params: mineParams(ids.mine), raw: new FormData() })),
    s(I, 'put', 200, () => run(I, 'put', { params: mineParams(ids.mine), body: { order: [imageId] } })),
    s(I, 'put', 400, () => run(I, 'put', { params: mineParams(ids.mine), raw: 'order', type: 'text/plain' })),
    s(I, 'put', 403, () => run(I, 'put', { params: mineParams(ids.others), body: { order: [] } })),
    s(I, 'put', 404, () => run(I, 'put', { params: mineParams(ids.missing), body: { order: [] } })),
    s(I, 'put', 422, () => run(I, 'put', { params: mineParams(ids.mine), body: { order: ['nope'] } })),
    s(X, 'delete', 200, () => run(X, 'delete', { params: { id: String(ids.mine), image: imageId } })),
    s(X, 'delete', 403, () => run(X, 'delete', { params: { id: String(ids.others), image: 'x' } })),
    s(X, 'delete', 404, () => run(X, 'delete', { params: { id: String(ids.missing), image: 'x' } })),
    s(X, 'delete', 422, () => run(X, 'delete', { params: { id: String(ids.mine), image: 'nope' } })),
    // Last: the listing is gone from here on.
    s(L, 'delete', 204, () => run(L, 'delete', { params: mineParams(ids.mine) })),
  ];
  // Every token route: 401 without a token, 429 once the token's minute is used up.
  for (const path of Object.keys(modules)) {
    for (const method of METHODS) {
      const op = (doc.paths[path] ?? {})[method];
      if (!op?.security) continue;
      const params = { id: String(ids.mine), image: 'x' };
      out.push(s(path, method, 401, () => run(path, method, { token: null, params })));
      out.push(s(path, method, 429, () => tooMany(() => run(path, method, { params, ...(method === 'get' ? {} : { raw: '{}', type: 'application/json' }) }))));
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result).toMatchObject({ valid: true });
  });

  it('documents every method of every route file under src/pages/api/v1, and nothing else', () => {
    expect(routeFiles.length).toBeGreaterThan(10);
    const handled = routeFiles.flatMap((r) => METHODS.filter((m) => typeof modules[r.path]![m.toUpperCase()] === 'function').map((m) => `${m.toUpperCase()} ${r.path}`));
    const documented = Object.entries(doc.paths as Doc).flatMap(([p, ops]) => METHODS.filter((m) => ops[m]).map((m) => `${m.toUpperCase()} ${p}`));
    expect(handled.filter((h) => !documented.includes(h)), 'handled but not in the document').toEqual([]);
    expect(documented.filter((d) => !handled.includes(d)), 'in the document but no handler').toEqual([]);
  });

  it('names every operation, and /developers describes each one in both languages', () => {
    const ops = Object.values(doc.paths as Doc).flatMap((o) => METHODS.flatMap((m) => (o[m] ? [o[m]] : [])));
    const idsOf = ops.map((op) => op.operationId);
    expect(new Set(idsOf).size).toBe(ops.length);
    const zh = developersPage(translator('zh-CN')).endpoints;
    const en = developersPage(translator('en')).endpoints;
    expect(zh).toHaveLength(ops.length);
    expect(zh.filter((e) => !/[\u4e00-\u9fff]/.test(e.summary)), 'without a Chinese description').toEqual([]);
    expect(en.filter((e, i) => e.summary === zh[i]!.summary || /[\u4e00-\u9fff]{3}/.test(e.summary)), 'without an English description').toEqual([]);
  });

  it('answers every documented status of every route as documented', async () => {
    const list = scenarios();
    for (const sc of list) {
      const res = await sc.call();
      const where = `${sc.method.toUpperCase()} ${sc.path} -> ${sc.status}`;
      expect(res.status, `${where} answered ${res.status}: ${JSON.stringify(res.json)}`).toBe(sc.status);
      const documented = doc.paths[sc.path]?.[sc.method]?.responses?.[String(sc.status)];
      expect(documented, `${where} is not documented`).toBeDefined();
      const schema = documented.content?.['application/json']?.schema;
      if (schema) expect(schemaProblems(doc, schema, res.json), where).toEqual([]);
      else expect(res.json, `${where} should have no body`).toBeNull();
      for (const header of Object.keys(documented.headers ?? {})) expect(res.headers.get(header), `${where} ${header}`).not.toBeNull();
      exercised.set(`${sc.method} ${sc.path} ${sc.status}`, res);
    }
    for (const { path, method, body } of requestBodies) {
      const schema = doc.paths[path][method].requestBody?.content?.['application/json']?.schema;
      if (schema) expect(schemaProblems(doc, schema, body), `${method.toUpperCase()} ${path} request body ${JSON.stringify(body)}`).toEqual([]);
    }
    const documentedAnswers = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops as Doc).flatMap(([m, op]) => Object.keys((op as Doc).responses).map((st) => `${m} ${p} ${st}`)),
    );
    expect(documentedAnswers.filter((a) => !exercised.has(a)), 'documented but never checked').toEqual([]);
  });
});
