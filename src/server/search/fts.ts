// The SQLite FTS5 engine: always maintained, the default, and the fallback when Meilisearch is away. The only raw
// SQL of the site lives here (FTS5 has no drizzle builder).
//
// Every filter is applied before anything is cut, counted or ranked (figures in docs/search.md):
//  - search_fts is contentless (content=''): the text is not stored twice (the listings table holds it). Its rowid is
//    a freshness key, (minute published, listing id), so `ORDER BY rowid DESC` is "newest first" with a stable
//    tie-break, read straight off the index;
//  - FTS5 decides the words only: the keys of a text match come out of SQLite as one JSON array (with the city and
//    industry, which no facet leaves out, ANDed in as hidden tokens to hand over fewer). Every filter is then decided
//    in one pass of JS over typed arrays of each listing's facts (facet-columns.ts), which also counts every facet
//    group over the listings that fail no filter but the group's own: totals and facets are exact, and a search
//    without words is the same pass over every listing newest first, with no FTS5 at all;
//  - relevance is a sequence of tiers (title, then category/attributes, then the rest; within each the query as
//    typed, its words apart, synonyms): each tier is read newest first only as far as the page needs, a match belongs
//    to the first tier it is in, so a title match outranks any description match whatever their ages;
//  - search_rows holds the same facts on disk (the columns are read from it at start-up), keyed by the same key.
import type Database from 'better-sqlite3';
import type { Db } from '../db.ts';
import type { SearchDocument } from './documents.ts';
import { bumpGeneration, facetColumns, ID_SPACE, IMAGES, loadedFacetColumns, VERIFIED, type Block, type FacetColumns } from './facet-columns.ts';
import { ftsExpression, indexTokens, readingAdds, type ParsedQuery, type Reading } from './text.ts';
import { emptyFacets, type EngineRequest, type EngineResult, type Facets, type SearchEngine, type SearchFilters } from './types.ts';

/** Bump when the tokens or the table change: start-up then rebuilds the index. */
export const FTS_VERSION = '8';
/** Counts are exact up to this many matches on every engine (FTS5 counts exactly at any size; Meilisearch up to it). */
export const EXACT_LIMIT = 100_000;

/** FTS5's default and the rebuild's size of the pending terms held in memory before they are written out. */
const DEFAULT_HASH_BYTES = 1024 * 1024;
const BULK_HASH_BYTES = 64 * 1024 * 1024;

// ---- keys: newest first is rowid order ----

const KEY_EPOCH = Date.UTC(2020, 0, 1);
const MINUTE = 60_000;

/**
 * The rowid of a listing in the index: minutes since 2020 above 28 bits of listing id, so it stays below 2^53 (a JS
 * number) until 2083 and for 268 million listings. Listings published in the same minute order by id.
 */
export function documentKey(doc: { id: number; publishedAt: number }): number {
  if (!Number.isInteger(doc.id) || doc.id <= 0 || doc.id >= ID_SPACE) throw new Error(`listing id out of the search key's range: ${doc.id}`);
  const minutes = Math.min(2 ** 25 - 1, Math.max(0, Math.floor((doc.publishedAt - KEY_EPOCH) / MINUTE)));
  return minutes * ID_SPACE + doc.id;
}
export const idOfKey = (key: number) => key % ID_SPACE;

// ---- tables ----

const tables = (suffix: string) => `
-- The text arrives as tokens already (text.ts indexTokens: normalised, lower case, separated by spaces), so the ascii
-- tokenizer, which only splits on ASCII separators, stores the same tokens as unicode61 for two thirds of the time.
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts${suffix} USING fts5(
  title, category, attrs, company, description, f,
  content='', contentless_delete=1, prefix='1', tokenize="ascii tokenchars '_'"
);
CREATE TABLE IF NOT EXISTS search_rows${suffix} (
  key INTEGER PRIMARY KEY, id INTEGER NOT NULL, kind TEXT NOT NULL, city INTEGER NOT NULL, region INTEGER NOT NULL,
  top INTEGER NOT NULL, cat INTEGER NOT NULL, price_min INTEGER, price_max INTEGER, published_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, company_id INTEGER NOT NULL, flags INTEGER NOT NULL, attributes TEXT
);`;

