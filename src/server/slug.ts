// URL slugs: pinyin (no tones) for Chinese, ASCII words kept, everything else dropped. Chinese stays in the page.
import { pinyin } from 'pinyin-pro';

const MAX_LENGTH = 60;

export function slugify(text: string, maxLength = MAX_LENGTH): string {
  const latin = /[\u4e00-\u9fff]/.test(text)
    ? pinyin(text, { toneType: 'none', type: 'array', nonZh: 'consecutive', v: true }).join(' ')
    : text;
  const slug = latin
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= maxLength) return slug;
  const cut = slug.slice(0, maxLength);
  // Cut at a word boundary so a slug never ends in half a syllable.
  const lastDash = cut.lastIndexOf('-');
  return (lastDash > maxLength / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '');
}

/** `slug`, or `slug-2`, `slug-3`… : the first that `taken` says is free. */
export function uniqueSlug(base: string, taken: (slug: string) => boolean): string {
  const root = base || 'item';
  if (!taken(root)) return root;
  for (let n = 2; ; n++) {
    const candidate = `${root}-${n}`;
    if (!taken(candidate)) return candidate;
  }
}
