// Spreadsheet rows name categories, regions and attributes the way people say them (钢材, 南昌, 材质); the listing
// contract takes slugs, ids and attribute keys. Names that identify exactly one thing are turned into those; anything
// else is left as typed, for the listing validation to report.
import type { CategoryAttribute } from '../../../db/schema.ts';
import type { Taxonomy } from '../taxonomy/taxonomy.ts';

function unique<T>(matches: T[]): T | undefined {
  return matches.length === 1 ? matches[0] : undefined;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A subcategory's id by its slug, id, Chinese or English name; else the text unchanged. */
export function resolveCategory(taxonomy: Taxonomy, text: string): string {
  const { categories } = taxonomy;
  if (categories.bySlug.has(text.toLowerCase()) || /^\d+$/.test(text)) return text;
  const leaves = [...categories.byId.values()].filter((c) => c.parentId !== null);
  const hit = unique(leaves.filter((c) => c.nameZh === text || same(c.nameEn, text)));
  return hit ? String(hit.id) : text;
}

/** A city's or county's id by its slug, id, full or short Chinese name (南昌市, 南昌) or English name; else unchanged. */
export function resolveRegion(taxonomy: Taxonomy, text: string): string {
  const { regions } = taxonomy;
  if (regions.bySlug.has(text.toLowerCase()) || /^\d+$/.test(text)) return text;
  const below = [...regions.byId.values()].filter((r) => r.parentId !== null);
  const hit =
    unique(below.filter((r) => r.nameZh === text)) ??
    unique(below.filter((r) => r.shortZh === text || same(r.nameEn, text)));
  return hit ? String(hit.id) : text;
}

/** Attribute columns named by label (材质) become the category's keys (material); unknown names stay for the error. */
export function resolveAttributeNames(
  definitions: CategoryAttribute[],
  given: Record<string, string>,
): { attributes: Record<string, string>; columnOf: Record<string, string> } {
  const attributes: Record<string, string> = {};
  const columnOf: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const def = definitions.find((d) => d.key === name || d.zh === name || same(d.en, name));
    const key = def?.key ?? name;
    attributes[key] = value;
    columnOf[key] = name;
  }
  return { attributes, columnOf };
}
