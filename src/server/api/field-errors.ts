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

export function fieldMessages(
  t: Translate,
  fields: Record<string, string>,
  params: Record<string, Params> = {},
  input?: unknown,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, key]) => {
      const reason = say(t, key, 'invalid.value', params[name]);
      const value = receivedValue(input, name);
      const shown = value === undefined || value === null || value === '' ? null : JSON.stringify(value);
      return [name, shown && shown.length <= MAX_SHOWN ? t('api.error.received', { reason, value: shown }) : reason];
    }),
  );
}
