// POST /api/v1/listings/bulk as an ERP calls it: by name, by ref, again and again.
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { companies, listings } from '../../db/schema.ts';
import { POST as bulk } from '../../src/pages/api/v1/listings/bulk.ts';
import type { Db } from '../../src/server/db.ts';
import { apiDb, callApi, tokenHolder } from '../helpers/api.ts';

let db: Db;
let token: string;
let companyId: number;

beforeAll(() => {
  db = apiDb();
  ({ token, company: { id: companyId } } = tokenHolder(db));
  // Verified: an unverified company's bulk load waits for review as one batch (tests/integration/batches.test.ts).
  db.update(companies).set({ verified: true, verifiedAt: Date.now() }).where(eq(companies.id, companyId)).run();
});

const item = (i: number, over: Record<string, unknown> = {}) => ({
  ref: `SKU-${i}`,
  kind: '供应',
  category: '钢管',
  region: '南昌',
  title: `供应无缝钢管 规格${i}`,
  price: '18500元/吨',
  ...over,
});

const send = (body: unknown, opts: { ndjson?: boolean; lang?: string } = {}) =>
  callApi(bulk, {
    method: 'POST',
    path: '/api/v1/listings/bulk',
    token,
    lang: opts.lang,
    ...(opts.ndjson
      ? { raw: (body as unknown[]).map((b) => JSON.stringify(b)).join('\n') + '\n', type: 'application/x-ndjson' }
      : { body }),
  });