// Index names outlive a table rename, so each build names its own.
const rowIndexes = (suffix: string, tag: string) => `
CREATE UNIQUE INDEX IF NOT EXISTS search_rows_id_${tag} ON search_rows${suffix}(id);
CREATE INDEX IF NOT EXISTS search_rows_expires_${tag} ON search_rows${suffix}(expires_at);
CREATE INDEX IF NOT EXISTS search_rows_cat_${tag} ON search_rows${suffix}(cat);`;

export function ensureFtsSchema(db: Db): void {
  db.$client.exec('CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);');
  const exists = db.$client.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_rows'").get();
  if (!exists) db.$client.exec(tables('') + rowIndexes('', 'a'));
  else db.$client.exec(tables(''));
}

/** Whether the index tables have this version's shape (an older one is rebuilt, not searched). */
export function hasCurrentShape(db: Db): boolean {
  const cols = db.$client.prepare("SELECT name FROM pragma_table_info('search_rows')").all() as { name: string }[];
  return cols.some((c) => c.name === 'flags');
}

/**
 * A rebuild writes into fresh `_new` tables in batches (searches and writers carry on meanwhile), then swaps them in
 * with one short transaction. Returns the swap, to call once every document is in.
 */
export function ftsStartRebuild(db: Db): { insert: (rows: readonly IndexRow[]) => void; swap: (step?: (name: string) => void) => void } {
  ensureFtsSchema(db);
  db.$client.exec('DROP TABLE IF EXISTS search_fts_new; DROP TABLE IF EXISTS search_rows_new;' + tables('_new'));
  // FTS5 writes its in-memory terms out as a new segment when they pass `hashsize` (1 MiB by default) and at every
  // commit, and merges segments as they pile up. 64 MiB lets one batch (REBUILD_BATCH in indexer.ts) become one
  // segment. Only writing uses it; it goes back to the default before the swap.
  db.$client.exec(`INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('hashsize', ${BULK_HASH_BYTES})`);
  // No merging while the batches go in: the one 'optimize' at the end merges every segment once, where automatic
  // merges would rewrite the early ones again and again (a million listings make about fifty segments).
  db.$client.exec("INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('automerge', 0)");
  db.$client.exec("INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('crisismerge', 200)");
  return {
    // In key order (indexRows): a batch in listing-id order (random in key order) made a segment per listing and a
    // million of them to merge.
    insert: (rows) => {
      db.$client.transaction(() => {
        for (const row of rows) insertRow(db, row, '_new');
      })();
    },
    swap: (step = () => {}) => {
      db.$client.exec(`INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('hashsize', ${DEFAULT_HASH_BYTES})`);
      step('merging the index');
      db.$client.exec("INSERT INTO search_fts_new(search_fts_new) VALUES ('optimize')");
      ftsMergeSettings(db, '_new');
      // The row indexes are built once at the end: cheaper than keeping them up to date row by row.
      step('indexing the rows');
      db.$client.exec(rowIndexes('_new', Date.now().toString(36)));
      step('swapping the new index in');
      db.$client.transaction(() => {
        db.$client.exec(`DROP TABLE IF EXISTS search_fts; DROP TABLE IF EXISTS search_rows;
          ALTER TABLE search_fts_new RENAME TO search_fts; ALTER TABLE search_rows_new RENAME TO search_rows;`);
        bumpGeneration(db);
      })();
      // Statistics for the new row table's indexes only: an ANALYZE of the whole database reads every index of a
      // million listings again for nothing that changed.
      step('statistics');
      db.$client.exec('ANALYZE search_rows');
      statements.delete(db.$client);
    },
  };
}

