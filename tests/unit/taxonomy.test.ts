import { describe, expect, it } from 'vitest';
import { buildTaxonomy, Tree } from '../../src/server/taxonomy/taxonomy.ts';
import { readCategoriesFile, readRegionsFile, ReferenceDataError } from '../../src/server/taxonomy/files.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const node = (id: number, parentId: number | null, slug: string) => ({ id, parentId, slug });

describe('Tree', () => {
  const tree = new Tree([
    node(360000, null, 'jiangxi'),
    node(360100, 360000, 'nanchang'),
    node(360102, 360100, 'donghu'),
    node(360121, 360100, 'nanchang-xian'),
    node(360700, 360000, 'ganzhou'),
    node(360781, 360700, 'ruijin'),
  ]);

  it('finds nodes by id and by slug', () => {
    expect(tree.bySlug.get('ruijin')?.id).toBe(360781);
    expect(tree.byId.get(360100)?.slug).toBe('nanchang');
    expect(tree.bySlug.get('nowhere')).toBeUndefined();
  });

  it('lists roots and children in insertion order', () => {
    expect(tree.roots.map((n) => n.slug)).toEqual(['jiangxi']);
    expect(tree.children(360100).map((n) => n.slug)).toEqual(['donghu', 'nanchang-xian']);
    expect(tree.children(360781)).toEqual([]);
  });

  it('gives the path from the root down', () => {
    expect(tree.path(360121).map((n) => n.slug)).toEqual(['jiangxi', 'nanchang', 'nanchang-xian']);
    expect(tree.path(1)).toEqual([]);
  });

  it('needs a root region', () => {
    expect(() => buildTaxonomy([], [])).toThrow(/No regions/);
  });
});

describe('the shipped reference data', () => {
  const regions = readRegionsFile('db/seed/regions/jiangxi.json');
  const categories = readCategoriesFile('db/seed/categories.json');

  it('has Jiangxi, its 11 cities and every county-level division under them', () => {
    expect(regions[0]).toMatchObject({ id: 360000, nameZh: '江西省', level: 1 });
    const cities = regions.filter((r) => r.level === 2);
    expect(cities.map((c) => c.nameZh)).toEqual([
      '南昌市', '景德镇市', '萍乡市', '九江市', '新余市', '鹰潭市', '赣州市', '吉安市', '宜春市', '抚州市', '上饶市',
    ]);
    const counties = regions.filter((r) => r.level === 3);
    expect(counties.length).toBe(100);
    for (const c of counties) expect(Math.floor(c.id / 100) * 100).toBe(c.parentId);
    expect(regions.find((r) => r.nameZh === '瑞金市')).toMatchObject({ id: 360781, parentId: 360700 });
    expect(regions.find((r) => r.nameZh === '铅山县')?.slug).toBe('yanshan');
  });

  it('has two levels of categories with unique slugs and per-category attributes', () => {
    const top = categories.filter((c) => c.parentSlug === null);
    expect(top.length).toBeGreaterThanOrEqual(15);
    for (const t of top) {
      const children = categories.filter((c) => c.parentSlug === t.slug);
      expect(children.length, t.slug).toBeGreaterThanOrEqual(5);
    }
    expect(categories.some((c) => c.attributes.length > 0)).toBe(true);
  });
});

describe('reading reference files', () => {
  const tmp = (content: string) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ref-')), 'data.json');
    fs.writeFileSync(file, content);
    return file;
  };

  it('names the file and the problem for broken JSON', () => {
    const file = tmp('{ not json');
    expect(() => readRegionsFile(file)).toThrow(ReferenceDataError);
    expect(() => readRegionsFile(file)).toThrow(file);
  });

  it('refuses a bad code, a bad slug and duplicate slugs', () => {
    const region = (code: string, slug: string) => ({ code, zh: '某地', short: '某', en: 'X', slug });
    expect(() => readRegionsFile(tmp(JSON.stringify(region('36', 'x'))))).toThrow(/6-digit/);
    expect(() => readRegionsFile(tmp(JSON.stringify(region('360000', 'Bad Slug'))))).toThrow(/slug/);
    const dup = { ...region('360000', 'a'), children: [region('360100', 'b'), region('360200', 'b')] };
    expect(() => readRegionsFile(tmp(JSON.stringify(dup)))).toThrow(/Duplicate region slug "b"/);
  });

  it('refuses a category without subcategories', () => {
    expect(() => readCategoriesFile(tmp(JSON.stringify([{ slug: 'a', zh: '甲', en: 'A', children: [] }])))).toThrow(
      ReferenceDataError,
    );
  });
});
