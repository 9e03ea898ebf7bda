// What an asker writes: 询价 on a supply listing (quantity, target price or 面议, wanted by), 报价 on a demand listing
// (unit price or range, quantity, delivery time), or a general inquiry on a company page; with a message and how to
// reach them. Form strings are coerced; an empty string is a field not given. Errors are message keys per field.
import { z } from 'zod';
import type { InquiryKind, InquiryTerms } from '../../../db/schema.ts';
import { PHONE_PATTERN } from '../companies/write.ts';
import { InvalidError } from '../errors.ts';
import { formatDate, type Locale, type Translate } from '../i18n/index.ts';
import { amount, blankToUndefined, count, UNIT_MAX } from '../listings/input.ts';
import { formatPrice } from '../listings/rules.ts';
import { parseInput } from '../validation.ts';

export const MESSAGE_MIN = 5;
export const MESSAGE_MAX = 2000;

const text = (max: number, key: string) => z.preprocess(blankToUndefined, z.string({ error: key }).max(max, key).optional());

export const messageField = z.preprocess(
  (v) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n').trim() : v),
  z.string({ error: 'inquiry.messageRequired' }).min(MESSAGE_MIN, 'inquiry.messageTooShort').max(MESSAGE_MAX, 'inquiry.messageTooLong'),
);

const contact = {
  contactName: z.preprocess(
    (v) => (typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : v),
    z.string({ error: 'inquiry.nameRequired' }).min(1, 'inquiry.nameRequired').max(40, 'inquiry.nameTooLong'),
  ),
  phone: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'inquiry.phoneInvalid' })
      .max(30, 'inquiry.phoneInvalid')
      .regex(PHONE_PATTERN, 'inquiry.phoneInvalid')
      .optional(),
  ),
  email: z.preprocess(
    blankToUndefined,
    z.email({ error: 'inquiry.emailInvalid' }).max(200, 'inquiry.emailInvalid').optional(),
  ),
};

const schemas = {
  inquiry: z.object({
    ...contact,
    message: messageField,
    quantity: count('inquiry.quantityInvalid'),
    quantityUnit: text(UNIT_MAX, 'inquiry.unitTooLong'),
    targetPrice: amount('inquiry.priceInvalid'),
    priceUnit: text(UNIT_MAX, 'inquiry.unitTooLong'),
    wantedBy: z.preprocess(blankToUndefined, z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'inquiry.dateInvalid').optional()),
  }),
  quote: z.object({
    ...contact,
    message: messageField,
    priceMin: amount('inquiry.priceInvalid'),
    priceMax: amount('inquiry.priceInvalid'),
    priceUnit: text(UNIT_MAX, 'inquiry.unitTooLong'),
    quantity: count('inquiry.quantityInvalid'),
    quantityUnit: text(UNIT_MAX, 'inquiry.unitTooLong'),
    deliveryTime: text(40, 'inquiry.deliveryTooLong'),
  }),
  general: z.object({ ...contact, message: messageField }),
};

export interface InquiryInput {
  contactName: string;
  phone: string;
  email: string;
  message: string;
  terms: InquiryTerms;
}

/** Checks a submitted form of the given kind; `needEmail` for visitors (the confirmation goes there). */
export function parseInquiry(kind: InquiryKind, values: Record<string, unknown>, needEmail: boolean, now: number): InquiryInput {
  const fields: Record<string, string> = {};
  let parsed: Record<string, unknown> = {};
  try {
    parsed = parseInput(schemas[kind], values);
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    Object.assign(fields, e.fields);
  }
  if (needEmail && !fields.email && parsed.email === undefined) fields.email = 'inquiry.emailRequired';
  const p = parsed as Partial<z.infer<(typeof schemas)['quote']> & z.infer<(typeof schemas)['inquiry']>>;
  if (kind === 'quote' && !fields.priceMin && p.priceMin === undefined) fields.priceMin = 'inquiry.quotePriceRequired';
  if (p.priceMin !== undefined && p.priceMax !== undefined && p.priceMax < p.priceMin) fields.priceMax = 'inquiry.priceMaxBelowMin';
  // A wanted-by date is a calendar day in China; today is fine, a past day is not.
  if (p.wantedBy !== undefined && (Number.isNaN(Date.parse(p.wantedBy)) || p.wantedBy < formatDate(now))) fields.wantedBy = 'inquiry.dateInvalid';
  if (Object.keys(fields).length > 0) throw new InvalidError('invalid inquiry', fields);

  const terms: InquiryTerms = {};
  if (p.quantity !== undefined) terms.quantity = p.quantity;
  if (p.quantityUnit) terms.quantityUnit = p.quantityUnit;
  if (kind === 'inquiry') {
    if (p.targetPrice !== undefined) terms.priceMin = terms.priceMax = p.targetPrice;
    else terms.negotiable = true;
    if (p.wantedBy) terms.wantedBy = p.wantedBy;
  }
  if (kind === 'quote') {
    terms.priceMin = p.priceMin!;
    terms.priceMax = p.priceMax ?? p.priceMin!;
    if (p.deliveryTime) terms.deliveryTime = p.deliveryTime;
  }
  if (p.priceUnit && kind !== 'general') terms.priceUnit = p.priceUnit;
  return { contactName: p.contactName!, phone: p.phone ?? '', email: p.email ?? '', message: p.message!, terms };
}

/** The proposed terms as labelled lines, for the thread page and the mails. */
export function termsLines(t: Translate, locale: Locale, kind: InquiryKind, terms: InquiryTerms): { label: string; value: string }[] {
  const lines: { label: string; value: string }[] = [];
  if (terms.quantity !== undefined) lines.push({ label: t('inquiry.quantity'), value: `${terms.quantity} ${terms.quantityUnit ?? ''}`.trim() });
  if (kind !== 'general' && (terms.priceMin !== undefined || terms.negotiable)) {
    lines.push({
      label: t(kind === 'quote' ? 'inquiry.quotePrice' : 'inquiry.targetPrice'),
      value: formatPrice(t, locale, {
        priceMin: terms.priceMin ?? null,
        priceMax: terms.priceMax ?? null,
        priceUnit: terms.priceUnit ?? '',
        negotiable: terms.negotiable ?? false,
      }),
    });
  }
  if (terms.wantedBy) lines.push({ label: t('inquiry.wantedBy'), value: terms.wantedBy });
  if (terms.deliveryTime) lines.push({ label: t('inquiry.deliveryTime'), value: terms.deliveryTime });
  return lines;
}
