// The JSON API as an integration calls it: each endpoint's handler with real Requests, against the process's own
// database (DATA_DIR points at a temporary folder), so every status code of the edge is exercised.
import type { APIContext } from 'astro';
import { beforeAll, describe, expect, it } from 'vitest';
import { companies, listings } from '../../db/schema.ts';
import { MAX_BODY_BYTES } from '../../src/lib/api.ts';
import { DELETE, GET, PATCH } from '../../src/pages/api/v1/listings/[id].ts';
import { POST } from '../../src/pages/api/v1/listings/index.ts';
import { createApiToken, revokeApiToken } from '../../src/server/api-tokens/index.ts';
import { apiRateLimiter } from '../../src/server/api-tokens/rate.ts';
import { getDb, type Db } from '../../src/server/db.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { DAY, makeCompany, makeListing, makeUser, REFERENCE_FILES, tempDir } from '../helpers/db.ts';

process.env.DATA_DIR = tempDir();
let db: Db;
let token: string;
let otherToken: string;
let company: typeof companies.$inferSelect;
let owner: ReturnType<typeof makeUser>;

beforeAll(() => {
  db = getDb();
  seedTaxonomy(db, REFERENCE_FILES);
  owner = makeUser(db);
  company = makeCompany(db, { ownerId: owner.id, name: '南昌测试钢材有限公司', verified: true });
  token = createApiToken(db, owner.id, { name: 'test' }, Date.now()).token;
  const other = makeUser(db);
  makeCompany(db, { ownerId: other.id });
  otherToken = createApiToken(db, other.id, { name: 'other' }, Date.now()).token;
});

type Handler = (ctx: APIContext) => Response | Promise<Response>;

async function call(
  handler: Handler,
  opts: { id?: string; token?: string | null; body?: unknown; raw?: string; type?: string; lang?: string; method?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? token}`;
  if (opts.lang) headers['accept-language'] = opts.lang;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined || opts.type) headers['content-type'] = opts.type ?? 'application/json';
  const url = `http://localhost/api/v1/listings${opts.id ? `/${opts.id}` : ''}`;
  const request = new Request(url, { method: opts.method ?? 'POST', headers, body });
  const res = await handler({ request, params: { id: opts.id } } as unknown as APIContext);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

const valid = {
  kind: 'supply',
  category: 'grain-oil',
  region: 'nanchang-xian',
  title: '供应优质东北大米',
  description: '产地直供，量大从优。',
  priceType: 'range',
  priceMin: 3.8,
  priceMax: '4.25',
  priceUnit: '斤',
  quantity: 20000,
  quantityUnit: '斤',
  moq: 500,
  validityDays: 90,
  attributes: { grade: '一级', origin: '五常' },
};

describe('POST /api/v1/listings', () => {
  it('creates a listing for the token’s company and answers it in the API shape', async () => {
    const res = await call(POST, { body: valid });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const l = res.json;
    expect(l).toMatchObject({
      kind: 'supply',
      title: '供应优质东北大米',
      category: { slug: 'grain-oil', name: '粮油' },
      region: { slug: 'nanchang-xian', name: '南昌县' },
      price: { type: 'range', min: 3.8, max: 4.25, currency: 'CNY', unit: '斤' },
      quantity: 20000,
      quantityUnit: '斤',
      moq: 500,
      attributes: { grade: '一级', origin: '五常' },
      status: 'active',
      company: { slug: company.slug, name: '南昌测试钢材有限公司', verified: true },
      images: [],
    });
    expect(l.url).toMatch(new RegExp(`/listing/${l.id}-gong-ying-you-zhi-dong-bei-da-mi$`));
    expect(Date.parse(l.expiresAt) - Date.parse(l.publishedAt)).toBe(90 * DAY);
  });

  it('answers 422 with a message per field, in Chinese or in English', async () => {
    const bad = { ...valid, title: '大米', price: 'abc', priceType: 'single' };
    const zh = await call(POST, { body: bad });
    expect(zh.status).toBe(422);
    expect(zh.json.error.code).toBe('invalid');
    // Each field's message says what is accepted and what was received.
    expect(zh.json.error.fields).toMatchObject({
      title: '标题至少 4 个字（收到："大米"）',
      price: '请填写正确的金额（元），最多两位小数（收到："abc"）',
    });
    const en = await call(POST, { body: { ...valid, category: 'no-such' }, lang: 'en-US,en;q=0.9,zh;q=0.5' });
    expect(en.status).toBe(422);
    expect(en.json.error.message).toBe('Some fields are not valid; see the message for each field');
    expect(en.json.error.fields.category).toMatch(/^There is no such category: give a subcategory by name .*steel-pipe.*\(received: "no-such"\)$/);
    const missing = await call(POST, { body: {} });
    expect(Object.keys(missing.json.error.fields).sort()).toEqual(['category', 'kind', 'region', 'title']);
  });

  it('answers 400 for malformed JSON, a body that is not an object and a wrong content type', async () => {
    const broken = await call(POST, { raw: '{"title": "x",' });
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatchObject({ code: 'malformed_json', message: '请求体不是有效的 JSON' });
    expect((await call(POST, { raw: '[1,2]' })).json.error.code).toBe('body_not_object');
    const xml = await call(POST, { raw: '<listing/>', type: 'application/xml' });
    expect(xml.status).toBe(400);
    expect(xml.json.error.code).toBe('unsupported_content_type');
  });

  it('answers 413 for a body over the limit, and stores nothing', async () => {
    const before = db.select().from(listings).all().length;
    const res = await call(POST, { body: { ...valid, description: 'x'.repeat(MAX_BODY_BYTES) } });
    expect(db.select().from(listings).all().length).toBe(before);
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('body_too_large');
    expect(res.json.error.message).toBe('请求体过大：最多 64 KB');
  });

  it('answers 401 without a token, with a bad one and with a revoked one', async () => {
    const none = await call(POST, { token: null, body: valid });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.json.error.message).toContain('Authorization: Bearer');
    expect((await call(POST, { token: 'b2b_nottherealtoken', body: valid })).status).toBe(401);
    const { token: t, summary } = createApiToken(db, owner.id, { name: 'short-lived' }, Date.now());
    expect((await call(POST, { token: t, body: valid })).status).toBe(201);
    revokeApiToken(db, owner.id, summary.id, Date.now());
    const revoked = await call(POST, { token: t, body: valid });
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.message).toBe('此 API 令牌已被撤销');
  });
});

