// The likely subcategories of a listing from its title: the categories of live listings whose titles match the
// title's words best (through the search service, whichever engine answers), plus the subcategory names the title
// itself contains. Used by the posting form's first step, by GET /api/v1/categories/suggest, and to fill a missing
// category on an API create, a bulk item or a CSV row.
import type { Jieba } from '@node-rs/jieba';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import { jiebaWithDefaultDict } from '../jieba.ts';
import type { ListingNote } from '../listings/input.ts';
import { searchListings } from '../search/index.ts';
import { getTaxonomy, type Category, type Taxonomy } from '../taxonomy/taxonomy.ts';

export interface CategorySuggestion {
  category: Category;
  industry: Category;
  /** Share of the evidence, 0-1. */
  score: number;
}

// Words that say what kind of listing it is or praise it, not what it is about.
const FILLER = new Set(
  '供应 求购 出售 销售 批发 零售 采购 收购 厂家 厂商 直销 直供 现货 优质 大量 长期 高价 低价 优惠 特价 一批 全新 二手 供 求 有限公司 公司 规格 型号 价格 产品 各种 专业 定制 生产'.split(' '),
);
const MAX_WORDS = 4;

let jieba: Jieba | undefined;
/**
 * The title's words that may say what the listing is about: not filler, not numbers, not place names (宜春). Also
 * what leads/ matches a listing by.
 */
export function titleWords(title: string, places: Set<string>): string[] {
  // Built on the first title, not at start-up: a server that only serves pages never pays its 36 MB.
  jieba ??= jiebaWithDefaultDict();
  const seen = new Set<string>();
  for (const w of jieba.cut(title.normalize('NFKC').toLowerCase(), false)) {
    const word = w.trim();
    if ([...word].length < 2 || FILLER.has(word) || places.has(word) || /^[\d.\-/]+$/.test(word) || !/[\p{L}]/u.test(word)) continue;
    seen.add(word);
  }
  // Longer words say more (无缝钢管 over 钢管), and each is one search.
  return [...seen].sort((a, b) => [...b].length - [...a].length).slice(0, MAX_WORDS);
}

/** Every spelling of a region's name, which says where a listing is, not what it is. */
export function placeNames(regions: Taxonomy['regions']): Set<string> {
  return new Set([...regions.byId.values()].flatMap((r) => [r.nameZh, r.shortZh, r.nameZh.replace(/[市县区]$/, '')]));
}

/** The `limit` most likely subcategories for a title, best first (fewer when the evidence names fewer). */
export async function suggestCategories(db: Db, title: string, now: number, limit = 3): Promise<CategorySuggestion[]> {
  const { categories, regions } = getTaxonomy(db);
  const scores = new Map<number, number>();
  const add = (id: number, score: number) => scores.set(id, (scores.get(id) ?? 0) + score);
  const text = title.normalize('NFKC').toLowerCase();

  // A subcategory the title names (钢管 in 供应无缝钢管) is strong evidence: as much as the longest word's listings.
  for (const c of categories.byId.values()) {
    if (c.parentId !== null && (text.includes(c.nameZh.toLowerCase()) || text.includes(c.nameEn.toLowerCase()))) add(c.id, 3);
  }
  for (const word of titleWords(title, placeNames(regions))) {
    let hits;
    try {
      hits = (await searchListings(db, { q: word, sort: 'relevance' }, now)).hits;
    } catch (e) {
      if (e instanceof InvalidError) continue;
      throw e;
    }
    if (hits.length === 0) continue;
    // Each word's listings vote with one voice in all, the best matches loudest; a longer word counts more.
    const weights = hits.map((_, rank) => 1 / (rank + 2));
    const total = weights.reduce((a, b) => a + b, 0);
    const weight = Math.min(3, [...word].length - 1);
    hits.forEach((h, rank) => add(h.categoryId, (weight * weights[rank]!) / total));
  }
  const sum = [...scores.values()].reduce((a, b) => a + b, 0);
  return [...scores.entries()]
    .map(([id, score]) => ({ category: categories.byId.get(id)!, score }))
    .filter((s) => s.category && s.category.parentId !== null)
    .sort((a, b) => b.score - a.score || a.category.id - b.category.id)
    .slice(0, limit)
    .map((s) => ({ ...s, industry: categories.byId.get(s.category.parentId!)!, score: Math.round((s.score / sum) * 1000) / 1000 }));
}

/**
 * A create that names no category gets the most likely one from its title, and a note saying which; an input with a
 * category, or without a title, is returned as it was (the validation then says what is missing).
 */
export async function fillMissingCategory(db: Db, input: unknown, now: number, notes: ListingNote[]): Promise<unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const raw = input as Record<string, unknown>;
  const blank = raw.category === undefined || raw.category === null || (typeof raw.category === 'string' && raw.category.trim() === '');
  if (!blank || typeof raw.title !== 'string' || raw.title.trim() === '') return input;
  const [best] = await suggestCategories(db, raw.title, now, 1);
  if (!best) return input;
  notes.push({
    field: 'category',
    key: 'posting.categorySuggested',
    params: { chosen: `${best.industry.nameZh} › ${best.category.nameZh} (${best.category.slug})` },
  });
  return { ...raw, category: String(best.category.id) };
}
