// Bulk import as a company runs it: a spreadsheet saved from Excel, some bad rows, the same file imported again.
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listings, searchOutbox } from '../../db/schema.ts';
import { translator } from '../../src/server/i18n/index.ts';
import { ImportFileError, importListings } from '../../src/server/import/index.ts';
import { describeImport } from '../../src/server/import/report.ts';
import { importTemplate } from '../../src/server/import/template.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { freshDb, makeCompany, makeUser } from '../helpers/db.ts';
import { encodeGbk } from '../helpers/gbk.ts';

const db = freshDb();
// The site's search index exists from its first start on; a row without a category is placed through it.
ensureSearchIndex(db);
const owner = makeUser(db);
// Verified: an unverified company's import waits for review as one batch (tests/integration/batches.test.ts).
const company = makeCompany(db, { ownerId: owner.id, verified: true, verifiedAt: Date.now() });
const NOW = Date.UTC(2026, 10, 25, 3, 0);
const utf8 = (s: string) => new TextEncoder().encode(s);

const companyListings = () => db.select().from(listings).where(eq(listings.companyId, company.id)).all();
const byKey = (key: string) =>
  db.select().from(listings).where(and(eq(listings.companyId, company.id), eq(listings.importKey, key))).get();

const file = [
  '编号,类型,标题,分类,地区,价格,单位,数量,属性.等级,说明',
  'R-1,供应,供应优质东北大米,粮油,南昌县,3.85,斤,20000,一级,产地直供',
  'R-2,求购,求购菜籽油 50 吨,grain-oil,nanchang-xian,面议,,50,,',
  'R-3,供应,大米,粮油,南昌县,3.85,斤,,,', // title too short
  'R-4,卖,供应早籼稻谷,粮油,火星,abc,斤,,特级,', // kind, region, price wrong
  'R-1,供应,重复编号的行,粮油,南昌县,1,斤,,,',
].join('\n');

