// The reference data an integration needs to name regions and categories: the region tree (official division codes)
// and the category tree with each subcategory's attribute schema. Both names are given, whatever the reader's
// language, so a system can match either.
import type { CategoryAttribute } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { getTaxonomy, type Category, type Region } from '../taxonomy/taxonomy.ts';
import type { AttributeJson, CategoriesAnswer, RegionsAnswer } from './schemas.ts';

function regionFields(r: Region) {
  return { id: r.id, code: String(r.id), slug: r.slug, level: r.level, name: { zh: r.nameZh, en: r.nameEn }, shortName: r.shortZh };
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

const names = (c: Category) => ({ zh: c.nameZh, en: c.nameEn });

/** The province with its cities and their counties. */
export function regionsApi(db: Db): RegionsAnswer {
  const { regions } = getTaxonomy(db);
  return {
    regions: regions.roots.map((province) => ({
      ...regionFields(province),
      children: regions.children(province.id).map((city) => ({
        ...regionFields(city),
        children: regions.children(city.id).map((county) => ({ ...regionFields(county), children: [] })),
      })),
    })),
  };
}

/** The industries with their subcategories and each subcategory's attributes. */
export function categoriesApi(db: Db): CategoriesAnswer {
  const { categories } = getTaxonomy(db);
  return {
    categories: categories.roots.map((top) => ({
      id: top.id,
      slug: top.slug,
      name: names(top),
      children: categories.children(top.id).map((c) => ({ id: c.id, slug: c.slug, name: names(c), attributes: c.attributes.map(attributeJson) })),
    })),
  };
}
