// The reference data an integration needs to name regions and categories: the region tree (official division codes)
// and the category tree with each subcategory's attribute schema. Both names are given, whatever the reader's
// language, so a system can match either.
import type { CategoryAttribute } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { getTaxonomy, type Category, type Region, type Taxonomy } from '../taxonomy/taxonomy.ts';

export interface RegionJson {
  id: number;
  /** The official division code (GB/T 2260), the same number as the id. */
  code: string;
  slug: string;
  level: number;
  name: { zh: string; en: string };
  shortName: string;
  children: RegionJson[];
}

export interface AttributeJson {
  key: string;
  name: { zh: string; en: string };
  type: CategoryAttribute['type'];
  unit: string | null;
  choices: string[] | null;
  required: boolean;
}

export interface CategoryJson {
  id: number;
  slug: string;
  name: { zh: string; en: string };
  /** Only subcategories have attributes; listings are posted in a subcategory. */
  attributes?: AttributeJson[];
  children?: CategoryJson[];
}

function regionJson(taxonomy: Taxonomy, r: Region): RegionJson {
  return {
    id: r.id,
    code: String(r.id),
    slug: r.slug,
    level: r.level,
    name: { zh: r.nameZh, en: r.nameEn },
    shortName: r.shortZh,
    children: taxonomy.regions.children(r.id).map((c) => regionJson(taxonomy, c)),
  };
}

export function attributeJson(a: CategoryAttribute): AttributeJson {
  return {
    key: a.key,
    name: { zh: a.zh, en: a.en },
    type: a.type,
    unit: a.type === 'number' ? (a.unit ?? null) : null,
    choices: a.type === 'choice' ? a.options : null,
    // No attribute is required today: a listing may leave any of them out.
    required: false,
  };
}

function categoryJson(taxonomy: Taxonomy, c: Category): CategoryJson {
  const base = { id: c.id, slug: c.slug, name: { zh: c.nameZh, en: c.nameEn } };
  if (c.parentId !== null) return { ...base, attributes: c.attributes.map(attributeJson) };
  return { ...base, children: taxonomy.categories.children(c.id).map((s) => categoryJson(taxonomy, s)) };
}

/** The province with its cities and their counties. */
export function regionsApi(db: Db): { regions: RegionJson[] } {
  const taxonomy = getTaxonomy(db);
  return { regions: taxonomy.regions.roots.map((r) => regionJson(taxonomy, r)) };
}

/** The industries with their subcategories and each subcategory's attributes. */
export function categoriesApi(db: Db): { categories: CategoryJson[] } {
  const taxonomy = getTaxonomy(db);
  return { categories: taxonomy.categories.roots.map((c) => categoryJson(taxonomy, c)) };
}
