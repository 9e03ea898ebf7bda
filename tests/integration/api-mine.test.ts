// GET /api/v1/listings?mine=1: an integration reconciles its catalogue, page by page, on an index at any size.
import { beforeAll, describe, expect, it } from 'vitest';
import { GET } from '../../src/pages/api/v1/listings/index.ts';
import { listingImages } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { ownRangeQuery, ownRanges } from '../../src/server/listings/own.ts';
import { apiDb, callApi, tokenHolder } from '../helpers/api.ts';
import { DAY, makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { recordStatements } from '../helpers/query-plans.ts';

let db: Db;
let token: string;
let companyId: number;
const ids: Record<string, number[]> = { active: [], expired: [], closed: [], removed: [] };

beforeAll(() => {
  db = apiDb();
  ({ token, company: { id: companyId } } = tokenHolder(db));
  const other = makeCompany(db, { ownerId: makeUser(db).id });
  makeListing(db, other.id, { title: '别家的信息' });
  const now = Date.now();
  for (let i = 0; i < 25; i++) {
    const status = (['active', 'active', 'expired', 'closed', 'removed'] as const)[i % 5];
    // Every tenth active one is past its expiry, not yet swept: it reads as expired.
    const pastExpiry = status === 'active' && i % 10 === 0;
    const l = makeListing(db, companyId, { title: `供应产品编号${i}`, status, importKey: `SKU-${i}`, expiresAt: pastExpiry ? now - DAY : now + DAY });
    ids[pastExpiry ? 'expired' : status!]!.push(l.id);
  }
});

const mine = (query: string, lang?: string) => callApi(GET, { path: `/api/v1/listings?${query}`, token, lang });

describe('GET /api/v1/listings?mine=1', () => {
  it('pages through every listing of the company in id order with a cursor, refs included', async () => {
    const seen: number[] = [];
    let next: string | null = '/api/v1/listings?mine=1&limit=10';
    let pages = 0;
    while (next) {
      const res = await callApi(GET, { path: next, token });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-remaining')).not.toBeNull();
      seen.push(...res.json.items.map((l: { id: number }) => l.id));
      next = res.json.next;
      pages++;
    }
    expect(pages).toBe(3);
    const all = Object.values(ids).flat().sort((a, b) => a - b);
    expect(seen).toEqual(all);
    const first = (await mine('mine=1&limit=1')).json;
    expect(first.items[0]).toMatchObject({ ref: 'SKU-0', status: 'expired' });
    expect(first.cursor).toBe(String(first.items[0].id));
  });

  it('filters by status, an active listing past its expiry counting as expired', async () => {
    for (const status of ['active', 'expired', 'closed', 'removed'] as const) {
      const res = await mine(`mine=1&status=${status}`);
      expect(res.json.items.map((l: { id: number }) => l.id)).toEqual([...ids[status]!].sort((a, b) => a - b));
      expect(new Set(res.json.items.map((l: { status: string }) => l.status))).toEqual(new Set([status]));
    }
  });

  it('refuses what it cannot answer, naming the parameter', async () => {
    expect((await mine('')).json.error.fields).toEqual({ mine: expect.stringMatching(/^目前只能列出本企业的信息/) });
    const bad = await mine('mine=1&status=sold&limit=0&cursor=abc', 'en');
    expect(bad.status).toBe(422);
    expect(bad.json.error.fields).toEqual({
      status: 'status is one of draft, pending, rejected, active, suspended, expired, closed, removed (received: "sold")',
      limit: 'limit is a whole number from 1 to 500 (received: "0")',
      cursor: 'The cursor is not valid: follow the next link of the previous page as it is (received: "abc")',
    });
    expect((await callApi(GET, { path: '/api/v1/listings?mine=1' })).status).toBe(401);
  });

  it('reads a fixed number of statements per page, whatever its size (no read per listing)', async () => {
    // Every listing of the page has an image, so a read of images per listing would show.
    const page = (await mine('mine=1&limit=25')).json.items as { id: number }[];
    for (const { id } of page) db.insert(listingImages).values({ listingId: id, position: 0, hash: `h${id}`, width: 10, height: 10, createdAt: 0 }).run();
    const executed = async (limit: number) => {
      const { result, executed } = await recordStatements(() => mine(`mine=1&limit=${limit}`));
      expect(result.json.items).toHaveLength(limit);
      expect(result.json.items.every((l: { images: unknown[] }) => l.images.length === 1)).toBe(true);
      return executed;
    };
    expect(await executed(25)).toBe(await executed(1));
  });

  it('reads one index range per status, in id order, without a sort, at 30,000 listings', () => {
    // Thirty companies, this one among them, share the listings.
    const companyIds = [companyId, ...Array.from({ length: 29 }, () => makeCompany(db, { ownerId: makeUser(db).id }).id)];
    const insert = db.$client.prepare(
      `INSERT INTO listings (company_id, kind, title, slug, category_id, region_id, city_id, top_category_id, status, created_at, updated_at, expires_at)
       SELECT ?, kind, title, slug, category_id, region_id, city_id, top_category_id, ?, created_at, updated_at, expires_at FROM listings WHERE id = ?`,
    );
    const sample = ids.active![0]!;
    db.$client.transaction(() => {
      for (let i = 0; i < 30_000; i++) insert.run(companyIds[i % 30], ['active', 'expired', 'closed', 'removed'][i % 4], sample);
    })();
    db.$client.exec('ANALYZE');
    const middle = 15_000;
    const ranges = [...ownRanges(undefined, Date.now()), ...ownRanges('active', Date.now()), ...ownRanges('expired', Date.now())];
    for (const [i, range] of ranges.entries()) {
      const { sql, params } = ownRangeQuery(db, companyId, range.status, i % 2 === 0 ? 0 : middle, 101, range.extra).toSQL();
      const plan = db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => (r as { detail: string }).detail).join('\n');
      expect(plan).toMatch(/SEARCH listings USING INDEX listings_company_status_id_idx \(company_id=\? AND status=\? AND id>\?\)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });
});
