// The synonyms and industry words admins edit in the console (/admin/dictionary), stored in SQLite; until the first
// edit, the file SEARCH_DICTIONARY_FILE (db/seed/search-dictionary.json) is the dictionary. FTS5 uses them to segment
// and expand queries, Meilisearch receives them as index settings. Every process compares the stored version on
// each search (one primary-key read), so an edit applies to the next search everywhere without a restart.
import fs from 'node:fs';
import { desc, max } from 'drizzle-orm';
import { z } from 'zod';
import { searchDictionaries } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
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

/** Words found in more than one synonym group (as normalised), which would chain the groups. */
export class SynonymConflictError extends Error {
  constructor(readonly words: string[]) {
    super(`a word may be in one synonym group only: ${words.join(', ')}`);
  }
}

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
  if (twice.length > 0) throw new SynonymConflictError([...new Set(twice)]);
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

/** The dictionary as people write it: the groups and words as typed (buildDictionary normalises them). */
export interface DictionarySource {
  synonyms: string[][];
  words: string[];
  /** The stored row's id; 0 while the file is the dictionary. */
  version: number;
}

export function readDictionaryFile(file: string): DictionarySource {
  try {
    const parsed = fileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    buildDictionary(parsed);
    return { synonyms: parsed.synonyms, words: parsed.words, version: 0 };
  } catch (e) {
    throw new DictionaryError(`The search dictionary ${file} cannot be used: ${(e as Error).message}`);
  }
}

export function readDictionary(file: string): Dictionary {
  return buildDictionary(readDictionaryFile(file));
}

/** The stored version: the newest row's id (0: none yet, the file applies). */
export function dictionaryVersion(db: Db): number {
  return db.select({ v: max(searchDictionaries.id) }).from(searchDictionaries).get()?.v ?? 0;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The dictionary as stored, or the file's when nothing is stored yet. */
export function dictionarySource(db: Db | Tx, file: string): DictionarySource {
  const row = db.select().from(searchDictionaries).orderBy(desc(searchDictionaries.id)).limit(1).get();
  return row ? { synonyms: row.synonyms, words: row.words, version: row.id } : readDictionaryFile(file);
}

const cache = new WeakMap<Db, { version: number; file: string; dict: Dictionary }>();

/** The dictionary in force for this database, built again only when its version (or the file setting) changed. */
export function currentDictionary(db: Db, file: string): Dictionary {
  const version = dictionaryVersion(db);
  let c = cache.get(db);
  if (!c || c.version !== version || (version === 0 && c.file !== file)) {
    const source = dictionarySource(db, file);
    c = { version: source.version, file, dict: buildDictionary(source) };
    cache.set(db, c);
  }
  return c.dict;
}
