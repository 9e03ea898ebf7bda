// Where a listing sits in the region and category trees, with the ancestors the browse indexes read.
import { InvalidError } from '../errors.ts';
import type { Category, Region, Taxonomy } from '../taxonomy/taxonomy.ts';
import type { ListingFilter } from './queries.ts';

export interface Placement {
  regionId: number;
  cityId: number;
  categoryId: number;
  topCategoryId: number;
}

/** A listing is placed in a city or a county, and in an industry or one of its subcategories. */
export function placeListing(taxonomy: Taxonomy, regionId: number, categoryId: number): Placement {
  const regionPath = taxonomy.regions.path(regionId);
  const categoryPath = taxonomy.categories.path(categoryId);
  const fields: Record<string, string> = {};
  if (regionPath.length < 2) fields.regionId = 'invalid.region';
  if (categoryPath.length < 1) fields.categoryId = 'invalid.category';
  if (Object.keys(fields).length > 0) throw new InvalidError('invalid placement', fields);
  return { regionId, cityId: regionPath[1]!.id, categoryId, topCategoryId: categoryPath[0]!.id };
}

/** The filter for "everything in this region and category", ancestors included, on the narrowest index. */
export function placeFilter(taxonomy: Taxonomy, region: Region, category: Category | null): ListingFilter {
  const filter: ListingFilter = {};
  const depth = taxonomy.regions.path(region.id).length; // 1 the province, 2 a city, 3 a county
  if (depth === 2) filter.cityId = region.id;
  else if (depth > 2) filter.regionId = region.id;
  if (category) {
    if (category.parentId === null) filter.topCategoryId = category.id;
    else filter.categoryId = category.id;
  }
  return filter;
}
