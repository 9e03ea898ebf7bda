// Loads the reference data files into SQLite. Idempotent: rows are matched by code (regions) or slug (categories)
// and updated in place, never deleted, so listings keep their region and category across re-seeds.
import { categories, regions } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { readCategoriesFile, readRegionsFile } from './files.ts';
import { forgetTaxonomy } from './taxonomy.ts';

export function seedTaxonomy(db: Db, files: { regionsFile: string; categoriesFile: string }): void {
  const regionRows = readRegionsFile(files.regionsFile);
  const categoryRows = readCategoriesFile(files.categoriesFile);
  db.transaction(
    (tx) => {
      for (const r of regionRows) {
        tx.insert(regions)
          .values(r)
          .onConflictDoUpdate({
            target: regions.id,
            set: { parentId: r.parentId, level: r.level, slug: r.slug, nameZh: r.nameZh, shortZh: r.shortZh, nameEn: r.nameEn },
          })
          .run();
      }
      const idBySlug = new Map<string, number>();
      for (const c of categoryRows) {
        const parentId = c.parentSlug === null ? null : idBySlug.get(c.parentSlug)!;
        const values = { parentId, slug: c.slug, nameZh: c.nameZh, nameEn: c.nameEn, position: c.position, attributes: c.attributes };
        const row = tx
          .insert(categories)
          .values(values)
          .onConflictDoUpdate({ target: categories.slug, set: values })
          .returning({ id: categories.id })
          .get();
        idBySlug.set(c.slug, row.id);
      }
    },
    { behavior: 'immediate' },
  );
  forgetTaxonomy(db);
}
