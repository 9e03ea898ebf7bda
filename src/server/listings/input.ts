// What a listing is made of when someone writes one: the contract shared by the posting form, the JSON API and the
// CSV import. The zod schema checks each field on its own (form and CSV strings are coerced, an empty string means
// "not given"); resolveListing then checks what needs the taxonomy or several fields at once (category and region,
// the category's attributes, price rules) and yields the column values. Errors are message keys per field.
import { z } from 'zod';
import { LISTING_KINDS, type CategoryAttribute, type ListingAttributes, type ListingKind } from '../../../db/schema.ts';
import { InvalidError } from '../errors.ts';
import type { Params } from '../i18n/index.ts';
import { resolveCategory, resolveRegion, type NameProblem } from '../taxonomy/names.ts';
import type { Taxonomy } from '../taxonomy/taxonomy.ts';
import { parseInput } from '../validation.ts';
import { placeListing, type Placement } from './placement.ts';
import { amountText, daysText, KIND_SPELLINGS, KIND_WORDS, kindValue, parsePriceText, PRICE_EXAMPLES, priceTypeValue, type PriceFields } from './values.ts';

export const PRICE_TYPES = ['single', 'range', 'negotiable'] as const;
export type PriceType = (typeof PRICE_TYPES)[number];
export const VALIDITY_DAYS = [7, 30, 90] as const;
export const DEFAULT_VALIDITY_DAYS = 30;
export const TITLE_MIN = 4;
export const TITLE_MAX = 60;
export const DESCRIPTION_MAX = 5000;
export const UNIT_MAX = 10;
export const ATTRIBUTE_TEXT_MAX = 100;
/** 100 million yuan per unit: more is a typo, and it keeps fen far inside the exact range of a double. */
const PRICE_MAX_FEN = 100_000_000 * 100;
const COUNT_MAX = 1_000_000_000_000;

/** Form and CSV cells arrive as strings: surrounding blanks go, and a blank cell is a field not given. */
export function blankToUndefined(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v !== 'string') return v;
  const trimmed = v.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A number or a numeric string, compared as text so 0.1 + 0.2 never decides how many decimals were typed. */
function numberText(v: unknown): unknown {
  const b = blankToUndefined(v);
  return typeof b === 'number' && Number.isFinite(b) ? String(b) : b;
}

const YUAN = /^\d{1,12}(\.\d{1,2})?$/;

