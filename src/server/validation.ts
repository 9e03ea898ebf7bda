// One convention for every write path (forms, the JSON API, CSV rows): zod schemas whose error messages are message
// keys, and parseInput turning a failed parse into an InvalidError mapping each field to its key.
import type { z } from 'zod';
import { InvalidError } from './errors.ts';

/** Parses input or throws InvalidError({ field: messageKey }); the first problem of each field wins. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    // zod's own messages (wrong type, missing) are not keys: they read as the generic "invalid value".
    fields[field] ??= /^[a-z][\w-]*(\.[\w-]+)+$/.test(issue.message) ? issue.message : 'invalid.value';
  }
  throw new InvalidError('invalid input', fields);
}
