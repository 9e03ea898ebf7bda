// GET /api/v1/categories/suggest?title=...: the three most likely subcategories for a listing title.
import { z } from 'zod';
import { suggestCategories } from '../category-suggest/index.ts';
import type { Db } from '../db.ts';
import { parseInput } from '../validation.ts';
import type { CategorySuggestAnswer } from './schemas.ts';

export const suggestQuerySchema = z.object({
  title: z
    .string({ error: 'api.suggest.titleRequired' })
    .trim()
    .min(2, 'api.suggest.titleRequired')
    .max(60, 'api.suggest.titleRequired')
    .meta({ description: 'The listing title, e.g. 供应Q235B无缝钢管' }),
});

export async function categorySuggestApi(db: Db, query: URLSearchParams, now: number): Promise<CategorySuggestAnswer> {
  const { title } = parseInput(suggestQuerySchema, { title: query.get('title') ?? undefined });
  const names = (c: { nameZh: string; nameEn: string }) => ({ zh: c.nameZh, en: c.nameEn });
  return {
    title,
    suggestions: (await suggestCategories(db, title, now)).map((s) => ({
      id: s.category.id,
      slug: s.category.slug,
      name: names(s.category),
      industry: { id: s.industry.id, slug: s.industry.slug, name: names(s.industry) },
      score: s.score,
    })),
  };
}
