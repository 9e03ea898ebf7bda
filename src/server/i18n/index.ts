// Message lookup and locale-aware formatting. Every text a person reads goes through here.
import { en } from './en.ts';
import { zhCN, type Catalogue, type MessageKey } from './zh-CN.ts';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export type { MessageKey };

const catalogues: Record<Locale, Catalogue> = { 'zh-CN': zhCN, en };

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

/**
 * Replaces each `{name}` with its value, written by `write`; unknown names stay visible. `{name|one|other}` picks
 * `one` when the value is 1 and `other` otherwise, `#` in either standing for the value: English plurals
 * ('{n|Last day|Last # days}'), which Chinese does not need.
 */
export function fillPlaceholders(
  template: string,
  values: Params,
  write: (value: string | number) => string = String,
): string {
  return template.replace(/\{(\w+)(?:\|([^|{}]*)\|([^|{}]*))?\}/g, (m, name: string, one?: string, other?: string) => {
    if (!(name in values)) return m;
    const value = values[name]!;
    if (one === undefined || other === undefined) return write(value);
    return (value === 1 ? one : other).replaceAll('#', write(value));
  });
}

/** Looks up and fills a message; number parameters are written the locale's way (12,500), strings as given. */
export function translator(locale: Locale): Translate {
  const catalogue = catalogues[locale];
  const write = (value: string | number) => (typeof value === 'number' ? formatNumber(locale, value) : value);
  return (key, params) => (params ? fillPlaceholders(catalogue[key], params, write) : catalogue[key]);
}

const numberFormats = new Map<string, Intl.NumberFormat>();
export function formatNumber(locale: Locale, n: number, fractionDigits = 0): string {
  const key = `${locale}:${fractionDigits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
    numberFormats.set(key, f);
  }
  return f.format(n);
}

/** A calendar date in China's time zone (the region's businesses read dates there), e.g. 2026-11-24. */
export function formatDate(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Region and category names in the reader's language. */
export function localName(locale: Locale, thing: { nameZh: string; nameEn: string }): string {
  return locale === 'en' ? thing.nameEn : thing.nameZh;
}

/**
 * A place from its widest region to its narrowest (南昌 青云谱区): written together in Chinese (南昌青云谱区), from the
 * narrowest out with commas in English (Qingyunpu District, Nanchang).
 */
export function placeName(locale: Locale, regions: readonly { nameZh: string; nameEn: string }[]): string {
  if (locale !== 'en') return regions.map((r) => r.nameZh).join('');
  return regions.map((r) => r.nameEn).reverse().join(', ');
}
