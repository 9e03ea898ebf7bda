// Regions and categories as people name them: an id, a slug, or a Chinese or English name, with or without the
// 市/县/区 suffix (南昌, 南昌市, nanchang, Nanchang County). One resolver for the posting form, the JSON API and the
// CSV import, so every path accepts the same names. A name that fits several places is an error listing them, except
// the one common case people mean without saying: a bare name shared by a city and one of its counties (南昌 for
// 南昌市 and 南昌县) means the city, and the resolution says so.
import type { Params } from '../i18n/index.ts';
import type { Category, Region, Taxonomy } from './taxonomy.ts';

/** A message key with its parameters (the value received, the candidates...). */
export interface NameProblem {
  key: string;
  params: Params;
}

export type Resolution<T> = { node: T; note?: NameProblem } | { problem: NameProblem };

const CANDIDATES_SHOWN = 8;

function clean(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

/** 南昌市 -> 南昌, Nanchang County -> nanchang: the part of a name people keep when they shorten it. */
const bareZh = (s: string) => s.replace(/\s+/g, '').replace(/(?:自治县|市|县|区)$/, '');
const bareEn = (s: string) =>
  s
    .toLowerCase()
    .replace(/\b(?:city|county|district|prefecture)\b/g, '')
    .replace(/[\s'-]+/g, '');

function describeRegion(taxonomy: Taxonomy, r: Region): string {
  const path = taxonomy.regions.path(r.id).slice(1);
  return `${path.map((p) => p.nameZh).join(' ')} (${r.slug})`;
}

function describeCategory(taxonomy: Taxonomy, c: Category): string {
  return `${taxonomy.categories.path(c.id).map((p) => p.nameZh).join(' › ')} (${c.slug})`;
}

function list(items: string[]): string {
  const shown = items.slice(0, CANDIDATES_SHOWN).join('、');
  return items.length > CANDIDATES_SHOWN ? `${shown}…` : shown;
}

/** The regions below the province whose name (any spelling) is `text`. */
function regionsNamed(taxonomy: Taxonomy, among: Region[], text: string): Region[] {
  const exact = among.filter((r) => r.nameZh === text || r.nameEn.toLowerCase() === text.toLowerCase());
  if (exact.length > 0) return exact;
  const zh = bareZh(text);
  const en = bareEn(text);
  return among.filter(
    (r) =>
      (zh !== '' && (bareZh(r.nameZh) === zh || bareZh(r.shortZh) === zh)) || (en !== '' && bareEn(r.nameEn) === en),
  );
}

/** A city or county by id, slug or name; the province itself is too wide for a listing. */
export function resolveRegion(taxonomy: Taxonomy, raw: string | number): Resolution<Region> {
  const value = clean(String(raw));
  const { regions, rootRegion } = taxonomy;
  const tooWide = { problem: { key: 'posting.regionTooWide', params: { value } } };
  const direct = /^\d+$/.test(value) ? regions.byId.get(Number(value)) : regions.bySlug.get(value.toLowerCase());
  if (direct) return direct.parentId === null ? tooWide : { node: direct };
  if ([rootRegion.nameZh, rootRegion.shortZh].includes(value) || bareEn(rootRegion.nameEn) === bareEn(value)) return tooWide;

  // 江西省南昌市 and 江西南昌县 name the province first.
  const text = value.replace(new RegExp(`^(?:${rootRegion.nameZh}|${rootRegion.shortZh})\\s*`), '');
  const below = [...regions.byId.values()].filter((r) => r.parentId !== null);
  let found = regionsNamed(taxonomy, below, text);
  if (found.length === 0) {
    // 南昌市南昌县, 南昌 南昌县: a city, then one of its counties.
    for (const city of regions.children(rootRegion.id)) {
      const prefix = [city.nameZh, city.shortZh].find((p) => text.startsWith(p) && text.length > p.length);
      if (!prefix) continue;
      const inCity = regionsNamed(taxonomy, regions.children(city.id), text.slice(prefix.length).trim());
      if (inCity.length === 1) return { node: inCity[0]! };
    }
  }
  if (found.length === 1) return { node: found[0]! };
  if (found.length === 0) return { problem: { key: 'posting.regionUnknown', params: { value } } };
  const cities = found.filter((r) => r.parentId === rootRegion.id);
  if (cities.length === 1) {
    const city = cities[0]!;
    const others = found.filter((r) => r !== city);
    return {
      node: city,
      note: {
        key: 'posting.regionChoseCity',
        params: { value, chosen: describeRegion(taxonomy, city), others: list(others.map((r) => describeRegion(taxonomy, r))) },
      },
    };
  }
  found = found.sort((a, b) => a.id - b.id);
  return {
    problem: { key: 'posting.regionAmbiguous', params: { value, candidates: list(found.map((r) => describeRegion(taxonomy, r))) } },
  };
}

/** A subcategory by id, slug, name, or "industry/subcategory"; an industry alone is too wide. */
export function resolveCategory(taxonomy: Taxonomy, raw: string | number): Resolution<Category> {
  const value = clean(String(raw));
  const { categories } = taxonomy;
  const all = [...categories.byId.values()];
  // Case, spaces, hyphens, "&" and a plural s do not tell names apart: LED照明 = led照明, Steel Pipes = steel pipe.
  const loose = (s: string) => s.toLowerCase().replace(/[\s\-_&]+/g, '').replace(/(?<=[a-z])s$/, '');
  const named = (among: Category[], text: string) =>
    among.filter((c) => loose(c.nameZh) === loose(text) || loose(c.nameEn) === loose(text));
  const direct = /^\d+$/.test(value) ? categories.byId.get(Number(value)) : categories.bySlug.get(value.toLowerCase());
  let found = direct ? [direct] : named(all, value);
  if (found.length === 0) {
    // 钢材与金属制品/钢管, 钢材与金属制品 > 钢管
    const parts = value.split(/\s*[/>›＞|]\s*/).filter(Boolean);
    if (parts.length === 2) {
      const tops = named(categories.roots, parts[0]!).concat(categories.roots.filter((c) => c.slug === parts[0]!.toLowerCase()));
      found = tops.flatMap((top) => {
        const kids = categories.children(top.id);
        return named(kids, parts[1]!).concat(kids.filter((c) => c.slug === parts[1]!.toLowerCase()));
      });
    }
  }
  if (found.length === 0) return { problem: { key: 'posting.categoryUnknown', params: { value } } };
  const leaves = found.filter((c) => c.parentId !== null);
  if (leaves.length === 1) return { node: leaves[0]! };
  if (leaves.length > 1) {
    return {
      problem: {
        key: 'posting.categoryAmbiguous',
        params: { value, candidates: list(leaves.map((c) => describeCategory(taxonomy, c))) },
      },
    };
  }
  const top = found[0]!;
  return {
    problem: {
      key: 'posting.categoryIsIndustry',
      params: { value, candidates: list(categories.children(top.id).map((c) => `${c.nameZh} (${c.slug})`)) },
    },
  };
}