describe('importListings', () => {
  it('imports valid rows and reports each bad one with its line and reasons', async () => {
    const report = await importListings(db, owner.id, encodeGbk(file), NOW);
    expect(report).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    expect(report.failed.map((f) => f.line)).toEqual([4, 5, 6]);
    expect(report.failed[0]!.problems).toEqual([{ field: 'title', key: 'posting.titleTooShort', column: '标题' }]);
    expect(report.failed[1]!.problems.map((p) => p.column)).toEqual(expect.arrayContaining(['类型', '价格']));
    expect(report.failed[2]!.problems).toEqual([{ field: 'ref', key: 'import.duplicateRef', params: { line: 2 }, column: '编号' }]);

    const rice = byKey('R-1')!;
    expect(rice).toMatchObject({
      kind: 'supply',
      title: '供应优质东北大米',
      priceMin: 385,
      priceMax: 385,
      priceUnit: '斤',
      quantity: 20000,
      attributes: { grade: '一级' },
      description: '产地直供',
      status: 'active',
    });
    expect(byKey('R-2')).toMatchObject({ kind: 'demand', negotiable: true, quantity: 50 });
    // Both new listings are queued for the search index.
    const queued = db.select().from(searchOutbox).all().map((r) => r.listingId);
    expect(queued).toEqual(expect.arrayContaining(report.listingIds));

    const text = describeImport(report, translator('zh-CN'));
    expect(text.summary).toBe('新增 2 条，更新 0 条，未变 0 条，失败 3 条。');
    expect(text.failures[0]).toEqual({ line: '第 4 行', reasons: ['标题：标题至少 4 个字'] });
    expect(text.failures[2]!.reasons).toEqual(['编号：编号与第 2 行重复']);
    const en = describeImport(report, translator('en'));
    expect(en.summary).toBe('2 created, 0 updated, 0 unchanged, 3 failed.');
    expect(en.failures[0]).toEqual({ line: 'Line 4', reasons: ['标题: The title needs at least 4 characters'] });
  });

  it('creates no duplicates when the same file is imported again', async () => {
    const before = companyListings().length;
    const again = await importListings(db, owner.id, encodeGbk(file), NOW + 1000);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(companyListings().length).toBe(before);
  });

  it('updates a listing whose row changed, keeping its id', async () => {
    const id = byKey('R-1')!.id;
    const changed = file.replace('3.85,斤,20000', '3.95,斤,15000').replace(',一级,产地直供', ',,');
    const report = await importListings(db, owner.id, encodeGbk(changed), NOW + 2000);
    expect(report).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    // An emptied cell clears the value: the row is the whole listing.
    expect(byKey('R-1')).toMatchObject({ id, priceMin: 395, quantity: 15000, attributes: {}, description: '' });
  });

  it('reads a UTF-8 file with BOM and rows without a reference, keyed by their content', async () => {
    const csv = '\uFEFFkind,category,region,title,priceType,priceMin,priceMax,priceUnit\r\nsupply,grain-oil,donghu,供应有机大米礼盒,range,80,120,盒\r\n';
    const first = await importListings(db, owner.id, utf8(csv), NOW);
    expect(first).toMatchObject({ created: 1, failed: [] });
    const listing = db.select().from(listings).where(eq(listings.id, first.listingIds[0]!)).get()!;
    expect(listing).toMatchObject({ title: '供应有机大米礼盒', priceMin: 8000, priceMax: 12000 });
    expect(listing.importKey).toMatch(/^row-[0-9a-f]{32}$/);
    expect(await importListings(db, owner.id, utf8(csv), NOW)).toMatchObject({ created: 0, unchanged: 1 });
    // A changed row without a reference is another listing (nothing says which one it was).
    expect(await importListings(db, owner.id, utf8(csv.replace('120', '125')), NOW)).toMatchObject({ created: 1 });
  });

  it('refuses a file it cannot read as a whole, importing nothing', async () => {
    const before = companyListings().length;
    await expect(importListings(db, owner.id, utf8('名称,价钱\n大米,1\n'), NOW)).rejects.toThrow(ImportFileError);
    expect(companyListings().length).toBe(before);
  });

  it('imports a file of several batches with a bad row and a repeated row in the middle', async () => {
    const u = makeUser(db);
    const c = makeCompany(db, { ownerId: u.id });
    const lines = ['类型,标题,分类,地区,价格,单位'];
    for (let i = 0; i < 250; i++) lines.push(`供应,批量测试产品 ${i} 号,粮油,南昌县,${i + 1},吨`);
    lines[150] = '供应,短,粮油,南昌县,1,吨';
    lines[200] = lines[199]!;
    const report = await importListings(db, u.id, utf8(lines.join('\n')), NOW);
    expect(report).toMatchObject({ created: 248, unchanged: 1, updated: 0 });
    expect(report.failed.map((f) => f.line)).toEqual([151]);
    expect(db.select().from(listings).where(eq(listings.companyId, c.id)).all()).toHaveLength(248);
  });

  it('imports the downloadable template as it is', async () => {
    const template = importTemplate(getTaxonomy(db));
    expect(template.startsWith('\uFEFF编号,类型,标题,分类,地区,价格')).toBe(true);
    const report = await importListings(db, owner.id, utf8(template), NOW);
    expect(report).toMatchObject({ created: 2, failed: [] });
    expect(byKey('SKU-002')).toMatchObject({ kind: 'demand', negotiable: true, validityDays: 90 });
  });

  it('reads names and prices the way the API does: 南昌, 钢管, 18500元/吨, 1.2万元/吨, a missing category', async () => {
    const names = [
      '编号,类型,标题,分类,地区,价格',
      'N-1,供应,供应无缝钢管一批,钢管,南昌,18500元/吨',
      'N-2,求购,求购焊接钢管若干,Steel Pipes,南昌县,3800-4200 元/吨',
      'N-3,供应,供应镀锌钢管现货,,东湖区,1.2万元/吨',
      'N-4,供应,供应普通钢管,钢管,南昌镇,很便宜',
    ].join('\n');
    const report = await importListings(db, owner.id, utf8(names), NOW);
    expect(report).toMatchObject({ created: 3 });
    expect(byKey('N-1')).toMatchObject({ regionId: 360100, priceMin: 1_850_000, priceMax: 1_850_000, priceUnit: '吨' });
    expect(byKey('N-2')).toMatchObject({ kind: 'demand', regionId: 360121, priceMin: 380_000, priceMax: 420_000 });
    // No category: the one whose name the title contains.
    expect(getTaxonomy(db).categories.byId.get(byKey('N-3')!.categoryId)!.slug).toBe('steel-pipe');
    expect(byKey('N-3')).toMatchObject({ priceMin: 1_200_000, priceUnit: '吨' });
    // What was read where the file left room is said, for the person to check.
    expect(describeImport(report, translator('zh-CN')).notes).toEqual([
      { line: '第 2 行', reasons: [expect.stringMatching(/^地区：“南昌”按城市 南昌市 \(nanchang\) 处理/)] },
      { line: '第 4 行', reasons: [expect.stringMatching(/^分类：未填分类，按标题归入 钢材与金属制品 › 钢管 \(steel-pipe\)/)] },
    ]);
    const reasons = describeImport(report, translator('zh-CN')).failures[0]!.reasons;
    expect(reasons).toHaveLength(2);
    expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^地区：没有这个城市或区县/), expect.stringMatching(/^价格：无法识别的价格/)]));
  });

  it('needs a company', async () => {
    const loner = makeUser(db);
    await expect(importListings(db, loner.id, utf8(file), NOW)).rejects.toThrow('posting.needCompany');
  });
});