/** '12.5' -> 1250 fen, exactly (no floating point on the way). */
export function yuanToFen(text: string): number {
  const [whole, fraction = ''] = text.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

export const amount = (key: string) =>
  z.preprocess(
    (v) => {
      const n = numberText(v);
      return typeof n === 'string' ? amountText(n) : n;
    },
    z
      .string({ error: key })
      .regex(YUAN, key)
      .transform(yuanToFen)
      .refine((fen) => fen > 0 && fen <= PRICE_MAX_FEN, key)
      .optional(),
  );

export const count = (key: string) =>
  z.preprocess(
    numberText,
    z
      .string({ error: key })
      .regex(/^\d{1,13}$/, key)
      .transform(Number)
      .refine((n) => n <= COUNT_MAX, key)
      .optional(),
  );

const text = (max: number, key: string) => z.preprocess(blankToUndefined, z.string({ error: key }).max(max, key).optional());

/** A slug or a numeric id of a category or region. */
const reference = (key: string) =>
  z.preprocess(numberText, z.string({ error: key }).max(100, key).optional());

// What each field accepts, for the OpenAPI document generated from this schema: the preprocessing above takes more
// than the inner schemas say (numbers as strings, Chinese spellings, price text), so the document is told here.
const anyOf = (description: string, ...schemas: object[]) => ({ description, anyOf: schemas, type: undefined, pattern: undefined, enum: undefined, maxLength: undefined, minLength: undefined });
const NUMBER_OR_TEXT = [{ type: 'number' }, { type: 'string' }];

/**
 * The listing input. Every field is optional here: a create needs kind, category, region and title (checked by
 * resolveListing, so all problems of one submission come back together); an update patches the fields it gives.
 */
export const listingInputSchema = z.object({
  kind: z
    .preprocess((v) => kindValue(blankToUndefined(v)), z.enum(LISTING_KINDS, { error: 'posting.kindInvalid' }).optional())
    .meta({ description: `Required on create: ${KIND_SPELLINGS}`, enum: KIND_WORDS, type: 'string' }),
  category: reference('posting.categoryUnknown').meta(
    anyOf('Required on create: a subcategory by id, slug, Chinese or English name (钢管, steel-pipe, Steel Pipes), or "industry/subcategory"; a missing category is suggested from the title', { type: 'string' }, { type: 'integer' }),
  ),
  region: reference('posting.regionUnknown').meta(
    anyOf('Required on create: a city or county by division code, slug, Chinese or English name, with or without 市/县/区 (南昌 = the city 南昌市; 南昌县 the county)', { type: 'string' }, { type: 'integer' }),
  ),
  title: z.preprocess(
    (v) => {
      const b = blankToUndefined(v);
      // Line breaks and runs of spaces in a title are pasting accidents; one space reads the same.
      return typeof b === 'string' ? b.replace(/\s+/g, ' ') : b;
    },
    z
      .string({ error: 'posting.titleTooShort' })
      .min(TITLE_MIN, 'posting.titleTooShort')
      .max(TITLE_MAX, 'posting.titleTooLong')
      .optional(),
  ),
  description: z.preprocess(
    (v) => {
      const b = blankToUndefined(v);
      return typeof b === 'string' ? b.replace(/\r\n?/g, '\n') : b;
    },
    z.string({ error: 'posting.descriptionTooLong' }).max(DESCRIPTION_MAX, 'posting.descriptionTooLong').optional(),
  ),
  priceType: z
    .preprocess((v) => priceTypeValue(blankToUndefined(v)), z.enum(PRICE_TYPES, { error: 'posting.priceTypeInvalid' }).optional())
    .meta({ description: 'Inferred when left out: price -> single, priceMin/priceMax -> range, neither -> negotiable', enum: [...PRICE_TYPES, '单价', '区间', '面议'], type: 'string' }),
  price: amount('posting.priceInvalid').meta(
    anyOf(
      `Yuan: a number, or text as people write it (${PRICE_EXAMPLES}), or the price object the API answers with`,
      { type: 'number', exclusiveMinimum: 0 },
      { type: 'string', examples: ['18500元/吨', '1.2万元/吨', '3800-4200 元/吨', '面议'] },
      {
        type: 'object',
        properties: {
          type: { type: 'string', enum: [...PRICE_TYPES] },
          min: { type: ['number', 'string', 'null'] },
          max: { type: ['number', 'string', 'null'] },
          unit: { type: 'string' },
          currency: { const: 'CNY' },
        },
      },
    ),
  ),
  priceMin: amount('posting.priceInvalid').meta(anyOf('Yuan, for a range; up to 2 decimals', ...NUMBER_OR_TEXT)),
  priceMax: amount('posting.priceInvalid').meta(anyOf('Yuan, for a range; not below priceMin', ...NUMBER_OR_TEXT)),
  priceUnit: z.preprocess(
    (v) => {
      const b = blankToUndefined(v);
      // People type the whole unit ("元/吨"); the stored unit is what follows 元/.
      return typeof b === 'string' ? b.replace(/^(元)?\s*\/\s*/, '') || undefined : b;
    },
    z.string({ error: 'posting.unitTooLong' }).max(UNIT_MAX, 'posting.unitTooLong').optional(),
  ),
  quantity: count('posting.quantityInvalid').meta(anyOf('Quantity on offer or wanted, a whole number', { type: 'integer', minimum: 0 }, { type: 'string' })),
  quantityUnit: text(UNIT_MAX, 'posting.unitTooLong'),
  moq: count('posting.moqInvalid').meta(anyOf('Minimum order quantity, a whole number', { type: 'integer', minimum: 0 }, { type: 'string' })),
  validityDays: z.preprocess(
    (v) => {
      const n = numberText(v);
      return typeof n === 'string' ? daysText(n) : n;
    },
    z
      .enum(['7', '30', '90'], { error: 'posting.validityInvalid' })
      .transform((d) => Number(d) as (typeof VALIDITY_DAYS)[number])
      .optional(),
  ).meta(anyOf('How long the listing stays live (30 unless given)', { type: 'integer', enum: [...VALIDITY_DAYS] }, { type: 'string', examples: ['30', '30天'] })),
  attributes: z.preprocess(
    (v) => (v === null || v === '' ? undefined : v),
    z.record(z.string(), z.union([z.string(), z.number()]), { error: 'posting.attributesInvalid' }).optional(),
  ).meta({ description: "The subcategory's attributes by key or label ({\"material\": \"Q235B\"} or {\"材质\": \"Q235B\"}); see GET /api/v1/categories" }),
}).meta({ id: 'ListingInput' });

export type ListingInput = z.infer<typeof listingInputSchema>;

/** Everything of a listing that its author writes, as stored. */
export interface ListingValues extends Placement {
  kind: ListingKind;
  title: string;
  description: string;
  priceMin: number | null;
  priceMax: number | null;
  negotiable: boolean;
  priceUnit: string;
  quantity: number | null;
  quantityUnit: string;
  moq: number | null;
  validityDays: number;
  attributes: ListingAttributes;
}

/** The price type a stored listing reads as. */
export function priceTypeOf(v: { priceMin: number | null; priceMax: number | null; negotiable: boolean }): PriceType {
  if (v.negotiable || v.priceMin === null || v.priceMax === null) return 'negotiable';
  return v.priceMin === v.priceMax ? 'single' : 'range';
}

/**
 * Checks attribute values against the category's definitions: a choice must be one of its options, a number a
 * number, text short; keys the category does not define are refused. Blank values mean "not given".
 */
export function checkAttributes(
  definitions: CategoryAttribute[],
  given: Record<string, string | number>,
  fields: Record<string, string>,
  params: Record<string, Params> = {},
): ListingAttributes {
  const out: ListingAttributes = {};
  // An attribute may be named by its key or its label (材质, Material), as a spreadsheet column names it.
  const lower = (s: string) => s.toLowerCase();
  for (const [name, raw] of Object.entries(given)) {
    const field = `attributes.${name}`;
    const def = definitions.find((d) => d.key === name || d.zh === name || lower(d.en) === lower(name));
    if (!def) {
      fields[field] = 'posting.attributeUnknown';
      params[field] = { keys: definitions.map((d) => `${d.key} (${d.zh})`).join(', ') || '-' };
      continue;
    }
    const key = def.key;
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (value === '') continue;
    if (def.type === 'number') {
      const n = typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n)) fields[field] = 'posting.attributeNumber';
      else out[key] = n;
    } else if (def.type === 'choice') {
      if (!def.options.includes(String(value))) {
        fields[field] = 'posting.attributeChoice';
        params[field] = { options: def.options.join('、') };
      } else out[key] = String(value);
    } else {
      const s = String(value);
      if (s.length > ATTRIBUTE_TEXT_MAX) fields[field] = 'posting.attributeTooLong';
      else out[key] = s;
    }
  }
  return out;
}

