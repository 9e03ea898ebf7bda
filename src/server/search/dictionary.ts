// The synonyms and industry words admins edit (db/seed/search-dictionary.json, or SEARCH_DICTIONARY_FILE). Read once
// per process: FTS5 expands synonyms at query time, Meilisearch receives them as index settings at start-up.
import fs from 'node:fs';
import { z } from 'zod';
import { normalize } from './text.ts';

export const DEFAULT_DICTIONARY_FILE = 'db/seed/search-dictionary.json';

const fileSchema = z.object({
  about: z.string().optional(),
  synonyms: z.array(z.array(z.string().min(1)).min(2)).default([]),
  words: z.array(z.string().min(1)).default([]),
});

export interface Dictionary {
  /** Each normalised word that has synonyms -> every word of its groups (itself included). */
  synonymsOf: Map<string, string[]>;
  /** The keys of synonymsOf, longest first (how a query is scanned for them). */
  phrases: string[];
  /** Industry words, for segmenters that take a custom dictionary (Meilisearch). */
  words: string[];
}

export class DictionaryError extends Error {}

export function buildDictionary(input: unknown): Dictionary {
  const parsed = fileSchema.parse(input);
  const synonymsOf = new Map<string, Set<string>>();
  for (const group of parsed.synonyms) {
    const words = group.map((w) => normalize(w).trim()).filter(Boolean);
    for (const w of words) {
      const set = synonymsOf.get(w) ?? new Set<string>();
      for (const other of words) set.add(other);
      synonymsOf.set(w, set);
    }
  }
  const map = new Map([...synonymsOf].map(([w, set]) => [w, [...set]]));
  return {
    synonymsOf: map,
    phrases: [...map.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b)),
    words: [...new Set(parsed.words.map((w) => normalize(w).trim()).filter(Boolean))],
  };
}

export function readDictionary(file: string): Dictionary {
  try {
    return buildDictionary(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    throw new DictionaryError(`The search dictionary ${file} cannot be used: ${(e as Error).message}`);
  }
}
