// GET /api/v1/search and /api/v1/suggest through the API's edge: the same answers as the search service, errors in
// the API's one shape naming the parameter, the value received and what it takes, in the reader's language.
import { beforeAll, describe, expect, it } from 'vitest';
import { GET as search } from '../../src/pages/api/v1/search.ts';
import { GET as suggest } from '../../src/pages/api/v1/suggest.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { apiDb, callApi } from '../helpers/api.ts';
import { makeCompany, makeListing, makeUser } from '../helpers/db.ts';

let listingId = 0;

beforeAll(() => {
  const db = apiDb();
  const company = makeCompany(db, { ownerId: makeUser(db).id });
  listingId = makeListing(db, company.id, { title: '供应无缝钢管现货' }).id;
  ensureSearchIndex(db, Date.now());
});

describe('GET /api/v1/search', () => {
  it('answers a page of hits with facets, cacheable with an ETag', async () => {
    const res = await callApi(search, { path: `/api/v1/search?q=${encodeURIComponent('钢管')}` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ query: '钢管', total: 1, page: 1, next: null });
    expect(res.json.hits.map((h: { id: number }) => h.id)).toEqual([listingId]);
    const again = await callApi(search, { path: `/api/v1/search?q=${encodeURIComponent('钢管')}`, headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('names each bad parameter, the value received and what it takes, in Chinese or English', async () => {
    const path = '/api/v1/search?kind=ads&price_min=abc&sort=cheapest&region=mars';
    const zh = await callApi(search, { path });
    expect(zh.status).toBe(422);
    expect(zh.json.error.code).toBe('invalid');
    expect(zh.json.error.fields).toEqual({
      kind: 'kind 只能是 supply（供应）或 demand（求购）（收到："ads"）',
      price_min: expect.stringMatching(/^price_min、price_max 为价格（元）.*（收到："abc"）$/),
      sort: 'sort 只能是 relevance、newest、price_asc 或 price_desc（收到："cheapest"）',
    });
    const en = await callApi(search, { path: '/api/v1/search?region=mars', lang: 'en' });
    expect(en.json.error.fields).toEqual({
      region: expect.stringMatching(/^No such region: region is the id .* see \/api\/v1\/regions \(received: "mars"\)$/),
    });
  });
});

describe('GET /api/v1/suggest', () => {
  it('suggests for any text, and nothing for none', async () => {
    const res = await callApi(suggest, { path: `/api/v1/suggest?q=${encodeURIComponent('钢')}` });
    expect(res.status).toBe(200);
    expect(res.json.suggestions.length).toBeGreaterThan(0);
    expect((await callApi(suggest, { path: '/api/v1/suggest' })).json).toEqual({ query: '', suggestions: [] });
  });
});
