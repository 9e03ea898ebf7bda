// The search dictionary edited in the admin console: stored in SQLite, applied to the next search of every process
// (a second connection to the same file stands for a second server node) without a restart, validated and audited.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/server/audit/index.ts';
import { openDatabase } from '../../src/server/db.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { DEFAULT_DICTIONARY_FILE, readDictionaryFile } from '../../src/server/search/dictionary.ts';
import { dictionaryForEdit, dictionaryText, saveDictionary } from '../../src/server/search/dictionary-edit.ts';
import { searchListings } from '../../src/server/search/index.ts';
import { ensureSearchIndex, rebuildMeili } from '../../src/server/search/indexer.ts';
import { MeiliEngine } from '../../src/server/search/meili.ts';
import { categoryBySlug, freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';

const db = freshDb();
const other = openDatabase(path.join(path.dirname(db.$client.name), 'site.db'));
afterAll(() => other.$client.close());
const admin = makeUser(db, { isAdmin: true });
const member = makeUser(db);
const company = makeCompany(db, { name: '新余彩钢建材有限公司', slug: 'caigang' });
const roof = makeListing(db, company.id, { title: '彩钢瓦 屋面板 厂家直供', categoryId: categoryBySlug(db, 'industrial-ceramics').id });
ensureSearchIndex(db);

const ids = async (q: string, on = other) => (await searchListings(on, { q }, Date.now())).hits.map((h) => h.id);
const fileText = dictionaryText(readDictionaryFile(DEFAULT_DICTIONARY_FILE));

describe('the search dictionary in the console', () => {
  it('starts as the file, so a site keeps its dictionary', () => {
    const source = dictionaryForEdit(db, admin.id);
    expect(source.version).toBe(0);
    expect(dictionaryText(source)).toEqual(fileText);
  });

  it('is for administrators only', async () => {
    expect(() => dictionaryForEdit(db, member.id)).toThrow(NotFoundError);
    await expect(saveDictionary(db, member.id, { ...fileText, confirm: 'on' }, Date.now())).rejects.toThrow(NotFoundError);
  });

  it('applies an added synonym group to the next search of another process, without a restart', async () => {
    expect(await ids('彩钢板')).not.toContain(roof.id);
    // The other process has read (and cached) the file's dictionary by now.
    const saved = await saveDictionary(db, admin.id, { synonyms: `${fileText.synonyms}\n彩钢瓦，彩钢板`, words: fileText.words, confirm: 'on' }, Date.now(), '127.0.0.1');
    expect(saved).toEqual({ version: 1, meili: 'none' });
    expect(await ids('彩钢板')).toContain(roof.id);
    expect(await ids('彩钢板', db)).toContain(roof.id);
    expect(dictionaryText(dictionaryForEdit(db, admin.id)).synonyms.split('\n').at(-1)).toBe('彩钢瓦, 彩钢板');
  });

  it('records the edit with the dictionary before and after', () => {
    const [entry] = listAudit(db, { action: 'searchDictionary.edit' });
    expect(entry).toMatchObject({ actorId: admin.id, targetType: 'searchDictionary', targetId: '1', ip: '127.0.0.1' });
    expect((entry!.before as { version: number; synonyms: string[][] }).version).toBe(0);
    expect((entry!.before as { synonyms: string[][] }).synonyms).not.toContainEqual(['彩钢瓦', '彩钢板']);
    expect((entry!.after as { synonyms: string[][] }).synonyms).toContainEqual(['彩钢瓦', '彩钢板']);
  });

  it('removing the group again takes the synonym away on the next search', async () => {
    await saveDictionary(db, admin.id, { ...fileText, confirm: 'on' }, Date.now());
    expect(await ids('彩钢板')).not.toContain(roof.id);
    expect(await ids('彩钢瓦')).toContain(roof.id);
  });

  it('refuses a word in two groups, naming it, and stores nothing', async () => {
    const before = dictionaryForEdit(db, admin.id).version;
    await expect(saveDictionary(db, admin.id, { synonyms: `${fileText.synonyms}\n电缆, 线缆`, words: '', confirm: 'on' }, Date.now())).rejects.toMatchObject({
      fields: { synonyms: 'admin.dictionary.conflict' },
      fieldParams: { synonyms: { words: '电缆' } },
    });
    expect(dictionaryForEdit(db, admin.id).version).toBe(before);
    expect(listAudit(db, { action: 'searchDictionary.edit' })).toHaveLength(2);
  });

  it('refuses a group of one word, an unticked confirmation and an over-long word', async () => {
    await expect(saveDictionary(db, admin.id, { synonyms: '叉车, 堆高车\n彩钢瓦', words: '', confirm: 'on' }, Date.now())).rejects.toMatchObject({
      fields: { synonyms: 'admin.dictionary.groupOfOne' },
      fieldParams: { synonyms: { line: 2, word: '彩钢瓦' } },
    });
    await expect(saveDictionary(db, admin.id, { ...fileText }, Date.now())).rejects.toMatchObject({ fields: { confirm: 'moderation.confirmRequired' } });
    await expect(saveDictionary(db, admin.id, { synonyms: '', words: '钢'.repeat(41), confirm: 'on' }, Date.now())).rejects.toMatchObject({ fields: { words: 'admin.dictionary.wordTooLong' } });
  });
});

const meiliUrl = process.env.MEILI_URL;
describe.skipIf(!meiliUrl)('the search dictionary in Meilisearch (skipped: MEILI_URL not set)', () => {
  const engine = meiliUrl
    ? new MeiliEngine({ url: meiliUrl, apiKey: process.env.MEILI_API_KEY ?? process.env.MEILI_MASTER_KEY, index: `dictionary_${process.pid}_${Date.now()}` })
    : null;
  afterAll(async () => {
    await engine?.client.deleteIndex(engine.settings.index).waitTask();
  });

  it('receives an added synonym group with the save, so its next search finds the listing', async () => {
    await rebuildMeili(db, engine!);
    const meiliIds = async (q: string) => (await searchListings(db, { q }, Date.now(), { engine: engine! })).hits.map((h) => h.id);
    expect(await meiliIds('翡翠绿测试词')).not.toContain(roof.id);
    const saved = await saveDictionary(db, admin.id, { synonyms: `${fileText.synonyms}\n彩钢瓦，翡翠绿测试词`, words: fileText.words, confirm: 'on' }, Date.now(), undefined, engine);
    expect(saved.meili).toBe('applied');
    expect(await meiliIds('翡翠绿测试词')).toContain(roof.id);
  });
});
