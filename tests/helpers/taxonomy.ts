// The site's reference regions and categories as an in-memory taxonomy, for unit tests that need names resolved
// without a database (ids: division codes for regions, file order for categories).
import { readCategoriesFile, readRegionsFile } from '../../src/server/taxonomy/files.ts';
import { buildTaxonomy, type Category, type Region } from '../../src/server/taxonomy/taxonomy.ts';
import { REFERENCE_FILES } from './db.ts';

export function referenceTaxonomy() {
  const regions = readRegionsFile(REFERENCE_FILES.regionsFile) as Region[];
  const categories = readCategoriesFile(REFERENCE_FILES.categoriesFile).map((c, i, all) => ({
    id: i + 1,
    parentId: c.parentSlug === null ? null : all.findIndex((p) => p.slug === c.parentSlug) + 1,
    slug: c.slug,
    nameZh: c.nameZh,
    nameEn: c.nameEn,
    position: c.position,
    attributes: c.attributes,
  })) as Category[];
  return { regions, categories, taxonomy: buildTaxonomy(regions, categories) };
}