/** Keeps the stored attributes that still fit a category (after the category changed without new attributes). */
function keepFitting(definitions: CategoryAttribute[], stored: ListingAttributes): ListingAttributes {
  const scratch: Record<string, string> = {};
  const kept = checkAttributes(
    definitions,
    Object.fromEntries(Object.entries(stored).filter(([k]) => definitions.some((d) => d.key === k))),
    scratch,
  );
  for (const field of Object.keys(scratch)) delete kept[field.slice('attributes.'.length)];
  return kept;
}

interface PriceValues {
  priceMin: number | null;
  priceMax: number | null;
  negotiable: boolean;
}

function resolvePrice(input: ListingInput, base: PriceValues | null, fields: Record<string, string>): PriceValues {
  const given = input.price !== undefined || input.priceMin !== undefined || input.priceMax !== undefined;
  if (base && input.priceType === undefined && !given) {
    return { priceMin: base.priceMin, priceMax: base.priceMax, negotiable: base.negotiable };
  }
  const baseType = base ? priceTypeOf(base) : null;
  const type: PriceType =
    input.priceType ??
    (input.price !== undefined
      ? 'single'
      : input.priceMin !== undefined || input.priceMax !== undefined
        ? 'range'
        : (baseType ?? 'negotiable'));
  if (type === 'negotiable') {
    if (given) fields[input.price !== undefined ? 'price' : input.priceMin !== undefined ? 'priceMin' : 'priceMax'] = 'posting.priceWithNegotiable';
    return { priceMin: null, priceMax: null, negotiable: true };
  }
  if (type === 'single') {
    const price = input.price ?? (baseType === 'single' ? base!.priceMin : null);
    if (price === null) {
      fields.price ??= 'posting.priceRequired';
      return { priceMin: null, priceMax: null, negotiable: true };
    }
    return { priceMin: price, priceMax: price, negotiable: false };
  }
  const min = input.priceMin ?? (baseType === 'range' ? base!.priceMin : null);
  const max = input.priceMax ?? (baseType === 'range' ? base!.priceMax : null);
  if (min === null) fields.priceMin ??= 'posting.priceMinRequired';
  if (max === null) fields.priceMax ??= 'posting.priceMaxRequired';
  if (min !== null && max !== null && min > max) fields.priceMax ??= 'posting.priceRangeOrder';
  return { priceMin: min, priceMax: max, negotiable: false };
}

