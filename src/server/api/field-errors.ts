// Field errors as the API words them: each field's message translated with its parameters and, when the caller sent a
// value for the field, naming that value ("没有这个城市或区县：…（收到："南昌镇"）"), so a person reading an
// integration's log sees what was sent and what would have been accepted.
import type { MessageKey, Params, Translate } from '../i18n/index.ts';
import { zhCN } from '../i18n/zh-CN.ts';

/** A message key from the domain, translated; a key the catalogue lacks reads as the generic fallback. */
export function say(t: Translate, key: string, fallback: MessageKey, params?: Params): string {
  return key in zhCN ? t(key as MessageKey, params) : t(fallback, params);
}

/** The value a field path ('attributes.grade') holds in the caller's input. */
function receivedValue(input: unknown, field: string): unknown {
  let v: unknown = input;
  for (const part of field.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const MAX_SHOWN = 200;

/**
 * The posting form's messages tell a person what to do on the form ("请选择行业分类"); an integration reading its log
 * is told instead the field's name and what it takes.
 */
const API_WORDING: Record<string, MessageKey> = {
  'posting.kindRequired': 'api.listing.kindRequired',
  'posting.categoryRequired': 'api.listing.categoryRequired',
  'posting.regionRequired': 'api.listing.regionRequired',
  'posting.titleRequired': 'api.listing.titleRequired',
  'posting.priceTypeInvalid': 'api.listing.priceTypeInvalid',
  'posting.priceRequired': 'api.listing.priceRequired',
  'posting.priceMinRequired': 'api.listing.rangeRequired',
  'posting.priceMaxRequired': 'api.listing.rangeRequired',
  'posting.quantityInvalid': 'api.listing.quantityInvalid',
  'posting.moqInvalid': 'api.listing.moqInvalid',
  'posting.descriptionTooLong': 'api.listing.descriptionInvalid',
  'posting.attributesInvalid': 'api.listing.attributesInvalid',
};

export function fieldMessages(
  t: Translate,
  fields: Record<string, string>,
  params: Record<string, Params> = {},
  input?: unknown,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, key]) => {
      const reason = say(t, API_WORDING[key] ?? key, 'invalid.value', params[name]);
      const value = receivedValue(input, name);
      const shown = value === undefined || value === null || value === '' ? null : JSON.stringify(value);
      return [name, shown && shown.length <= MAX_SHOWN ? t('api.error.received', { reason, value: shown }) : reason];
    }),
  );
}
