// Reads and validates the reference-data files (regions tree, category tree), so another province or another
// industry mix is a different file, not a code change.
import fs from 'node:fs';
import { z } from 'zod';
import type { CategoryAttribute } from '../../../db/schema.ts';
import type { Region } from './taxonomy.ts';

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'slug must be lowercase ASCII words joined by "-"');

interface RegionNode {
  code: string;
  zh: string;
  short: string;
  en: string;
  slug: string;
  children?: RegionNode[];
}
const regionNode: z.ZodType<RegionNode> = z.lazy(() =>
  z.object({
    code: z.string().regex(/^\d{6}$/, 'code must be a 6-digit division code'),
    zh: z.string().min(1),
    short: z.string().min(1),
    en: z.string().min(1),
    slug,
    children: z.array(regionNode).optional(),
  }),
);

const attribute: z.ZodType<CategoryAttribute> = z.discriminatedUnion('type', [
  z.object({ key: z.string(), zh: z.string(), en: z.string(), type: z.literal('choice'), options: z.array(z.string()).min(1) }),
  z.object({ key: z.string(), zh: z.string(), en: z.string(), type: z.literal('number'), unit: z.string().optional() }),
  z.object({ key: z.string(), zh: z.string(), en: z.string(), type: z.literal('text') }),
]);
const categoryNode = z.object({
  slug,
  zh: z.string().min(1),
  en: z.string().min(1),
  attributes: z.array(attribute).optional(),
});
const categoryFile = z.array(categoryNode.extend({ children: z.array(categoryNode).min(1) })).min(1);

export type RegionSeed = Region;

export interface CategorySeed {
  slug: string;
  parentSlug: string | null;
  nameZh: string;
  nameEn: string;
  position: number;
  attributes: CategoryAttribute[];
}

export class ReferenceDataError extends Error {}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ReferenceDataError(`Cannot read reference data file ${file}: ${(e as Error).message}`);
  }
}

function parse<T>(schema: z.ZodType<T>, file: string): T {
  const result = schema.safeParse(readJson(file));
  if (!result.success) {
    const where = result.error.issues.slice(0, 5).map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ReferenceDataError(`Invalid reference data in ${file}:\n${where.join('\n')}`);
  }
  return result.data;
}

function assertUnique(values: string[], what: string, file: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new ReferenceDataError(`Duplicate ${what} "${v}" in ${file}`);
    seen.add(v);
  }
}

/** Flattens the province > city > county tree, parents first. */
export function readRegionsFile(file: string): RegionSeed[] {
  const root = parse(regionNode, file);
  const rows: RegionSeed[] = [];
  const walk = (node: RegionNode, parentId: number | null, level: number) => {
    const id = Number(node.code);
    rows.push({ id, parentId, level, slug: node.slug, nameZh: node.zh, shortZh: node.short, nameEn: node.en });
    for (const child of node.children ?? []) walk(child, id, level + 1);
  };
  walk(root, null, 1);
  assertUnique(rows.map((r) => String(r.id)), 'region code', file);
  assertUnique(rows.map((r) => r.slug), 'region slug', file);
  return rows;
}

/** Flattens the two-level category tree, parents first, keeping the file's order. */
export function readCategoriesFile(file: string): CategorySeed[] {
  const rows: CategorySeed[] = [];
  parse(categoryFile, file).forEach((top, i) => {
    rows.push({ slug: top.slug, parentSlug: null, nameZh: top.zh, nameEn: top.en, position: i, attributes: top.attributes ?? [] });
    top.children.forEach((child, j) =>
      rows.push({
        slug: child.slug,
        parentSlug: top.slug,
        nameZh: child.zh,
        nameEn: child.en,
        position: j,
        attributes: child.attributes ?? [],
      }),
    );
  });
  assertUnique(rows.map((r) => r.slug), 'category slug', file);
  return rows;
}
