// What a domain call refused, field by field: the InvalidError's message keys, or a failure if it did not refuse.
import { InvalidError } from '../../src/server/errors.ts';

export function invalidFields(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidError) return e.fields;
    throw e;
  }
  throw new Error('expected InvalidError');
}
