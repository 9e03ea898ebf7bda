// The category from the title: suggested through search over live listings, and filled in when a create has none.
import { beforeAll, describe, expect, it } from 'vitest';
import { GET } from '../../src/pages/api/v1/categories/suggest.ts';
import { POST as bulk } from '../../src/pages/api/v1/listings/bulk.ts';
import { POST } from '../../src/pages/api/v1/listings/index.ts';
import { suggestCategories } from '../../src/server/category-suggest/index.ts';
import type { Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { apiDb, callApi, tokenHolder } from '../helpers/api.ts';

let db: Db;
let token: string;
const now = Date.now();

beforeAll(() => {
  db = apiDb();
  // Enough listings that most subcategories have some (demo companies each keep to a few subcategories).
  writeDemoData(db, { listings: 3000, seed: 1, now });
  ensureSearchIndex(db, now);
  token = tokenHolder(db).token;
});

describe('category suggestions from a title', () => {
  it('ranks the subcategories of listings whose titles match, best first', async () => {
    const pipes = await suggestCategories(db, '供应Q235B焊接钢管 大量现货', now);
    expect(pipes[0]!.category.slug).toBe('steel-pipe');
    expect(pipes.length).toBeLessThanOrEqual(3);
    const oranges = await suggestCategories(db, '赣南脐橙 产地直发', now);
    expect(oranges.map((s) => s.category.slug)).toContain('fruit');
    expect(await suggestCategories(db, '！！！', now)).toEqual([]);
  });

  it('answers GET /api/v1/categories/suggest, and 422 without a title', async () => {
    const res = await callApi(GET, { path: `/api/v1/categories/suggest?title=${encodeURIComponent('供应无缝钢管')}` });
    expect(res.status).toBe(200);
    expect(res.json.title).toBe('供应无缝钢管');
    expect(res.json.suggestions[0]).toMatchObject({ slug: 'steel-pipe', name: { zh: '钢管', en: 'Steel Pipes' }, industry: { slug: 'steel' } });
    expect(res.json.suggestions[0].score).toBeGreaterThan(0);
    const missing = await callApi(GET, { path: '/api/v1/categories/suggest' });
    expect(missing.status).toBe(422);
    expect(Object.keys(missing.json.error.fields)).toEqual(['title']);
  });

  it('fills a missing category on an API create and a bulk item, saying which it chose', async () => {
    const one = await callApi(POST, { method: 'POST', path: '/api/v1/listings', token, body: { kind: '供应', region: '南昌', title: '供应焊接钢管 现货' } });
    expect(one.status).toBe(201);
    expect(one.json.category.slug).toBe('steel-pipe');
    expect(one.json.notices.map((n: { field: string }) => n.field)).toEqual(['category', 'region']);
    expect(one.json.notices[0].message).toMatch(/^未填分类，按标题归入 钢材与金属制品 › 钢管 \(steel-pipe\)/);
    const many = await callApi(bulk, { method: 'POST', path: '/api/v1/listings/bulk', token, body: [{ ref: 'X-1', kind: 'supply', region: '东湖', title: '供应赣南脐橙' }] });
    expect(many.json.items[0]).toMatchObject({ status: 'created', notices: [{ field: 'category' }] });
  });
});