/** Something the resolution decided that the writer should hear about (which region a bare name was read as). */
export interface ListingNote extends NameProblem {
  field: string;
}

const PRICE_OBJECT = z.object({
  type: z.enum(PRICE_TYPES).optional(),
  min: z.union([z.number(), z.string()]).nullish(),
  max: z.union([z.number(), z.string()]).nullish(),
  unit: z.string().optional(),
  currency: z.literal('CNY').optional(),
});

/**
 * `price` as a person types it ("18500元/吨", "面议") or as the object the API answers with, spread into the flat
 * contract fields (priceType, price, priceMin, priceMax, priceUnit); fields given explicitly win. A bare number is
 * left for the schema. An unreadable price sets fields.price.
 */
function expandPrice(input: unknown, fields: Record<string, string>): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const raw = input as Record<string, unknown>;
  const price = raw.price;
  let spread: PriceFields | null;
  if (typeof price === 'string') {
    const text = price.trim();
    if (text === '' || YUAN.test(amountText(text))) return input;
    spread = parsePriceText(text);
    // Not text a person writes a price in ("-1", "1e3"): the amount's own check says what is wrong with it.
    if (!spread && !/[\p{Script=Han}/~]/u.test(text)) return input;
  } else if (typeof price === 'object' && price !== null) {
    const o = PRICE_OBJECT.safeParse(price);
    if (!o.success) spread = null;
    else {
      const { min, max, unit } = o.data;
      const type = o.data.type ?? (min == null && max == null ? 'negotiable' : max == null || String(min) === String(max) ? 'single' : 'range');
      const text = (v: number | string | null | undefined) => (v == null ? undefined : String(v));
      spread =
        type === 'single'
          ? { priceType: type, price: text(min ?? max) }
          : type === 'range'
            ? { priceType: type, priceMin: text(min), priceMax: text(max) }
            : { priceType: type };
      if (unit !== undefined) spread.priceUnit = unit;
    }
  } else return input;
  if (!spread) {
    fields.price = 'posting.priceText';
    const { price: _bad, ...rest } = raw;
    return rest;
  }
  const { price: _text, ...rest } = raw;
  const out: Record<string, unknown> = { ...rest };
  for (const [k, v] of Object.entries(spread)) if (v !== undefined && (out[k] === undefined || out[k] === '')) out[k] = v;
  return out;
}

/**
 * Validates a listing input against the taxonomy and yields the values to store. `base` is the stored listing for
 * an update (the input patches it); null for a create, which needs kind, category, region and title.
 */
