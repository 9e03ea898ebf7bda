// The synonyms and industry words admins edit (db/seed/search-dictionary.json, or SEARCH_DICTIONARY_FILE). Read once
// per process: FTS5 uses them to segment and expand queries, Meilisearch receives them as index settings at start-up.
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
  /** Each normalised word that has synonyms -> every word of its group (itself first). */
  synonymsOf: Map<string, string[]>;
  /** The keys of synonymsOf, longest first (how a query is scanned for them). */
  phrases: string[];
  /** Industry words and every synonym: kept whole when a query is segmented. */
  words: string[];
  /**
   * A synonym -> longer words of the dictionary that contain it but name something else (电线 inside 电线杆): a
   * listing that only has the synonym inside one of them is not a match for it.
   */
  notInside: Map<string, string[]>;
}

export class DictionaryError extends Error {}

export function buildDictionary(input: unknown): Dictionary {
  const parsed = fileSchema.parse(input);
  const groupOf = new Map<string, string[]>();
  const twice: string[] = [];
  for (const group of parsed.synonyms) {
    const words = [...new Set(group.map((w) => normalize(w).trim()).filter(Boolean))];
    for (const w of words) {
      // A word in two groups would chain them (铲车 in 叉车's and 装载机's made a forklift search find loaders).
      if (groupOf.has(w)) twice.push(w);
      else groupOf.set(w, [w, ...words.filter((o) => o !== w)]);
    }
  }
  if (twice.length > 0) throw new Error(`a word may be in one synonym group only: ${[...new Set(twice)].join(', ')}`);
  const words = [...new Set([...parsed.words.map((w) => normalize(w).trim()), ...groupOf.keys()].filter(Boolean))];
  const notInside = new Map<string, string[]>();
  for (const [w, group] of groupOf) {
    const longer = words.filter((o) => o !== w && o.includes(w) && !group.some((g) => o.includes(g) && g !== w));
    if (longer.length > 0) notInside.set(w, longer);
  }
  return {
    synonymsOf: groupOf,
    phrases: [...groupOf.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b)),
    words,
    notInside,
  };
}

export function readDictionary(file: string): Dictionary {
  try {
    return buildDictionary(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    throw new DictionaryError(`The search dictionary ${file} cannot be used: ${(e as Error).message}`);
  }
}