describe('POST /api/v1/listings/bulk', () => {
  it('creates by ref, then answers unchanged on a retry and updated for a changed item, across chunks', async () => {
    const items = Array.from({ length: 250 }, (_, i) => item(i));
    const first = await send(items);
    expect(first.status).toBe(200);
    expect(first.json.summary).toEqual({ created: 250, updated: 0, unchanged: 0, error: 0 });
    expect(first.json.items[0]).toMatchObject({ index: 0, ref: 'SKU-0', status: 'created', id: expect.any(Number) });
    expect(first.json.items[0].notices[0]).toMatchObject({ field: 'region' });
    const stored = db.select().from(listings).where(eq(listings.companyId, companyId)).all();
    expect(stored).toHaveLength(250);
    expect(stored.find((l) => l.importKey === 'SKU-7')).toMatchObject({ priceMin: 1_850_000, priceUnit: '吨', negotiable: false, status: 'active' });

    const again = await send(items, { ndjson: true });
    expect(again.json.summary).toEqual({ created: 0, updated: 0, unchanged: 250, error: 0 });
    expect(again.json.items.map((r: { id: number }) => r.id)).toEqual(first.json.items.map((r: { id: number }) => r.id));

    const changed = items.map((it, i) => (i % 25 === 0 ? { ...it, price: '19000元/吨' } : it));
    const third = await send(changed);
    expect(third.json.summary).toEqual({ created: 0, updated: 10, unchanged: 240, error: 0 });
    expect(db.select().from(listings).where(eq(listings.companyId, companyId)).all()).toHaveLength(250);
  });

  it('answers every malformed item with its fields, and writes the good ones', async () => {
    const res = await send([
      item(1000),
      { ...item(1001), kind: '卖' },
      { ...item(1002), region: '南昌镇', price: '很便宜' },
      { kind: 'supply', title: '没有编号的信息' },
      item(1000, { title: '同一编号再来一次' }),
      'not an object',
      { ...item(1003), attributes: { 材质: 'Q235B', nonsense: 1 } },
    ]);
    expect(res.status).toBe(200);
    expect(res.json.summary).toEqual({ created: 1, updated: 0, unchanged: 0, error: 6 });
    const [ok, kind, twoFields, noRef, dupe, notObject, attribute] = res.json.items;
    expect(ok.status).toBe('created');
    expect(kind).toMatchObject({ index: 1, ref: 'SKU-1001', status: 'error', errors: { kind: expect.stringContaining('（收到："卖"）') } });
    expect(Object.keys(twoFields.errors).sort()).toEqual(['price', 'region']);
    expect(noRef.errors).toEqual({ ref: expect.stringMatching(/^请填写 ref/) });
    expect(dupe.errors).toEqual({ ref: '与第 0 项的 ref 相同（收到："SKU-1000"）' });
    expect(notObject.errors).toEqual({ _: '每一项须为一个 JSON 对象' });
    expect(attribute.errors).toEqual({ 'attributes.nonsense': '该分类没有这个参数；可填：material (材质), od (外径), wall (壁厚), origin (产地)（收到：1）' });
    const choice = await send([{ ...item(1004), attributes: { material: 'Q235' } }], { lang: 'en' });
    expect(choice.json.items[0].errors).toEqual({ 'attributes.material': 'Choose one of: 20#、45#、Q235B、Q355B、16Mn、12Cr1MoV、L245 (received: "Q235")' });
  });

  it('refuses a ref whose listing was deleted, rather than bringing it back', async () => {
    const first = await send([item(4000)]);
    db.update(listings).set({ status: 'removed' }).where(eq(listings.id, first.json.items[0].id)).run();
    const again = await send([item(4000)], { lang: 'en' });
    expect(again.json.items[0]).toMatchObject({ status: 'error', errors: { ref: 'The listing with this ref was deleted and is not brought back (received: "SKU-4000")' } });
  });

  it('refuses an empty call, more than 1,000 items, and a JSON body that is not an array', async () => {
    expect((await send([])).status).toBe(422);
    const tooMany = await send(Array.from({ length: 1001 }, (_, i) => ({ ref: String(i) })), { lang: 'en' });
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.error.fields.items).toBe('At most 1,000 listings per call; send the rest in another call');
    expect((await send({ ref: 'x' })).json.error.code).toBe('body_not_array');
  });

  it('tells an item what it lacks in the API’s words: the field and what it takes, not the form’s instruction', async () => {
    const res = await send([{ ref: 'BARE-1', quantity: -1 }], { lang: 'en' });
    expect(res.json.items[0].errors).toEqual({
      kind: 'kind is required: supply (供应) or demand (求购)',
      category: expect.stringMatching(/^category is required \(or a title to suggest it from\): .* see \/api\/v1\/categories$/),
      region: expect.stringMatching(/^region is required: .* see \/api\/v1\/regions$/),
      title: 'title is required: 4 to 60 characters',
      quantity: 'quantity is a whole number, 0 or more (received: -1)',
    });
  });

  it('answers an NDJSON line that is not JSON as that item’s error, and reads the other lines', async () => {
    const raw = [JSON.stringify(item(5000)), '{oops', '', JSON.stringify(item(5001))].join('\n');
    const res = await callApi(bulk, { method: 'POST', path: '/api/v1/listings/bulk', token, raw, type: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.json.summary).toEqual({ created: 2, updated: 0, unchanged: 0, error: 1 });
    expect(res.json.items[1]).toEqual({ index: 1, ref: null, status: 'error', errors: { _: 'NDJSON 第 2 行不是有效的 JSON，这一行没有读取' } });
    expect(res.json.items.map((i: { ref: string | null }) => i.ref)).toEqual(['SKU-5000', null, 'SKU-5001']);
  });

  it('counts one request per 100 items and says where the token stands in RateLimit-* headers', async () => {
    const before = await send([item(2000)]);
    const remaining = Number(before.headers.get('ratelimit-remaining'));
    expect(before.headers.get('ratelimit-limit')).toBe('120');
    expect(before.headers.get('ratelimit-policy')).toBe('120;w=60');
    expect(Number(before.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    const big = await send(Array.from({ length: 250 }, (_, i) => item(3000 + i)));
    expect(big.status).toBe(200);
    expect(Number(big.headers.get('ratelimit-remaining'))).toBe(remaining - 3);
  });
});

describe('bulk loads that wait for review', () => {
  it("tells an unverified company its new listings wait for review in one batch, and a verified one's are live", async () => {
    const unverified = tokenHolder(db, 'shop');
    const res = await callApi(bulk, { method: 'POST', path: '/api/v1/listings/bulk', token: unverified.token, body: [item(1), item(2)] });
    expect(res.status).toBe(200);
    const batchId = res.json.batchId;
    expect(batchId).toEqual(expect.any(Number));
    expect(res.json.summary).toEqual({ created: 2, updated: 0, unchanged: 0, error: 0 });
    for (const r of res.json.items) expect(r).toMatchObject({ status: 'created', listingStatus: 'pending', batchId });
    expect(db.select().from(listings).where(eq(listings.id, res.json.items[0].id)).get()).toMatchObject({ status: 'pending', batchId });

    const live = await send([item(9000)]);
    expect(live.json.batchId).toBeNull();
    expect(live.json.items[0]).toMatchObject({ status: 'created', listingStatus: 'active' });
    expect(live.json.items[0]).not.toHaveProperty('batchId');
  });
});