describe('GET /api/v1/listings/:id', () => {
  it('reads live, expired and closed listings with their status; removed is 410; drafts and unknown ids 404', async () => {
    const now = Date.now();
    const live = makeListing(db, company.id);
    const expired = makeListing(db, company.id, { expiresAt: now - DAY });
    const closed = makeListing(db, company.id, { status: 'closed' });
    const removed = makeListing(db, company.id, { status: 'removed' });
    const draft = makeListing(db, company.id, { status: 'draft' });
    const get = (id: number | string) => call(GET, { id: String(id), token: null, method: 'GET' });
    const res = await get(live.id);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('active');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect((await get(expired.id)).json.status).toBe('expired');
    expect((await get(closed.id)).json.status).toBe('closed');
    expect((await get(removed.id)).status).toBe(410);
    expect((await get(draft.id)).status).toBe(404);
    const unknown = await get(99_999_999);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');
    expect((await get('abc')).status).toBe(404);
  });

  it('names category and region in English for an English reader', async () => {
    const l = makeListing(db, company.id, { categoryId: undefined });
    const res = await call(GET, { id: String(l.id), token: null, method: 'GET', lang: 'en' });
    expect(res.json.region).toEqual({ id: 360102, slug: 'donghu', name: 'Donghu District' });
    expect(res.headers.get('vary')).toBe('Accept-Language');
  });
});

describe('PATCH and DELETE /api/v1/listings/:id', () => {
  it('changes only the fields given', async () => {
    const created = (await call(POST, { body: valid })).json;
    const res = await call(PATCH, { id: String(created.id), method: 'PATCH', body: { priceType: 'single', price: '4' } });
    expect(res.status).toBe(200);
    expect(res.json.price).toEqual({ type: 'single', min: 4, max: 4, currency: 'CNY', unit: '斤' });
    const { price: _p, updatedAt: _u, ...rest } = res.json;
    const { price: _p0, updatedAt: _u0, ...before } = created;
    expect(rest).toEqual(before);
  });

  it('answers 403 for another company’s listing and leaves it as it was', async () => {
    const created = (await call(POST, { body: valid })).json;
    const patch = await call(PATCH, { id: String(created.id), method: 'PATCH', token: otherToken, body: { title: '改成别人的标题' } });
    expect(patch.status).toBe(403);
    expect(patch.json.error.message).toBe('这条信息不属于您的企业');
    expect((await call(DELETE, { id: String(created.id), method: 'DELETE', token: otherToken })).status).toBe(403);
    expect((await call(GET, { id: String(created.id), token: null, method: 'GET' })).json.title).toBe(valid.title);
  });

  it('deletes: the listing then answers 410, and another delete too', async () => {
    const created = (await call(POST, { body: valid })).json;
    const del = await call(DELETE, { id: String(created.id), method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await call(GET, { id: String(created.id), token: null, method: 'GET' })).status).toBe(410);
    expect((await call(DELETE, { id: String(created.id), method: 'DELETE' })).status).toBe(410);
    expect((await call(PATCH, { id: '99999999', method: 'PATCH', body: { title: '不存在的信息' } })).status).toBe(404);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a token used up its window', async () => {
    const u = makeUser(db);
    makeCompany(db, { ownerId: u.id });
    const { token: t } = createApiToken(db, u.id, { name: 'busy' }, Date.now());
    for (let i = 0; i < apiRateLimiter.limit; i++) {
      expect((await call(DELETE, { id: '99999999', method: 'DELETE', token: t })).status).toBe(404);
    }
    const res = await call(DELETE, { id: '99999999', method: 'DELETE', token: t });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.json.error.code).toBe('rate_limited');
    // Other tokens keep their own budget.
    expect((await call(DELETE, { id: '99999999', method: 'DELETE' })).status).toBe(404);
  });
});
