// Editing the search dictionary from the admin console. The form has one line per synonym group and the industry
// words; the whole dictionary is saved as a new version (stored rows are never changed), audited with before and
// after, and Meilisearch is sent the new settings. FTS5 needs nothing: every process reads the new version on its
// next search (dictionary.ts currentDictionary).
import { z } from 'zod';
import { searchDictionaries } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import { confirm } from '../moderation/confirm.ts';
import { log } from '../observability/log.ts';
import { parseInput } from '../validation.ts';
import { searchChanged } from './changed.ts';
import { buildDictionary, dictionarySource, SynonymConflictError, type DictionarySource } from './dictionary.ts';
import { meiliEngine } from './index.ts';
import type { MeiliEngine } from './meili.ts';

/** Words of one line: separated by commas (half or full width), 、 or semicolons; spaces inside a word are kept. */
const splitWords = (line: string) => line.split(/[,，、;；]/).map((w) => w.trim()).filter(Boolean);

/** Characters of each textarea: what fits the route's body limit (src/lib/body.ts) urlencoded. */
const MAX_TEXT = 100_000;
const MAX_WORD = 40;

const editSchema = z.object({
  confirm,
  synonyms: z.string().max(MAX_TEXT, 'admin.dictionary.tooLong').default(''),
  words: z.string().max(MAX_TEXT, 'admin.dictionary.tooLong').default(''),
});

/** The dictionary in force, as the form shows it (the file's until the first edit). */
export function dictionaryForEdit(db: Db, adminId: string): DictionarySource {
  assertAdmin(db, adminId);
  return dictionarySource(db, config().SEARCH_DICTIONARY_FILE);
}

/** The form's text for a dictionary: one synonym group per line; industry words one per line. */
export function dictionaryText(source: Pick<DictionarySource, 'synonyms' | 'words'>): { synonyms: string; words: string } {
  return { synonyms: source.synonyms.map((g) => g.join(', ')).join('\n'), words: source.words.join('\n') };
}

export type MeiliOutcome = 'none' | 'applied' | 'failed';

/**
 * Saves the dictionary of the form (fields synonyms, words, confirm). Refuses a group of one word, an over-long
 * word and a word in two groups (InvalidError naming them). Returns the new version and what Meilisearch did.
 */
export async function saveDictionary(
  db: Db,
  adminId: string,
  input: unknown,
  now: number,
  ip?: string,
  /** The Meilisearch index to update (a test's throwaway one); by default MEILI_URL's, or none. */
  meili: MeiliEngine | null = meiliEngine(),
): Promise<{ version: number; meili: MeiliOutcome }> {
  assertAdmin(db, adminId);
  const form = parseInput(editSchema, input);
  const synonyms = form.synonyms.split(/\r?\n/).map(splitWords).filter((g) => g.length > 0);
  const words = form.words.split(/\r?\n/).flatMap(splitWords);
  const lonely = synonyms.findIndex((g) => new Set(g).size < 2);
  if (lonely >= 0) throw new InvalidError('group of one', { synonyms: 'admin.dictionary.groupOfOne' }, { synonyms: { line: lonely + 1, word: synonyms[lonely]![0]! } });
  const long = [...synonyms.flat(), ...words].find((w) => w.length > MAX_WORD);
  if (long) throw new InvalidError('word too long', { [words.includes(long) ? 'words' : 'synonyms']: 'admin.dictionary.wordTooLong' }, { [words.includes(long) ? 'words' : 'synonyms']: { word: long, max: MAX_WORD } });
  let dict;
  try {
    dict = buildDictionary({ synonyms, words });
  } catch (e) {
    if (!(e instanceof SynonymConflictError)) throw e;
    throw new InvalidError('word in two groups', { synonyms: 'admin.dictionary.conflict' }, { synonyms: { words: e.words.join('、') } });
  }
  const version = db.transaction(
    (tx) => {
      const before = dictionarySource(tx, config().SEARCH_DICTIONARY_FILE);
      const row = tx.insert(searchDictionaries).values({ synonyms, words, createdAt: now, createdBy: adminId }).returning({ id: searchDictionaries.id }).get();
      recordAudit(
        tx,
        {
          actorId: adminId,
          action: 'searchDictionary.edit',
          targetType: 'searchDictionary',
          targetId: row.id,
          before: { version: before.version, synonyms: before.synonyms, words: before.words },
          after: { version: row.id, synonyms, words },
          ip,
        },
        now,
      );
      return row.id;
    },
    { behavior: 'immediate' },
  );
  // FTS5 answers with the new dictionary from now on.
  searchChanged();
  if (!meili) return { version, meili: 'none' };
  try {
    await meili.applySettings(dict);
    searchChanged();
    return { version, meili: 'applied' };
  } catch (err) {
    // Saved all the same: FTS5 answers with it now, and the indexer sends the settings again at its next start.
    log().warn({ err }, 'search: Meilisearch refused the edited dictionary');
    return { version, meili: 'failed' };
  }
}
