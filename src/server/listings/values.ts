// Listing values as people type them, turned into the contract's values: the kind in either language (供应, demand),
// the price as one string ("18500元/吨", "1.2万元/吨", "3800-4200 元/吨", "面议") or as the structured object the API
// answers with, amounts with ¥ and thousands separators, validity as "30天". Pure; the listing schema applies it, so
// the posting form, the JSON API and the CSV import accept the same spellings.
import type { ListingKind } from '../../../db/schema.ts';

const KINDS: Record<string, ListingKind> = {
  supply: 'supply',
  demand: 'demand',
  供应: 'supply',
  供: 'supply',
  求购: 'demand',
  求: 'demand',
  采购: 'demand',
};

/** Every accepted spelling of the kind. */
export const KIND_WORDS = Object.keys(KINDS);
/** The spellings of the kind, for messages. */
export const KIND_SPELLINGS = 'supply, demand, 供应, 求购';

/** supply/demand from any accepted spelling; anything else is returned as it was (for the schema to refuse). */
export function kindValue(v: unknown): unknown {
  return typeof v === 'string' ? (KINDS[v.trim().toLowerCase()] ?? v) : v;
}

const PRICE_TYPES: Record<string, string> = {
  单价: 'single',
  固定价: 'single',
  一口价: 'single',
  区间: 'range',
  价格区间: 'range',
  面议: 'negotiable',
};

export function priceTypeValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  return PRICE_TYPES[t] ?? t.toLowerCase();
}

/** "¥3,850.50" -> "3850.50": the currency sign and thousands separators spreadsheets show. */
export function amountText(v: string): string {
  return v
    .normalize('NFKC')
    .trim()
    .replace(/^(?:¥|rmb|cny)\s*/i, '')
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
}

/** "30天", "30 days" -> "30". */
export function daysText(v: string): string {
  return v.trim().replace(/\s*(?:天|days?)$/i, '');
}

export interface PriceFields {
  priceType: 'single' | 'range' | 'negotiable';
  price?: string;
  priceMin?: string;
  priceMax?: string;
  priceUnit?: string;
}

const NEGOTIABLE = /^(?:面议|电议|议价|价格面议|negotiable)$/i;
const AMOUNT = String.raw`(\d+(?:\.\d+)?)\s*(万)?\s*(?:元|块|yuan)?`;
const PRICE = new RegExp(
  String.raw`^${AMOUNT}(?:\s*(?:-|~|–|—|至|到)\s*${AMOUNT})?\s*(?:(?:/|每|per\s+)\s*(\S.{0,9}))?$`,
  'i',
);

/** 1.2 with 万 -> "12000" (shifting the decimal point, never multiplying a float). */
function yuanText(digits: string, wan: string | undefined): string {
  if (!wan) return digits;
  const [whole, fraction = ''] = digits.split('.');
  const padded = fraction.padEnd(4, '0');
  const shifted = `${whole}${padded.slice(0, 4)}`.replace(/^0+(?=\d)/, '');
  const rest = padded.slice(4).replace(/0+$/, '');
  return rest ? `${shifted}.${rest}` : shifted;
}

/** A price typed as text, or null when it is not one. A bare number is a single price. */
export function parsePriceText(text: string): PriceFields | null {
  const t = amountText(text).replace(/\s+/g, ' ');
  if (NEGOTIABLE.test(t)) return { priceType: 'negotiable' };
  const m = PRICE.exec(t);
  if (!m) return null;
  const [, a, aWan, b, bWan, unit] = m;
  // "1-1.2万元": the 万 after the second amount counts for both.
  const low = yuanText(a!, aWan ?? (b ? bWan : undefined));
  const out: PriceFields = b
    ? { priceType: 'range', priceMin: low, priceMax: yuanText(b, bWan) }
    : { priceType: 'single', price: low };
  if (out.priceType === 'range' && out.priceMin === out.priceMax) return { priceType: 'single', price: low, ...(unit ? { priceUnit: unit.trim() } : {}) };
  if (unit) out.priceUnit = unit.trim();
  return out;
}

/** The accepted forms of a price string, for messages. */
export const PRICE_EXAMPLES = '18500, "18500元/吨", "1.2万元/吨", "3800-4200 元/吨", "面议"';
