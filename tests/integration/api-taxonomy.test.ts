// The taxonomy endpoints and the forgiving names an integration may send instead of our slugs.
import { beforeAll, describe, expect, it } from 'vitest';
import { GET as categoriesGET } from '../../src/pages/api/v1/categories/index.ts';
import { POST } from '../../src/pages/api/v1/listings/index.ts';
import { GET as regionsGET } from '../../src/pages/api/v1/regions.ts';
import type { Db } from '../../src/server/db.ts';
import { apiDb, callApi, tokenHolder } from '../helpers/api.ts';

let db: Db;
let token: string;

beforeAll(() => {
  db = apiDb();
  token = tokenHolder(db).token;
});

describe('GET /api/v1/regions and /api/v1/categories', () => {
  it('answers the region tree with codes, slugs and both names, and 304 for its ETag', async () => {
    const res = await callApi(regionsGET, { path: '/api/v1/regions' });
    expect(res.status).toBe(200);
    const [province] = res.json.regions;
    expect(province).toMatchObject({ id: 360000, code: '360000', slug: 'jiangxi', level: 1, name: { zh: '江西省', en: 'Jiangxi' } });
    const nanchang = province.children.find((c: { slug: string }) => c.slug === 'nanchang');
    expect(nanchang.children).toContainEqual({
      id: 360121, code: '360121', slug: 'nanchang-xian', level: 3, name: { zh: '南昌县', en: 'Nanchang County' }, shortName: '南昌县', children: [],
    });
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const again = await callApi(regionsGET, { path: '/api/v1/regions', headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.json).toBeNull();
  });

  it('answers the category tree with each subcategory’s attribute schema', async () => {
    const res = await callApi(categoriesGET, { path: '/api/v1/categories' });
    expect(res.status).toBe(200);
    const steel = res.json.categories.find((c: { slug: string }) => c.slug === 'steel');
    const pipe = steel.children.find((c: { slug: string }) => c.slug === 'steel-pipe');
    expect(pipe).toMatchObject({ slug: 'steel-pipe', name: { zh: '钢管', en: 'Steel Pipes' } });
    expect(pipe.attributes.length).toBeGreaterThan(0);
    for (const a of pipe.attributes) {
      expect(a).toEqual({
        key: expect.any(String),
        name: { zh: expect.any(String), en: expect.any(String) },
        type: expect.stringMatching(/^(choice|number|text)$/),
        unit: a.type === 'number' ? a.unit : null,
        choices: a.type === 'choice' ? expect.any(Array) : null,
        required: false,
      });
    }
    const again = await callApi(categoriesGET, { path: '/api/v1/categories', headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });
});

describe('names and values as people write them', () => {
  const post = (body: unknown, lang?: string) => callApi(POST, { method: 'POST', path: '/api/v1/listings', token, body, lang });

  it('takes 南昌, 钢管, 供应 and 18500元/吨, and says which region 南昌 was read as', async () => {
    const res = await post({ kind: '供应', category: '钢管', region: '南昌', title: '供应无缝钢管 现货', price: '18500元/吨' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      kind: 'supply',
      category: { slug: 'steel-pipe', name: '钢管' },
      region: { id: 360100, slug: 'nanchang', name: '南昌市' },
      price: { type: 'single', min: 18500, max: 18500, unit: '吨' },
    });
    expect(res.json.notices).toEqual([{ field: 'region', message: expect.stringMatching(/^“南昌”按城市 南昌市 \(nanchang\) 处理；如指 南昌市 南昌县 \(nanchang-xian\)/) }]);
    const county = await post({ kind: '求购', category: 'Steel Pipes', region: '南昌县', title: '求购焊接钢管一批', price: '1.2万元/吨' });
    expect(county.json).toMatchObject({ kind: 'demand', region: { slug: 'nanchang-xian' }, price: { type: 'single', min: 12000, unit: '吨' } });
    expect(county.json.notices).toBeUndefined();
    const range = await post({ kind: 'supply', category: '钢管', region: '东湖区', title: '供应螺旋钢管', price: '3800-4200 元/吨' });
    expect(range.json.price).toEqual({ type: 'range', min: 3800, max: 4200, currency: 'CNY', unit: '吨' });
    const negotiable = await post({ kind: 'supply', category: '钢管', region: '东湖', title: '供应镀锌钢管', price: '面议' });
    expect(negotiable.json.price.type).toBe('negotiable');
    const structured = await post({ kind: 'supply', category: '钢管', region: '东湖', title: '供应不锈钢管', price: { type: 'range', min: 10, max: 12.5, unit: '米' } });
    expect(structured.json.price).toEqual({ type: 'range', min: 10, max: 12.5, currency: 'CNY', unit: '米' });
  });

  it('names the field, the value received and what is accepted, in the reader’s language', async () => {
    const bad = { kind: '卖', category: '陶瓷', region: '南昌镇', title: '供应一批好货', price: '很便宜' };
    const zh = await post(bad);
    expect(zh.status).toBe(422);
    expect(zh.json.error.fields).toEqual({
      kind: '信息类型只能是 supply（供应）或 demand（求购）（收到："卖"）',
      category: expect.stringMatching(/^这是行业大类，请填其下的一个子分类：日用陶瓷 \(daily-ceramics\)、.*（收到："陶瓷"）$/),
      region: expect.stringMatching(/^没有这个城市或区县：请填本省城市或区县的名称（如 南昌、南昌县）.*（收到："南昌镇"）$/),
      price: expect.stringMatching(/^无法识别的价格：.*"18500元\/吨".*（收到："很便宜"）$/),
    });
    // The old message claimed 南昌 was outside the province; no message names values the API does not take.
    expect(JSON.stringify(zh.json)).not.toContain('请选择本省的城市或区县');
    const en = await post(bad, 'en');
    expect(en.json.error.fields.kind).toBe('The kind is either supply (供应) or demand (求购) (received: "卖")');
    expect(en.json.error.fields.region).toMatch(/^There is no such city or county: .*\(received: "南昌镇"\)$/);
    const wide = await post({ ...bad, kind: 'supply', category: '钢管', region: '江西省', price: 100 });
    expect(wide.json.error.fields).toEqual({ region: '请具体到城市或区县（如 南昌、南昌县），不能只填省份（收到："江西省"）' });
  });
});
