// The inquiry endpoints of the JSON API, called as an integration calls them (real Requests to the handlers, the
// process's own database): a company pulls its leads, pages and polls with since=, reads one, replies; another
// company's token sees none of it; errors have the API's one shape.
import type { APIContext } from 'astro';
import { beforeAll, describe, expect, it } from 'vitest';
import { GET as getOne } from '../../src/pages/api/v1/inquiries/[id].ts';
import { POST as reply } from '../../src/pages/api/v1/inquiries/[id]/replies.ts';
import { GET as list } from '../../src/pages/api/v1/inquiries/index.ts';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { getDb, type Db } from '../../src/server/db.ts';
import { formStamp } from '../../src/server/inquiries/keys.ts';
import { sendInquiry } from '../../src/server/inquiries/send.ts';
import { openThread } from '../../src/server/inquiries/threads.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { makeCompany, makeListing, makeUser, REFERENCE_FILES, tempDir } from '../helpers/db.ts';

process.env.DATA_DIR = tempDir();
const NOW = Date.now();
let db: Db;
let token: string;
let otherToken: string;
const threads: number[] = [];
let buyerId = '';

beforeAll(() => {
  db = getDb();
  seedTaxonomy(db, REFERENCE_FILES);
  const owner = makeUser(db);
  const company = makeCompany(db, { ownerId: owner.id });
  const listing = makeListing(db, company.id, { title: '供应螺纹钢', priceUnit: '吨' });
  token = createApiToken(db, owner.id, { name: 'crm' }, NOW).token;
  const other = makeUser(db);
  makeCompany(db, { ownerId: other.id });
  otherToken = createApiToken(db, other.id, { name: 'other' }, NOW).token;
  const buyer = { ...makeUser(db, { email: 'buyer@example.com' }), isAdmin: false };
  buyerId = buyer.id;
  for (let i = 0; i < 3; i++) {
    const at = NOW - (3 - i) * 60_000;
    const values = { started: formStamp(db, at - 60_000), contactName: '李采购', phone: '13812345678', message: `第 ${i} 条：螺纹钢 20 吨多少钱？`, quantity: '20', quantityUnit: '吨', targetPrice: '3650.5' };
    threads.push(sendInquiry(db, { target: { listingId: listing.id }, user: buyer, values, ip: '192.0.2.1', locale: 'zh-CN' }, at).threadId);
  }
});

type Handler = (ctx: APIContext) => Response | Promise<Response>;

async function call(handler: Handler, path: string, opts: { id?: number; token?: string | null; body?: unknown; method?: string; lang?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? token}`;
  if (opts.lang) headers['accept-language'] = opts.lang;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const request = new Request(`http://localhost${path}`, { method: opts.method ?? 'GET', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const res = await handler({ request, params: { id: opts.id === undefined ? undefined : String(opts.id) } } as unknown as APIContext);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

describe('GET /api/v1/inquiries', () => {
  it('lists the company’s leads newest first, with the asker and the terms', async () => {
    const res = await call(list, '/api/v1/inquiries');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ page: 1, perPage: 20, total: 3, pages: 1 });
    expect(res.json.items.map((i: { id: number }) => i.id)).toEqual([...threads].reverse());
    expect(res.json.items[0]).toMatchObject({
      kind: 'inquiry',
      asker: { name: '李采购', email: 'buyer@example.com', phone: '13812345678' },
      terms: { quantity: 20, quantityUnit: '吨', price: { min: 3650.5, max: 3650.5, unit: '', negotiable: false } },
      listing: { title: '供应螺纹钢' },
      unread: true,
    });
  });

  it('pages and polls with since=', async () => {
    const page2 = await call(list, '/api/v1/inquiries?per_page=2&page=2');
    expect(page2.json).toMatchObject({ page: 2, perPage: 2, total: 3, pages: 2 });
    expect(page2.json.items.map((i: { id: number }) => i.id)).toEqual([threads[0]]);
    const since = new Date(NOW - 2 * 60_000).toISOString();
    const recent = await call(list, `/api/v1/inquiries?since=${encodeURIComponent(since)}`);
    expect(recent.json.items.map((i: { id: number }) => i.id)).toEqual([threads[2], threads[1]]);
    const ms = await call(list, `/api/v1/inquiries?since=${NOW - 60_000}`);
    expect(ms.json.total).toBe(1);
  });

  it('refuses bad paging with the API’s error shape, and answers 401 without a token', async () => {
    const bad = await call(list, '/api/v1/inquiries?per_page=1000&since=yesterday', { lang: 'en' });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatchObject({ code: 'invalid', fields: { per_page: 'per_page must be a whole number from 1 to 100 (received: "1000")', since: expect.stringContaining('ISO 8601') } });
    expect((await call(list, '/api/v1/inquiries', { token: null })).status).toBe(401);
  });

  it('another company sees none of them', async () => {
    expect((await call(list, '/api/v1/inquiries', { token: otherToken })).json.total).toBe(0);
    const res = await call(getOne, `/api/v1/inquiries/${threads[0]}`, { id: threads[0], token: otherToken });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
    expect(res.json.error.message).toBe('没有这条询盘，或它不是发给本企业的');
    const write = await call(reply, `/api/v1/inquiries/${threads[0]}/replies`, { id: threads[0], token: otherToken, method: 'POST', body: { message: '插一句话' } });
    expect(write.status).toBe(404);
  });
});

describe('GET /api/v1/inquiries/:id and POST .../replies', () => {
  it('reads a thread with its messages without marking it read, and replies as the company', async () => {
    const id = threads[0]!;
    const res = await call(getOne, `/api/v1/inquiries/${id}`, { id });
    expect(res.status).toBe(200);
    expect(res.json.messages).toEqual([expect.objectContaining({ from: 'asker', author: '李采购', body: '第 0 条：螺纹钢 20 吨多少钱？' })]);
    expect(res.json.unread).toBe(true);
    const sent = await call(reply, `/api/v1/inquiries/${id}/replies`, { id, method: 'POST', body: { message: '3600 元/吨，含税到厂。' } });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({ from: 'company', body: '3600 元/吨，含税到厂。' });
    const after = await call(getOne, `/api/v1/inquiries/${id}`, { id });
    expect(after.json.messages).toHaveLength(2);
    expect(after.json.firstReplyAt).not.toBeNull();
    // The buyer sees the reply in the thread.
    const buyerView = openThread(db, id, { userId: buyerId });
    expect(buyerView.messages.at(-1)!.body).toBe('3600 元/吨，含税到厂。');
  });

  it('an empty reply is refused with the field’s message', async () => {
    const id = threads[1]!;
    const res = await call(reply, `/api/v1/inquiries/${id}/replies`, { id, method: 'POST', body: { message: '' } });
    expect(res.status).toBe(422);
    expect(res.json.error.fields).toEqual({ message: '留言至少 5 个字' });
  });
});