export function resolveListing(
  taxonomy: Taxonomy,
  given: unknown,
  base: ListingValues | null,
  notes: ListingNote[] = [],
): ListingValues {
  const fields: Record<string, string> = {};
  const params: Record<string, Params> = {};
  const input = expandPrice(given, fields);
  let parsed: ListingInput;
  // Problems the schema found; the checks across fields below still run on the rest, so one submit shows them all.
  let earlier: InvalidError | null = null;
  try {
    parsed = parseInput(listingInputSchema, input ?? {});
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    Object.assign(e.fields, fields);
    // Still report what a create is missing and which names are unknown, so every problem comes back at once.
    if (typeof input === 'object' && input !== null) {
      const raw = input as Record<string, unknown>;
      if (!base) for (const [field, key] of REQUIRED) if (blankToUndefined(raw[field]) === undefined) e.fields[field] ??= key;
      for (const [field, resolve] of [['category', resolveCategory], ['region', resolveRegion]] as const) {
        const v = numberText(raw[field]);
        if (typeof v !== 'string' || e.fields[field]) continue;
        const r = resolve(taxonomy, v);
        if ('problem' in r) {
          e.fields[field] = r.problem.key;
          e.fieldParams[field] = r.problem.params;
        }
      }
    }
    earlier = e;
    const bad = new Set(Object.keys(e.fields).map((f) => f.split('.')[0]!));
    const rest = typeof input === 'object' && input !== null ? Object.fromEntries(Object.entries(input).filter(([k]) => !bad.has(k))) : {};
    try {
      parsed = parseInput(listingInputSchema, rest);
    } catch {
      throw e;
    }
  }
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const problem = (field: string, p: NameProblem) => {
    fields[field] = p.key;
    params[field] = p.params;
  };
  for (const [field, key] of REQUIRED) {
    // A create needs them; an update may leave them out, but not send them emptied (a form's cleared title).
    if (parsed[field] === undefined && (!base || (field in raw && raw[field] !== undefined))) fields[field] = key;
  }

  let categoryId = base?.categoryId;
  if (parsed.category !== undefined) {
    const r = resolveCategory(taxonomy, parsed.category);
    if ('problem' in r) problem('category', r.problem);
    else categoryId = r.node.id;
  }
  let regionId = base?.regionId;
  if (parsed.region !== undefined) {
    const r = resolveRegion(taxonomy, parsed.region);
    if ('problem' in r) problem('region', r.problem);
    else {
      regionId = r.node.id;
      if (r.note) notes.push({ field: 'region', ...r.note });
    }
  }

  const priceUnreadable = fields.price;
  const price = resolvePrice(parsed, base, fields);
  if (priceUnreadable) fields.price = priceUnreadable;

  let attributes: ListingAttributes = base?.attributes ?? {};
  const definitions = categoryId !== undefined ? (taxonomy.categories.byId.get(categoryId)?.attributes ?? []) : null;
  if (definitions) {
    if (parsed.attributes !== undefined) attributes = checkAttributes(definitions, parsed.attributes, fields, params);
    else if (base && categoryId !== base.categoryId) attributes = keepFitting(definitions, attributes);
  }

  if (earlier) {
    Object.assign(fields, earlier.fields);
    Object.assign(params, earlier.fieldParams);
  }
  if (Object.keys(fields).length > 0) throw new InvalidError('invalid listing', fields, params);
  const placement = placeListing(taxonomy, regionId!, categoryId!);
  return {
    ...placement,
    kind: parsed.kind ?? base!.kind,
    title: parsed.title ?? base!.title,
    description: pick(input, 'description', parsed.description, base?.description, ''),
    ...price,
    priceUnit: pick(input, 'priceUnit', parsed.priceUnit, base?.priceUnit, ''),
    quantity: pick(input, 'quantity', parsed.quantity, base?.quantity, null),
    quantityUnit: pick(input, 'quantityUnit', parsed.quantityUnit, base?.quantityUnit, ''),
    moq: pick(input, 'moq', parsed.moq, base?.moq, null),
    validityDays: parsed.validityDays ?? base?.validityDays ?? DEFAULT_VALIDITY_DAYS,
    attributes,
  };
}

const REQUIRED = [
  ['kind', 'posting.kindRequired'],
  ['category', 'posting.categoryRequired'],
  ['region', 'posting.regionRequired'],
  ['title', 'posting.titleRequired'],
] as const;

/**
 * An optional field of an update: the new value when given; cleared when given blank (a form emptied it); the
 * stored value when not given at all (a partial API patch).
 */
function pick<T>(input: unknown, field: string, parsed: T | undefined, stored: T | undefined, empty: T): T {
  if (parsed !== undefined) return parsed;
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field] : undefined;
  if (raw !== undefined && blankToUndefined(raw) === undefined) return empty;
  return stored ?? empty;
}