export function ftsMeta(db: Db, key: string): string | undefined {
  const row = db.$client.prepare('SELECT value FROM search_meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setFtsMeta(db: Db, key: string, value: string): void {
  db.$client.prepare('INSERT INTO search_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

// ---- filter tokens ----

/**
 * The hidden filter tokens of a document, all starting with `_` (text tokens never do, so no column filter is
 * needed): its city and industry, ANDed into a text match when those filters are set, so FTS5 hands over fewer keys.
 * Every other filter is decided on the facet columns.
 */
export function filterTokens(doc: SearchDocument): string {
  return `_c${doc.cityId} _t${doc.topCategoryId}`;
}

/** A number attribute's value as a number, or NaN (a text that is not one). */
export const attributeNumber = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

type Stmt = Database.Statement;
const statements = new WeakMap<Database.Database, Map<string, Stmt>>();
function prepared(db: Db, sql: string): Stmt {
  let cache = statements.get(db.$client);
  if (!cache) statements.set(db.$client, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    // Filter combinations make many shapes; keep the cache from growing without bound.
    if (cache.size > 500) cache.clear();
    cache.set(sql, (stmt = db.$client.prepare(sql)));
  }
  return stmt;
}

const insertText = (suffix: string) =>
  `INSERT INTO search_fts${suffix}(rowid, title, category, attrs, company, description, f) VALUES (?, ?, ?, ?, ?, ?, ?)`;
const insertRowFacts = (suffix: string) => `INSERT INTO search_rows${suffix}(key, id, kind, city, region, top, cat, price_min, price_max,
  published_at, expires_at, company_id, flags, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// Category names, attributes and company names repeat across listings: their tokens are made once (a rebuild makes
// millions).
const repeated = new Map<string, string>();
function repeatedTokens(text: string): string {
  let tokens = repeated.get(text);
  if (tokens === undefined) {
    if (repeated.size > 200_000) repeated.clear();
    repeated.set(text, (tokens = indexTokens(text)));
  }
  return tokens;
}

/**
 * What the index stores of a document, as the parameters of its two inserts, in one flat array (cheap to pass
 * between threads): the key, the five text columns as tokens and the filter tokens (search_fts), then the facts of
 * search_rows after the key. Made apart from the inserts so a rebuild can make them in a worker thread
 * (rebuild-worker.ts) while this thread writes.
 */
export type IndexRow = (string | number | null)[];
const TEXT_END = 7;

export function indexRow(doc: SearchDocument): IndexRow {
  return [
    documentKey(doc),
    indexTokens(doc.title),
    repeatedTokens(doc.categoryNames.join(' ')),
    repeatedTokens([...Object.values(doc.attributes), ...doc.attributeNames].join(' ')),
    repeatedTokens(doc.companyName),
    indexTokens(doc.description),
    filterTokens(doc),
    doc.id,
    doc.kind,
    doc.cityId,
    doc.regionId,
    doc.topCategoryId,
    doc.categoryId,
    doc.priceMin,
    doc.priceMax,
    doc.publishedAt,
    doc.expiresAt,
    doc.companyId,
    (doc.hasImages ? IMAGES : 0) | (doc.verified ? VERIFIED : 0),
    Object.keys(doc.attributes).length > 0 ? JSON.stringify(doc.attributes) : null,
  ];
}

/** Rows of documents in key order: FTS5 writes its pending terms out whenever a rowid is lower than the one before. */
export function indexRows(docs: readonly SearchDocument[]): IndexRow[] {
  return docs.map(indexRow).sort((a, b) => (a[0] as number) - (b[0] as number));
}

function insertRow(db: Db, row: IndexRow, suffix = ''): void {
  prepared(db, insertText(suffix)).run(row.slice(0, TEXT_END));
  prepared(db, insertRowFacts(suffix)).run(row[0], ...row.slice(TEXT_END));
}

const insertDocument = (db: Db, doc: SearchDocument) => insertRow(db, indexRow(doc));

function deleteKey(db: Db, key: number): void {
  prepared(db, 'DELETE FROM search_fts WHERE rowid = ?').run(key);
  prepared(db, 'DELETE FROM search_rows WHERE key = ?').run(key);
}

/**
 * Changes the index in one transaction that also bumps its generation; keeps this process's facet columns in step
 * when they were current (else they are read again at the next search).
 */
function change(db: Db, write: () => void, removed: readonly number[], added: readonly SearchDocument[]): void {
  const cols = loadedFacetColumns(db);
  const generation = db.$client.transaction(() => {
    write();
    return bumpGeneration(db);
  })();
  if (cols && cols.generation === generation - 1) {
    for (const id of removed) cols.remove(id);
    cols.set(
      ...added.map((d) => ({
        id: d.id,
        key: documentKey(d),
        kind: d.kind,
        city: d.cityId,
        region: d.regionId,
        top: d.topCategoryId,
        cat: d.categoryId,
        priceMin: d.priceMin,
        priceMax: d.priceMax,
        publishedAt: d.publishedAt,
        expiresAt: d.expiresAt,
        hasImages: d.hasImages,
        verified: d.verified,
      })),
    );
    for (const d of added) cols.setAttributes(d.id, d.categoryId, d.attributes);
    cols.changed(generation);
  }
}

/** Puts the live documents in the index and takes out the other ids, in one transaction. */
export function ftsApply(db: Db, docs: readonly SearchDocument[], ids: readonly number[]): void {
  const keyOf = prepared(db, 'SELECT key FROM search_rows WHERE id = ?').pluck();
  const all = [...new Set([...ids, ...docs.map((d) => d.id)])];
  change(
    db,
    () => {
      for (const id of all) {
        const key = keyOf.get(id) as number | undefined;
        if (key !== undefined) deleteKey(db, key);
      }
      for (const doc of docs) insertDocument(db, doc);
    },
    all,
    docs,
  );
}

/**
 * Takes up to `limit` listings past their expiry out of the index (searches also leave them out until this has run);
 * how many it took out.
 */
export function ftsSweepExpired(db: Db, now: number, limit = 500): number {
  // A few hundred at a time at most: each is a delete of every token, and writers wait meanwhile.
  const keys = prepared(db, 'SELECT key FROM search_rows WHERE expires_at <= ? LIMIT ?').pluck().all(now, limit) as number[];
  if (keys.length > 0) change(db, () => keys.forEach((k) => deleteKey(db, k)), keys.map(idOfKey), []);
  return keys.length;
}

/**
 * FTS5 merges the segments that every commit adds while it commits: automatically (automerge), and all of a level at
 * once when one holds `crisismerge` segments. Under a 100k-listing load one such commit of three listings took
 * 1.7 s, the whole server waiting behind it. So FTS5 never merges on its own here: the indexer job merges in steps of
 * bounded work between its batches (ftsMergeStep), and a crisis merge (kept as a safety net for a process without
 * the job) needs 64 segments on one level, which the job's steps never let pile up.
 */
export function ftsMergeSettings(db: Db, suffix = ''): void {
  db.$client.exec(`INSERT INTO search_fts${suffix}(search_fts${suffix}, rank) VALUES ('automerge', 0)`);
  db.$client.exec(`INSERT INTO search_fts${suffix}(search_fts${suffix}, rank) VALUES ('crisismerge', 64)`);
}

/**
 * One step of FTS5's merging: about `pages` pages of merged segments written, when some level holds `usermerge` (4)
 * segments or a merge is under way. Whether it found work (FTS5 says so only through the change counter).
 */
export function ftsMergeStep(db: Db, pages: number): boolean {
  const changes = prepared(db, 'SELECT total_changes()').pluck();
  const before = changes.get() as number;
  prepared(db, "INSERT INTO search_fts(search_fts, rank) VALUES ('merge', ?)").run(pages);
  return (changes.get() as number) - before >= 2;
}

export function ftsCount(db: Db): number {
  return (prepared(db, 'SELECT count(*) AS n FROM search_rows').get() as { n: number }).n;
}

// ---- searching ----

// Where the words matched, best first. Filter tokens start with `_` and text tokens never do, so the last set (every
// text column) needs no column filter, which would make FTS5 read positions.
const COLUMNS = ['{title} : ', '{title category attrs} : ', ''] as const;
const READINGS: Reading[] = ['phrase', 'typed', 'synonyms'];

/** A text expression ANDed with filter tokens. */
function combine(text: string, tokens: string[]): string {
  return tokens.length === 0 ? text : [`(${text})`, ...tokens].join(' AND ');
}

/**
 * The text expressions of the relevance tiers, best first (title / category and attributes / everything, each as
 * typed, words apart, synonyms): a match belongs to the first tier it matches. The last is the whole match.
 */
export function relevanceTiers(q: ParsedQuery): string[] | null {
  if (!ftsExpression(q)) return null;
  const readings = READINGS.filter((r, i) => i === 0 || readingAdds(q, r));
  return COLUMNS.flatMap((cols) => readings.map((reading) => `${cols}(${ftsExpression(q, { reading })})`));
}

/** The FTS5 tokens of the filters no facet group ever leaves out: they narrow what FTS5 hands over. */
function baseTokens(f: SearchFilters): string[] {
  const tokens: string[] = [];
  if (f.cityId !== undefined) tokens.push(`_c${f.cityId}`);
  if (f.topCategoryId !== undefined) tokens.push(`_t${f.topCategoryId}`);
  return tokens;
}

const parseKeys = (json: unknown) => JSON.parse((json as string | null) ?? '[]') as number[];

/** Every key matching an FTS5 expression, oldest first (one JSON array: far cheaper than a row each). */
function allKeys(db: Db, match: string): number[] {
  return parseKeys(prepared(db, 'SELECT json_group_array(rowid) FROM search_fts WHERE search_fts MATCH ?').pluck().get(match));
}

/**
 * Text matches of `from` keys or more are kept for the next search with the same words (smaller ones are cheap to
 * read again), at most `keys` keys in all (8 bytes each). The exactness test keeps every match, to hold kept ones to
 * brute force too.
 */
export const KEPT = { from: 20_000, keys: 4_000_000 };

/**
 * Every key matching an FTS5 expression, oldest first. A broad word's match (hundreds of thousands of keys, tens of
 * milliseconds to read out of FTS5 however it is asked) is kept and brought up to date at the next search with the
 * same words: only the keys written or removed since are asked of FTS5 again.
 */
function textKeys(db: Db, cols: FacetColumns, match: string, keepFrom = KEPT.from): ArrayLike<number> {
  const kept = cols.textMatches.get(match);
  if (kept) {
    cols.textMatches.delete(match);
    const touched = cols.touchedSince(kept.generation);
    if (touched) {
      if (touched.length > 0) {
        const sql = 'SELECT json_group_array(rowid) FROM search_fts WHERE search_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))';
        const now = parseKeys(prepared(db, sql).pluck().get(match, JSON.stringify(touched))).sort((a, b) => a - b);
        kept.keys = patchKeys(kept.keys, [...new Set(touched)].sort((a, b) => a - b), now);
      }
      kept.generation = cols.generation;
      cols.textMatches.set(match, kept); // last used last
      return kept.keys;
    }
  }
  const keys = allKeys(db, match);
  if (keys.length >= keepFrom && keys.length <= KEPT.keys) {
    cols.textMatches.set(match, { generation: cols.generation, keys: Float64Array.from(keys) });
    let total = 0;
    for (const m of cols.textMatches.values()) total += m.keys.length;
    for (const [oldest, m] of cols.textMatches) {
      if (total <= KEPT.keys) break;
      cols.textMatches.delete(oldest);
      total -= m.keys.length;
    }
  }
  return keys;
}

/** Sorted keys without the touched ones, with those of them that match now merged in (all ascending). */
function patchKeys(keys: Float64Array, touched: number[], matching: number[]): Float64Array {
  const out = new Float64Array(keys.length + matching.length);
  let [n, t, m] = [0, 0, 0];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    while (t < touched.length && touched[t]! < k) t++;
    while (m < matching.length && matching[m]! < k) out[n++] = matching[m++]!;
    if (t < touched.length && touched[t] === k) continue;
    out[n++] = k;
  }
  while (m < matching.length) out[n++] = matching[m++]!;
  return out.slice(0, n);
}

/** The newest `limit` keys matching an FTS5 expression below `below`, newest first. */
function newestKeys(db: Db, match: string, limit: number, below: number): number[] {
  const keys = parseKeys(
    prepared(db, 'SELECT json_group_array(k) FROM (SELECT rowid AS k FROM search_fts WHERE search_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?)')
      .pluck()
      .get(match, below, limit),
  );
  return keys.sort((a, b) => b - a);
}

/** Facet groups: a group's counts leave out its own filter. Bits of a listing's "failed" mask. */
const KIND = 1;
const REGION = 2;
const CATEGORY = 4;
const FIRST_ATTRIBUTE = 8;

/**
 * The one pass over the candidates, newest first (the keys of a text match, oldest first as FTS5 gives them, or
 * every row): every filter decided on the facet columns, the matches kept in order (with their price when sorting by
 * it), and each facet group counted over the listings that fail no filter but its own.
 */
function filterAndCount(
  db: Db,
  req: EngineRequest,
  textKeys: ArrayLike<number> | null,
  byPrice: 'priceMin' | 'priceMax' | null,
  window: { offset: number; size: number } | null,
) {
  const cols = facetColumns(db);
  const f = req.filters;
  const now = req.now;
  const kindCode = f.kind ? cols.kindCodes.code(f.kind) : 0;
  const cityCode = f.cityId !== undefined ? cols.cityCodes.code(f.cityId) : 0;
  const regionCode = f.regionId !== undefined ? cols.regionCodes.code(f.regionId) : 0;
  const topCode = f.topCategoryId !== undefined ? cols.topCodes.code(f.topCategoryId) : 0;
  const catCode = f.categoryId !== undefined ? cols.catCodes.code(f.categoryId) : 0;
  const flags = (f.hasImages ? IMAGES : 0) | (f.verified ? VERIFIED : 0);
  const hasPrice = f.priceMin !== undefined || f.priceMax !== undefined;
  const [pMin, pMax] = [f.priceMin ?? -Infinity, f.priceMax ?? Infinity];
  const after = f.publishedAfter ?? -Infinity;

  // Attributes belong to the chosen subcategory: its listings' attributes, with a group bit per counted attribute.
  const facetKeys = req.facetAttributes.map((a) => a.key);
  const choices = Object.entries(f.attributes ?? {}).map(([key, value]) => ({ key, value, bit: facetKeys.includes(key) ? FIRST_ATTRIBUTE << facetKeys.indexOf(key) : -1 }));
  const ranges = Object.entries(f.attributeRanges ?? {}).filter(([, r]) => r.min !== undefined || r.max !== undefined);
  const needAttributes = f.categoryId !== undefined && (choices.length > 0 || ranges.length > 0 || facetKeys.length > 0);
  const attributes = needAttributes ? cols.attributesOf(db, f.categoryId!) : undefined;
  if (!needAttributes && (choices.length > 0 || ranges.length > 0)) return { matched: [] as number[], prices: [] as number[], total: 0, facets: emptyFacets() };

  const kindN = new Uint32Array(cols.kindCodes.values.length + 1);
  const cityN = new Uint32Array(cols.cityCodes.values.length + 1);
  const regionN = new Uint32Array(cols.regionCodes.values.length + 1);
  const topN = new Uint32Array(cols.topCodes.values.length + 1);
  const catN = new Uint32Array(cols.catCodes.values.length + 1);
  const attributeN = facetKeys.map(() => new Map<string, number>());
  const matched: number[] = [];
  const prices: number[] = [];
  let total = 0;

  const visit = (b: Block, p: number) => {
    if (!(b.expires[p]! > now)) return;
    if ((cityCode !== 0 && b.city[p] !== cityCode) || (topCode !== 0 && b.top[p] !== topCode) || (b.flags[p]! & flags) !== flags) return;
    if (hasPrice && !(b.priceMax[p]! >= pMin && b.priceMin[p]! <= pMax)) return;
    if (b.published[p]! < after) return;
    let failed = 0;
    if (kindCode !== 0 && b.kind[p] !== kindCode) failed |= KIND;
    if (regionCode !== 0 && b.region[p] !== regionCode) failed |= REGION;
    if (catCode !== 0 && b.cat[p] !== catCode) failed |= CATEGORY;
    let attrs: Record<string, unknown> | undefined;
    if (attributes) {
      attrs = attributes.get(b.key[p]! % ID_SPACE);
      for (const r of ranges) {
        const v = attrs ? attributeNumber(attrs[r[0]]) : NaN;
        if (!Number.isFinite(v) || (r[1].min !== undefined && v < r[1].min) || (r[1].max !== undefined && v > r[1].max)) return;
      }
      for (const c of choices) {
        const v = attrs?.[c.key];
        if (v === undefined || v === null || String(v) !== c.value) {
          if (c.bit < 0) return;
          failed |= c.bit;
        }
      }
    }
    if (failed & (failed - 1)) return; // two groups or more: in no count
    if (failed === 0) {
      // Newest first, only the page needs the keys: the others are counted.
      if (!window || (total >= window.offset && total < window.offset + window.size)) matched.push(b.key[p]!);
      if (byPrice) prices.push(b[byPrice][p]!);
      total++;
    }
    if (failed === 0 || failed === KIND) kindN[b.kind[p]!]!++;
    if (failed === 0 || failed === REGION) {
      cityN[b.city[p]!]!++;
      regionN[b.region[p]!]!++;
    }
    if (failed === 0 || failed === CATEGORY) {
      topN[b.top[p]!]!++;
      catN[b.cat[p]!]!++;
    }
    if (attrs) {
      for (let i = 0; i < facetKeys.length; i++) {
        if (failed !== 0 && failed !== FIRST_ATTRIBUTE << i) continue;
        const v = attrs[facetKeys[i]!];
        if (v === undefined || v === null) continue;
        const m = attributeN[i]!;
        m.set(String(v), (m.get(String(v)) ?? 0) + 1);
      }
    }
  };

  const { main, recent } = cols;
  if (textKeys) {
    // Newest first, each found by a walk down the main block's keys (a listing changed since the load: the recent block).
    let from = 0;
    for (let i = textKeys.length - 1; i >= 0; i--) {
      const k = textKeys[i]!;
      const q = recent.length > 0 ? recent.find(k) : -1;
      if (q >= 0) {
        visit(recent, q);
        continue;
      }
      from = main.atOrOlder(k, from);
      if (from < main.length && main.key[from] === k) visit(main, from);
    }
  } else {
    // Every row, newest first: the main block's, with the recent block's rows visited in their turn. Listings of a
    // city or an industry are read from that code's list; a publish-date filter stops at the first older row.
    const end = f.publishedAfter === undefined ? main.length : main.firstOlder(documentKey({ id: 1, publishedAt: f.publishedAfter }) - 1);
    let q = 0;
    const visitMain = (p: number) => {
      while (q < recent.length && recent.key[q]! > main.key[p]!) visit(recent, q++);
      visit(main, p);
    };
    // An attribute filter fails every listing outside the subcategory, which then fails two filters and counts
    // nowhere: only the subcategory's rows need a visit.
    const leafOnly = catCode > 0 && (choices.length > 0 || ranges.length > 0);
    const list = leafOnly ? main.rowsWith('cat', catCode) : cityCode > 0 || topCode > 0 ? shortest(main, cityCode, topCode) : null;
    if (list) {
      for (let i = 0; i < list.length && list[i]! < end; i++) visitMain(list[i]!);
    } else if (cityCode >= 0 && topCode >= 0) for (let p = 0; p < end; p++) visitMain(p);
    while (q < recent.length) visit(recent, q++);
  }

  const facets: Facets = {
    kind: cols.kindCodes.named(kindN),
    city: cols.cityCodes.named(cityN),
    region: cols.regionCodes.named(regionN),
    topCategory: cols.topCodes.named(topN),
    category: cols.catCodes.named(catN),
    attributes: Object.fromEntries(facetKeys.map((key, i) => [key, Object.fromEntries(attributeN[i]!)])),
  };
  return { matched, prices, total, facets };
}

/** The shorter of the main block's row lists for a city and an industry code (0: no such filter). */
function shortest(main: Block, cityCode: number, topCode: number): Int32Array {
  if (cityCode <= 0) return main.rowsWith('top', topCode);
  if (topCode <= 0) return main.rowsWith('city', cityCode);
  const [a, b] = [main.rowsWith('city', cityCode), main.rowsWith('top', topCode)];
  return a.length <= b.length ? a : b;
}

/**
 * Indices of the `n` first of `count` items by `value` (ascending), ties by `keys` descending (newest first): a
 * bounded heap, not a sort of every match.
 */
function firstBy(count: number, value: number[], keys: number[], n: number): number[] {
  const before = (a: number, b: number) => value[a]! < value[b]! || (value[a] === value[b] && keys[a]! > keys[b]!);
  const order = (a: number, b: number) => (before(a, b) ? -1 : before(b, a) ? 1 : 0);
  // A max-heap (by `before`) of the n best so far: its root is the worst of them.
  const heap: number[] = [];
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  for (let x = 0; x < count; x++) {
    if (heap.length < n) {
      heap.push(x);
      for (let i = heap.length - 1; i > 0 && before(heap[(i - 1) >> 1]!, heap[i]!); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
    } else if (before(x, heap[0]!)) {
      heap[0] = x;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let w = i;
        if (l < heap.length && before(heap[w]!, heap[l]!)) w = l;
        if (r < heap.length && before(heap[w]!, heap[r]!)) w = r;
        if (w === i) break;
        swap(i, w);
        i = w;
      }
    }
  }
  return heap.sort(order);
}

/**
 * One page of the matches in relevance order: each tier read newest first from FTS5 (only as far as the page
 * needs), a match counted in the first tier it is in; the last tier is the rest of the matches.
 */
function relevancePage(db: Db, tiers: string[], base: string[], matched: number[], textCount: number, cols: FacetColumns, offset: number, size: number): number[] {
  // By listing id: 1, a match not yet in a tier; 2, in one.
  const state = new Uint8Array(cols.idLimit);
  for (const k of matched) state[k % ID_SPACE] = 1;
  const page: number[] = [];
  let skip = offset;
  const take = (k: number) => {
    const id = k % ID_SPACE;
    if (state[id] !== 1) return;
    state[id] = 2;
    if (skip > 0) skip--;
    else page.push(k);
  };
  // Filters that leave few of a broad word's matches make a tier read newest first go through most of the tier (and
  // FTS5 reads positions for the column filter) to find a page: the whole tier is read once and kept instead.
  const keepTiers = textCount >= KEPT.from && matched.length * 4 < textCount;
  for (const tier of tiers.slice(0, -1)) {
    const match = combine(tier, base);
    if (keepTiers) {
      // However few keys: what is slow here is finding them (a tier with no match in a title reads every position).
      const keys = textKeys(db, cols, match, 0);
      for (let i = keys.length - 1; i >= 0 && page.length < size; i--) take(keys[i]!);
      if (page.length >= size) return page;
      continue;
    }
    let limit = Math.max(256, 2 * (skip + size));
    for (let below = Number.MAX_SAFE_INTEGER; page.length < size; limit *= 4) {
      const keys = newestKeys(db, match, limit, below);
      for (const k of keys) {
        take(k);
        if (page.length >= size) break;
      }
      if (keys.length < limit) break;
      below = keys[keys.length - 1]!;
    }
    if (page.length >= size) return page;
  }
  for (const k of matched) {
    take(k);
    if (page.length >= size) break;
  }
  return page;
}

export function ftsSearch(db: Db, req: EngineRequest): EngineResult {
  const cols = facetColumns(db);
  const tiers = relevanceTiers(req.query);
  const base = baseTokens(req.filters);
  const byPrice = req.sort === 'price_asc' ? 'priceMin' : req.sort === 'price_desc' ? 'priceMax' : null;
  const text = tiers ? textKeys(db, cols, combine(tiers.at(-1)!, base)) : null;
  const offset = (req.page - 1) * req.pageSize;
  // Newest first is the order of the pass: it keeps only the page. Prices and relevance need every match.
  const newest = !byPrice && !(tiers && req.sort === 'relevance');
  const { matched, prices, total, facets } = filterAndCount(db, req, text, byPrice, newest ? { offset, size: req.pageSize } : null);
  let keys: number[] = [];
  if (newest) keys = matched;
  else if (total > offset) {
    if (byPrice) {
      // Negotiable (no price) last both ways; ties newest first.
      const sign = byPrice === 'priceMin' ? 1 : -1;
      const value = prices.map((p) => (Number.isNaN(p) ? Infinity : sign * p));
      keys = firstBy(matched.length, value, matched, offset + req.pageSize)
        .slice(offset)
        .map((i) => matched[i]!);
    } else keys = relevancePage(db, tiers!, base, matched, text!.length, cols, offset, req.pageSize);
  }
  return { ids: keys.map(idOfKey), total, exact: true, facetsExact: true, facets };
}

export class FtsEngine implements SearchEngine {
  readonly name = 'fts' as const;
  constructor(private readonly db: Db) {}
  search(req: EngineRequest): Promise<EngineResult> {
    return Promise.resolve(ftsSearch(this.db, req));
  }
}

/** Newest listings whose title matches what is typed so far, and companies whose name does. */
export function ftsSuggest(db: Db, query: ParsedQuery, limit: number): { listingIds: number[]; companyIds: number[] } {
  const text = ftsExpression(query, { prefix: true });
  if (!text) return { listingIds: [], companyIds: [] };
  const titles = prepared(db, `SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ${limit}`)
    .pluck()
    .all(`title : (${text})`) as number[];
  const companies = prepared(
    db,
    `SELECT DISTINCT r.company_id AS id FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT 200) m
     JOIN search_rows r ON r.key = m.rowid LIMIT 3`,
  ).all(`company : (${text})`) as { id: number }[];
  return { listingIds: titles.map(idOfKey), companyIds: companies.map((r) => r.id) };
}

