// Head tags worked out from a page's data: descriptions cut to what result pages show, and the alternate URLs of a
// page in each language.
import { LOCALES, type Locale } from '../i18n/index.ts';
import { absoluteUrl, isBilingualPath, localePath } from '../urls.ts';

/**
 * Baidu shows about 78 Chinese characters of a description and Google about 120; English runs to about 155 Latin
 * characters. Longer text is cut at a word or clause where one is near, with an ellipsis.
 */
export const DESCRIPTION_LENGTH: Record<Locale, number> = { 'zh-CN': 110, en: 160 };

export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  if (chars.length <= max) return flat;
  let cut = chars.slice(0, max - 1).join('');
  const stop = Math.max(cut.lastIndexOf(' '), cut.lastIndexOf('，'), cut.lastIndexOf('。'), cut.lastIndexOf('、'));
  if (stop > max * 0.6) cut = cut.slice(0, stop);
  return cut.replace(/[\s,，、。.;；:：-]+$/, '') + '…';
}

export function describe(locale: Locale, text: string): string {
  return clip(text, DESCRIPTION_LENGTH[locale]);
}

/** hreflang codes: the region matters for Chinese (simplified script, mainland readers). */
export const HREFLANG: Record<Locale, string> = { 'zh-CN': 'zh-CN', en: 'en' };
export const OG_LOCALE: Record<Locale, string> = { 'zh-CN': 'zh_CN', en: 'en_US' };

export interface Alternate {
  hreflang: string;
  href: string;
}

/** The page in every language plus x-default (the Chinese root page), as absolute URLs; none for one-language pages. */
export function alternates(siteUrl: string, path: string): Alternate[] {
  if (!isBilingualPath(path)) return [];
  const links = LOCALES.map((l) => ({ hreflang: HREFLANG[l], href: absoluteUrl(siteUrl, localePath(l, path)) }));
  return [...links, { hreflang: 'x-default', href: absoluteUrl(siteUrl, localePath('zh-CN', path)) }];
}
