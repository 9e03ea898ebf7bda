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
import type { ListingAttributes } from '../../../db/schema.ts';
import {
  BIG_PRICE,
  Block,
  bumpGeneration,
  facetColumns,
  ID_SPACE,
  IMAGES,
  loadedFacetColumns,
  minuteOfKey,
  NO_PRICE,
  VERIFIED,
  type ComboCounts,
  type FacetColumns,
  type HeldCounts,
  type KeptMatch,
} from './facet-columns.ts';
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
  // What an interrupted rebuild left: its half-built tables, or the old ones it had not finished dropping.
  dropRetired(db, '_new');
  dropRetired(db, '_old');
  db.$client.exec(tables('_new'));
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
      // Renames only: dropping the old tables here would hold every writer of the site back while SQLite frees each
      // of their pages (1-115 s at a million listings). They are set aside and dropped after, a little at a time.
      db.$client.transaction(() => {
        db.$client.exec(`ALTER TABLE search_fts RENAME TO search_fts_old; ALTER TABLE search_rows RENAME TO search_rows_old;
          ALTER TABLE search_fts_new RENAME TO search_fts; ALTER TABLE search_rows_new RENAME TO search_rows;`);
        bumpGeneration(db);
      })();
      statements.delete(db.$client);
      // Statistics for the new row table's indexes only: an ANALYZE of the whole database reads every index of a
      // million listings again for nothing that changed.
      step('statistics');
      db.$client.exec('ANALYZE search_rows');
      // The old index is emptied and dropped by the indexer job a step at a time (ftsDropRetiredStep): a second or
      // more of deletes at a million listings, which a rebuild in the server would otherwise do on its event loop.
    },
  };
}

/** Rows deleted per transaction while a set-aside table is emptied: a few megabytes, some milliseconds of lock. */
const DROP_STEP_ROWS = { data: 1000, other: 20_000 };

/**
 * Drops the index tables with this suffix without holding the write lock for long: the large ones are emptied in
 * short transactions first (each frees a few megabytes of pages, and writers of the site get their turn between),
 * then the empty tables are dropped. FTS5 keeps its segments in the `_data` shadow table and a row's column sizes in
 * `_docsize`; SQLite refuses direct writes to shadow tables unless defensive mode is off, which it is only here.
 */
function dropRetired(db: Db, suffix: string): void {
  while (dropStep(db, suffix));
}

/**
 * One step of dropping the index a rebuild set aside (`_old`): at most a few megabytes deleted, or one empty table
 * dropped. Returns whether more is left. The indexer job calls it between its other work until none is.
 */
export const ftsDropRetiredStep = (db: Db): boolean => dropStep(db, '_old');

function dropStep(db: Db, suffix: string): boolean {
  const sqlite = db.$client;
  // Asked by the indexer job at each of its idle runs: statements kept, not prepared each time.
  const has = (name: string) => prepared(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  const rows = `search_rows${suffix}`;
  if (has(rows)) {
    const index = prepared(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").pluck().get(rows) as string | undefined;
    if (index !== undefined) sqlite.exec(`DROP INDEX "${index}"`);
    else if (deleteSome(db, rows, DROP_STEP_ROWS.other) === 0) sqlite.exec(`DROP TABLE "${rows}"`);
    return true;
  }
  const fts = `search_fts${suffix}`;
  if (!has(fts)) return false;
  sqlite.unsafeMode(true);
  try {
    if (has(`${fts}_data`) && deleteSome(db, `${fts}_data`, DROP_STEP_ROWS.data) > 0) return true;
    if (has(`${fts}_docsize`) && deleteSome(db, `${fts}_docsize`, DROP_STEP_ROWS.other) > 0) return true;
  } finally {
    sqlite.unsafeMode(false);
  }
  sqlite.exec(`DROP TABLE "${fts}"`);
  return has(rows) || has(fts);
}

/** Deletes up to `perStep` rows of a table in one transaction; returns how many. */
function deleteSome(db: Db, table: string, perStep: number): number {
  return db.$client.prepare(`DELETE FROM "${table}" WHERE rowid IN (SELECT rowid FROM "${table}" ORDER BY rowid LIMIT ?)`).run(perStep).changes;
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

function deleteKey(db: Db, key: number): void {
  prepared(db, 'DELETE FROM search_fts WHERE rowid = ?').run(key);
  prepared(db, 'DELETE FROM search_rows WHERE key = ?').run(key);
}

/**
 * Changes the index in one transaction that also bumps its generation; keeps this process's facet columns in step
 * when they were current (else they are read again at the next search).
 */
function change(db: Db, write: () => void, removed: readonly number[], added: readonly SearchDocument[], addedRows: readonly IndexRow[] = []): void {
  const cols = loadedFacetColumns(db);
  const generation = db.$client.transaction(() => {
    write();
    return bumpGeneration(db);
  })();
  if (cols && cols.generation === generation - 1) {
    const removedKeys = removed.map((id) => cols.keyOf(id));
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
    touchedTextOf(db, cols);
    const drop = prepared(db, 'DELETE FROM temp.search_touched WHERE rowid = ?');
    for (const key of removedKeys) if (key !== 0) drop.run(key);
    const insert = prepared(db, 'INSERT OR REPLACE INTO temp.search_touched(rowid, title, category, attrs, company, description, f) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const row of addedRows) insert.run(row.slice(0, TEXT_END));
  }
}

/** Puts the live documents in the index and takes out the other ids, in one transaction. */
export function ftsApply(db: Db, docs: readonly SearchDocument[], ids: readonly number[]): void {
  const keyOf = prepared(db, 'SELECT key FROM search_rows WHERE id = ?').pluck();
  const all = [...new Set([...ids, ...docs.map((d) => d.id)])];
  const rows = docs.map(indexRow);
  change(
    db,
    () => {
      for (const id of all) {
        const key = keyOf.get(id) as number | undefined;
        if (key !== undefined) deleteKey(db, key);
      }
      for (const row of rows) insertRow(db, row);
    },
    all,
    docs,
    rows,
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
 * Every text match is kept for the next search with the same words, at most this many bytes in all (a row number
 * each, or a bit per row of the columns for broad words), the least recently used dropped first: even a few thousand
 * keys cost milliseconds to read out of FTS5 again (and a relevance tier's column filter more).
 */
const KEPT_BYTES = 4 * 2 ** 20;

/** A text match as rows of the columns: the main block's (ascending: newest first) and the recent block's keys (descending). */
interface TextMatch {
  /** The main block's rows, ascending (a kept bitset is unpacked on first use), and how many. */
  readonly main: Int32Array;
  count: number;
  recent: number[];
  /** The main block's rows as a bitset, when kept so: a match of a good share of all rows is scanned in row order. */
  bits: Uint32Array | null;
  /** Which read of FTS5 the main rows come from (KeptMatch.serial; 0: not kept): held counts patch only the same. */
  serial: number;
}

let serials = 0;

/** Where keys (ascending, as FTS5 gives them) are in the columns: the main block's rows by listing id. */
function locateKeys(cols: FacetColumns, keys: ArrayLike<number>): TextMatch {
  const { recent } = cols;
  const rows = new Int32Array(keys.length);
  const inRecent: number[] = [];
  let n = 0;
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    const p = cols.mainRow(k);
    if (p >= 0) rows[n++] = p;
    // A listing changed since the load has its live row in the recent block (and a dead one in the main block).
    else if (recent.length > 0 && recent.find(k) >= 0) inRecent.push(k);
  }
  return { main: n === rows.length ? rows : rows.slice(0, n), count: n, recent: inRecent, bits: null, serial: 0 };
}

/** A kept match's main rows as a list (a bitset is unpacked). */
function keptRows(kept: KeptMatch): Int32Array {
  if (kept.rows) return kept.rows;
  const bits = kept.bits!;
  const rows = new Int32Array(kept.count);
  let n = 0;
  for (let w = 0; w < bits.length; w++) {
    for (let x = bits[w]!; x !== 0; ) {
      const low = x & -x;
      rows[n++] = (w << 5) + 31 - Math.clz32(low);
      x ^= low;
    }
  }
  return rows;
}

function keep(cols: FacetColumns, match: string, m: TextMatch): void {
  const count = m.main.length;
  const words = (cols.main.length + 31) >> 5;
  let kept: KeptMatch;
  if (count > words) {
    // More than one row in 32: a bit per row is smaller than a row number per match.
    const bits = new Uint32Array(words);
    for (let i = 0; i < count; i++) bits[m.main[i]! >> 5]! |= 1 << (m.main[i]! & 31);
    kept = { generation: cols.generation, rows: null, bits, count, recent: m.recent, bytes: bits.byteLength + 8 * m.recent.length, serial: ++serials };
  } else kept = { generation: cols.generation, rows: m.main, bits: null, count, recent: m.recent, bytes: m.main.byteLength + 8 * m.recent.length, serial: ++serials };
  if (kept.bytes > KEPT_BYTES) return;
  m.serial = kept.serial;
  cols.textMatches.set(match, kept);
  let total = 0;
  for (const k of cols.textMatches.values()) total += k.bytes;
  for (const [oldest, k] of cols.textMatches) {
    if (total <= KEPT_BYTES) break;
    cols.textMatches.delete(oldest);
    total -= k.bytes;
  }
}

/**
 * The text of every listing written since the facet columns' log (re)started, in a small FTS5 table of this
 * connection shaped like search_fts: whether a touched key matches some words now is asked of it, not of search_fts,
 * where `MATCH ? AND rowid IN (...)` reads the whole match (hundreds of milliseconds for a broad word within a column).
 * Kept in step by `change`; emptied when the log starts again (a merge of the blocks), so it holds at most the rows
 * written since the last merge (a few thousand).
 */
const touchedText = new WeakMap<Database.Database, { cols: FacetColumns; epoch: number }>();

function touchedTextOf(db: Db, cols: FacetColumns): void {
  const at = touchedText.get(db.$client);
  if (at?.cols === cols && at.epoch === cols.logEpoch) return;
  db.$client.exec(`DROP TABLE IF EXISTS temp.search_touched;
    CREATE VIRTUAL TABLE temp.search_touched USING fts5(title, category, attrs, company, description, f, tokenize="ascii tokenchars '_'");`);
  statements.delete(db.$client); // statements on the dropped table
  touchedText.set(db.$client, { cols, epoch: cols.logEpoch });
}

/** Of the touched keys, those whose text matches an FTS5 expression now. */
function touchedMatching(db: Db, cols: FacetColumns, match: string, touched: readonly number[]): number[] {
  touchedTextOf(db, cols);
  const all = new Set(parseKeys(prepared(db, 'SELECT json_group_array(rowid) FROM temp.search_touched WHERE search_touched MATCH ?').pluck().get(match)));
  return touched.filter((k) => all.has(k));
}

/**
 * Every row matching an FTS5 expression. A broad word's match (hundreds of thousands of keys, tens of milliseconds to
 * read out of FTS5 however it is asked) is kept and brought up to date at the next search with the same words: the
 * main block's rows never change but for dead marks (a merge drops what is kept), and of the keys written or removed
 * since, only those are matched again (touchedMatching).
 */
function textKeys(db: Db, cols: FacetColumns, match: string): TextMatch {
  const kept = cols.textMatches.get(match);
  if (kept) {
    cols.textMatches.delete(match);
    const touched = cols.touchedSince(kept.generation);
    if (touched) {
      if (touched.length > 0) {
        const now = touchedMatching(db, cols, match, touched);
        kept.recent = patchKeys(kept.recent, new Set(touched), now);
        kept.bytes += 8 * now.length;
      }
      kept.generation = cols.generation;
      cols.textMatches.set(match, kept); // last used last
      let rows: Int32Array | undefined;
      return {
        get main() {
          return (rows ??= keptRows(kept));
        },
        count: kept.count,
        recent: kept.recent.filter((k) => cols.recent.find(k) >= 0),
        bits: kept.bits,
        serial: kept.serial,
      };
    }
  }
  const m = locateKeys(cols, allKeys(db, match));
  keep(cols, match, m);
  return m;
}

/** Keys (descending) without the touched ones, with those of them that match now (any order) merged in. */
function patchKeys(keys: number[], touched: Set<number>, matching: number[]): number[] {
  return [...new Set([...keys.filter((k) => !touched.has(k)), ...matching])].sort((a, b) => b - a);
}

/** Searches of at most this many matches hold their rows with their counts (see FacetColumns.keepCounts). */
const HELD_ROWS = 100_000;

/** Facet groups: a group's counts leave out its own filter. Bits of a listing's "failed" mask. */
const KIND = 1;
const REGION = 2;
const CATEGORY = 4;
const FIRST_ATTRIBUTE = 8;

/** What one pass decides and counts; `keys` (and `prices`) are the matches in the order visited. */
interface Pass {
  nowSec: number;
  kindCode: number;
  /** By place / category pair code: 0 fails a must-pass filter (city, industry), 2 fails only its facet group's, 1 passes. */
  placeState: Uint8Array;
  catState: Uint8Array;
  flags: number;
  hasPrice: boolean;
  pMin: number;
  pMax: number;
  /** Keys of the publish filter's boundary minute: below `afterLo` too old, from `afterHi` new enough, between: exact check. */
  afterLo: number;
  afterHi: number;
  afterMs: number;
  /** Matches to keep in `keys` (the others are only counted). */
  limit: number;
  /** False: facets are counted elsewhere (ComboCounts); the pass only finds matches, and stops at the limit. */
  countAll: boolean;
  /** Relevance order: matches are marked (1) by row of the block scanned instead of listed. */
  mark: Uint8Array | null;
  /** The first expiry (second) of a counted listing, and the oldest publish time counted: the counts hold until then. */
  minExpiry: number;
  minPublished: number;
  /** The matching rows, collected while counting for the counts held (null: not, or too many). */
  hold: number[] | null;
  byPrice: 'priceMin' | 'priceMax' | null;
  attributes: AttributeCheck | null;
  exact: ExactRow;
  kindN: Uint32Array;
  placeN: Uint32Array;
  catN: Uint32Array;
  keys: number[];
  prices: number[];
  total: number;
}

interface AttributeCheck {
  of: Map<number, ListingAttributes>;
  ranges: [string, { min?: number; max?: number }][];
  choices: { key: string; value: string; bit: number }[];
  facetKeys: string[];
  counts: Map<string, number>[];
}

/** The exact facts the columns hold rounded: read from search_rows only at a filter's boundary (a rare row). */
type ExactRow = (key: number) => { publishedAt: number; expiresAt: number; priceMin: number | null; priceMax: number | null } | undefined;

function exactRows(db: Db): ExactRow {
  return (key) => {
    const row = prepared(db, 'SELECT published_at, expires_at, price_min, price_max FROM search_rows WHERE key = ?').raw().get(key) as
      | [number, number, number | null, number | null]
      | undefined;
    return row && { publishedAt: row[0], expiresAt: row[1], priceMin: row[2], priceMax: row[3] };
  };
}

/**
 * Visits rows of a block (`rows` given: those, else `from` to `to`), newest first: every filter decided on the
 * columns, the matches kept in order up to the limit (with their price when sorting by it), and each facet group
 * counted over the listings that fail no filter but the group's own. One tight loop over typed arrays.
 */
function scan(b: Block, rows: Int32Array | null, from: number, to: number, s: Pass, now: number, bits: Uint32Array | null = null): void {
  const { key, expires, priceMin, priceMax, kind, flags, place, cat } = b;
  const { nowSec, kindCode, placeState, catState, hasPrice, pMin, pMax, afterLo, afterHi, byPrice, attributes, kindN, placeN, catN, keys, prices } = s;
  const need = s.flags;
  const hasAfter = afterHi !== -Infinity;
  const usePrice = hasPrice || byPrice !== null;
  let total = s.total;
  let minExpiry = s.minExpiry;
  // Columns are read only when a filter or the order needs them: a row of a text match is a cache miss per column.
  for (let i = from; i < to; i++) {
    const p = rows === null ? i : rows[i]!;
    if (bits !== null && (bits[p >> 5]! & (1 << (p & 31))) === 0) continue;
    if (hasPrice) {
      // Most often the narrowest filter: tested first, on two columns.
      const lo = priceMin[p]!;
      const hi = priceMax[p]!;
      if (lo !== BIG_PRICE && hi !== BIG_PRICE && (lo === NO_PRICE || hi === NO_PRICE || hi < pMin || lo > pMax)) continue;
    }
    const e = expires[p]!;
    if (e <= nowSec && (e < nowSec || !((s.exact(key[p]!)?.expiresAt ?? 0) > now))) continue;
    const pl = place[p]!;
    const ct = cat[p]!;
    const ps = placeState[pl]!;
    const cs = catState[ct]!;
    if (ps === 0 || cs === 0) continue;
    if (need !== 0 && (flags[p]! & need) !== need) continue;
    // When it was published: exactly in the filter's boundary minute, else no later than its minute's start.
    let published = 0;
    if (hasAfter) {
      const k = key[p]!;
      if (k < afterHi) {
        if (k < afterLo) continue;
        published = s.exact(k)?.publishedAt ?? -Infinity;
        if (!(published >= s.afterMs)) continue;
      } else published = KEY_EPOCH + minuteOfKey(k) * MINUTE;
    }
    let lo = NO_PRICE;
    let hi = NO_PRICE;
    if (usePrice) {
      lo = priceMin[p]!;
      hi = priceMax[p]!;
      if (lo === BIG_PRICE || hi === BIG_PRICE) {
        const exact = exactPrices(s, key[p]!);
        lo = exact[0];
        hi = exact[1];
      }
      if (hasPrice && (lo === NO_PRICE || hi === NO_PRICE || hi < pMin || lo > pMax)) continue;
    }
    const kd = kind[p]!;
    let failed = (kindCode !== 0 && kd !== kindCode ? KIND : 0) | (ps === 2 ? REGION : 0) | (cs === 2 ? CATEGORY : 0);
    let attrs: ListingAttributes | undefined;
    if (attributes && cs === 1) {
      attrs = attributes.of.get(key[p]! % ID_SPACE);
      let out = false;
      for (const r of attributes.ranges) {
        const v = attrs ? attributeNumber(attrs[r[0]]) : NaN;
        if (!Number.isFinite(v) || (r[1].min !== undefined && v < r[1].min) || (r[1].max !== undefined && v > r[1].max)) out = true;
      }
      for (const c of attributes.choices) {
        const v = attrs?.[c.key];
        if (v === undefined || v === null || String(v) !== c.value) {
          if (c.bit < 0) out = true;
          failed |= c.bit;
        }
      }
      if (out) continue;
    } else if (attributes && (attributes.ranges.length > 0 || attributes.choices.length > 0)) continue; // outside the subcategory: fails its attributes too
    if (!s.countAll) {
      if (failed !== 0) continue;
      if (s.mark) s.mark[p] = 1;
      else {
        keys.push(key[p]!);
        if (byPrice) prices.push(byPrice === 'priceMin' ? lo : hi);
      }
      if (s.hold) s.hold.push(p);
      if (e < minExpiry) minExpiry = e; // a price order held holds until a match expires
      if (++total >= s.limit) break;
      continue;
    }
    // The counts hold until the first counted listing expires (or ages past the publish-date filter).
    if (e < minExpiry) minExpiry = e;
    if (hasAfter && published < s.minPublished) s.minPublished = published;
    if (failed === 0) {
      if (s.hold) {
        if (s.hold.length < HELD_ROWS) s.hold.push(p);
        else s.hold = null;
      }
      // Newest first: only the page needs the keys, the others are counted.
      if (s.mark) s.mark[p] = 1;
      else if (total < s.limit) {
        keys.push(key[p]!);
        if (byPrice) prices.push(byPrice === 'priceMin' ? lo : hi);
      }
      total++;
      kindN[kd]!++;
      placeN[pl]!++;
      catN[ct]!++;
    } else if (failed === KIND) kindN[kd]!++;
    else if (failed === REGION) placeN[pl]!++;
    else if (failed === CATEGORY) catN[ct]!++;
    if (attrs && (failed === 0 || failed >= FIRST_ATTRIBUTE)) {
      for (let a = 0; a < attributes!.facetKeys.length; a++) {
        if (failed !== 0 && failed !== FIRST_ATTRIBUTE << a) continue;
        const v = attrs[attributes!.facetKeys[a]!];
        if (v === undefined || v === null) continue;
        const m = attributes!.counts[a]!;
        m.set(String(v), (m.get(String(v)) ?? 0) + 1);
      }
    }
  }
  s.total = total;
  s.minExpiry = minExpiry;
}

/** Total and facet counts of a search without words off the combo counts, less the rows expired by now. */
function countCombos(cols: FacetColumns, c: ComboCounts, s: Pass, now: number): number {
  const { kindCode, placeState, catState, kindN, placeN, catN } = s;
  let total = 0;
  const add = (kd: number, pl: number, ct: number, w: number) => {
    const [ps, cs] = [placeState[pl]!, catState[ct]!];
    if (ps === 0 || cs === 0) return;
    const failed = (kindCode !== 0 && kd !== kindCode ? KIND : 0) | (ps === 2 ? REGION : 0) | (cs === 2 ? CATEGORY : 0);
    if (failed === 0) {
      total += w;
      kindN[kd]! += w;
      placeN[pl]! += w;
      catN[ct]! += w;
    } else if (failed === KIND) kindN[kd]! += w;
    else if (failed === REGION) placeN[pl]! += w;
    else if (failed === CATEGORY) catN[ct]! += w;
  };
  for (let kd = 1; kd < c.kinds; kd++) {
    for (let pl = 1; pl < c.places; pl++) {
      if (placeState[pl] === 0) continue;
      const base = (kd * c.places + pl) * c.cats;
      for (let ct = 1; ct < c.cats; ct++) if (c.n[base + ct] !== 0) add(kd, pl, ct, c.n[base + ct]!);
    }
  }
  for (const key of c.expiring) {
    const at = cols.locate(key);
    if (!at || at[0].dead(at[1])) continue;
    const [b, p] = at;
    const e = b.expires[p]!;
    if (e > s.nowSec || (e === s.nowSec && (s.exact(key)?.expiresAt ?? 0) > now)) continue;
    add(b.kind[p]!, b.place[p]!, b.cat[p]!, -1);
  }
  return total;
}

/** A row's prices as search_rows holds them (exactly: SQLite keeps any integer of fen, and a fraction as a REAL). */
function exactPrices(s: Pass, key: number): [number, number] {
  const row = s.exact(key);
  // Negotiable is NO_PRICE; a price is at least one fen.
  return [row?.priceMin ?? NO_PRICE, row?.priceMax ?? NO_PRICE];
}

/** Two lists of keys descending (with values alongside), merged. */
function mergeDescending(a: number[], av: number[], b: number[], bv: number[]): [number[], number[]] {
  if (b.length === 0) return [a, av];
  const keys: number[] = [];
  const values: number[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! > b[j]!)) {
      keys.push(a[i]!);
      if (av.length > 0) values.push(av[i]!);
      i++;
    } else {
      keys.push(b[j]!);
      if (bv.length > 0) values.push(bv[j]!);
      j++;
    }
  }
  return [keys, values];
}

/**
 * The one pass over the candidates, newest first (the rows of a text match, or every row): every filter decided on
 * the facet columns, the matches kept in order (with their price when sorting by it), and each facet group counted
 * over the listings that fail no filter but its own.
 */
function filterAndCount(
  db: Db,
  req: EngineRequest,
  text: TextMatch | null,
  byPrice: 'priceMin' | 'priceMax' | null,
  window: { offset: number; size: number } | null,
  marks: Marks | null = null,
  match = '',
) {
  const cols = facetColumns(db);
  const f = req.filters;
  // Attributes belong to the chosen subcategory: its listings' attributes, with a group bit per counted attribute.
  const facetKeys = req.facetAttributes.map((a) => a.key);
  const choices = Object.entries(f.attributes ?? {}).map(([key, value]) => ({ key, value, bit: facetKeys.includes(key) ? FIRST_ATTRIBUTE << facetKeys.indexOf(key) : -1 }));
  const ranges = Object.entries(f.attributeRanges ?? {}).filter(([, r]) => r.min !== undefined || r.max !== undefined);
  const needAttributes = f.categoryId !== undefined && (choices.length > 0 || ranges.length > 0 || facetKeys.length > 0);
  if (!needAttributes && (choices.length > 0 || ranges.length > 0)) return { matched: [] as number[], prices: [] as number[], total: 0, facets: emptyFacets() };
  const after = f.publishedAfter;
  const afterMinute = after === undefined ? -1 : minuteOfKey(documentKey({ id: 1, publishedAt: after }));
  const s: Pass = {
    nowSec: Math.floor(req.now / 1000),
    kindCode: f.kind ? cols.kindCodes.code(f.kind) : 0,
    placeState: cols.places.states(f.cityId, f.regionId),
    catState: cols.cats.states(f.topCategoryId, f.categoryId),
    flags: (f.hasImages ? IMAGES : 0) | (f.verified ? VERIFIED : 0),
    hasPrice: f.priceMin !== undefined || f.priceMax !== undefined,
    pMin: f.priceMin ?? -Infinity,
    pMax: f.priceMax ?? Infinity,
    afterLo: after === undefined ? -Infinity : afterMinute * ID_SPACE,
    afterHi: after === undefined ? -Infinity : (afterMinute + 1) * ID_SPACE,
    afterMs: after ?? -Infinity,
    limit: window ? window.offset + window.size : Infinity,
    countAll: true,
    mark: null,
    minExpiry: Infinity,
    minPublished: Infinity,
    hold: null,
    byPrice,
    attributes: needAttributes ? { of: cols.attributesOf(db, f.categoryId!), ranges, choices, facetKeys, counts: facetKeys.map(() => new Map()) } : null,
    exact: exactRows(db),
    kindN: new Uint32Array(cols.kindCodes.values.length + 1),
    placeN: new Uint32Array(cols.places.size),
    catN: new Uint32Array(cols.cats.size),
    keys: [],
    prices: [],
    total: 0,
  };
  // Without words, and filtered on kind, place and category only: facets and total off the combo counts, and the
  // pass only walks newest first as far as the page.
  const combos = !text && !s.hasPrice && after === undefined && s.flags === 0 && !s.attributes ? cols.combosAt(s.nowSec) : null;
  const comboTotal = combos ? countCombos(cols, combos, s, req.now) : 0;
  // Counts of the same words and filters made since the last change to the index, that no expiry has changed since
  // (nor the clock moved a counted listing past a publish-date filter, kept by its length): the next page, another
  // order or the same search again only walks as far as its page needs.
  // (Without words, counted off the combo counts: only a price order is held, every match in it.)
  const countKey = !combos || byPrice ? JSON.stringify([match, { ...f, publishedAfter: after === undefined ? undefined : req.now - after }, facetKeys]) : null;
  // Counts of an older generation are patched with the keys touched since (patchHeld), else counted again.
  const held = countKey ? cols.counted.get(countKey) : undefined;
  const inTime = held !== undefined && req.now >= held.fromMs && s.nowSec < held.untilSecond && req.now < held.untilMs;
  const counted =
    inTime && (held.generation === cols.generation || patchHeld(cols, held, s, text, facetKeys.length > 0, req.now, after === undefined ? null : req.now - after))
      ? held
      : undefined;
  s.countAll = !combos && !counted;
  if (counted && marks && Object.values(f).every((v) => v === undefined) && facetKeys.length === 0) {
    // Words only, counts held: a row of the match is one when it is live, asked as relevance order reaches it.
    marks.live = (b, p) => b.expires[p]! > s.nowSec || (b.expires[p] === s.nowSec && (s.exact(b.key[p]!)?.expiresAt ?? 0) > req.now);
    return { matched: [] as number[], prices: [] as number[], total: counted.total, facets: counted.facets, held: counted };
  }
  const facetsNow = (): Facets => {
    const places = cols.places.named(s.placeN);
    const cats = cols.cats.named(s.catN);
    return {
      kind: cols.kindCodes.named(s.kindN),
      city: places.outer,
      region: places.inner,
      topCategory: cats.outer,
      category: cats.inner,
      attributes: Object.fromEntries(facetKeys.map((key, i) => [key, Object.fromEntries(s.attributes!.counts[i]!)])),
    };
  };
  if (counted && byPrice && counted.byPrice?.[byPrice]) {
    return { matched: [] as number[], prices: [] as number[], total: combos ? comboTotal : counted.total, facets: combos ? facetsNow() : counted.facets, held: counted };
  }
  const { main, recent } = cols;
  s.mark = marks?.main ?? null;
  // Without words, an industry or a subcategory's attributes narrow the rows to visit (a leaf's attribute filter fails
  // every listing outside it, which then fails two groups and counts nowhere).
  const leafOnly = f.categoryId !== undefined && (choices.length > 0 || ranges.length > 0);
  const catRows =
    !text && (leafOnly || f.topCategoryId !== undefined) ? cols.rowsOfCats((c) => (leafOnly ? s.catState[c] === 1 : s.catState[c] !== 0), main.length / 3) : null;
  s.hold = countKey && (s.countAll || combos) ? [] : null;
  // The rows that matched when the counts were made: the only ones that can still (a listing only leaves by the clock).
  if (counted?.rows) scan(main, counted.rows, 0, counted.rows.length, s, req.now);
  // A text match of a good share of all rows: every row in order, the match's bit tested (no cache miss per row).
  else if (text?.bits && text.count > main.length / 8) scan(main, null, 0, main.length, s, req.now, text.bits);
  else if (text || catRows) {
    const candidates = text ? text.main : catRows!;
    scan(main, candidates, 0, candidates.length, s, req.now);
  }
  // A publish-date filter stops at the first row older than its minute.
  else scan(main, null, 0, after === undefined ? main.length : main.firstOlder(s.afterLo), s, req.now);
  const [mainKeys, mainPrices, mainTotal, mainHeld] = [s.keys, s.prices, s.total, s.hold];
  s.hold = null;
  s.keys = [];
  s.prices = [];
  s.total = 0;
  s.mark = marks?.recent ?? null;
  if (recent.length > 0) {
    const rows = text ? Int32Array.from(text.recent.map((k) => recent.find(k)).filter((q) => q >= 0)) : null;
    scan(recent, rows, 0, rows ? rows.length : recent.length, s, req.now);
  }
  let [matched, prices] = mergeDescending(mainKeys, mainPrices, s.keys, s.prices);
  if (window) matched = matched.slice(window.offset, window.offset + window.size);
  if (counted && !combos) return { matched, prices, total: counted.total, facets: counted.facets, held: counted };
  const facets = facetsNow();
  const total = combos ? comboTotal : mainTotal + s.total;
  const rows = mainHeld ? Int32Array.from(mainHeld) : null;
  // The oldest counted listing is past the filter no sooner than when it was published + the filter's length.
  const untilMs = after === undefined ? Infinity : s.minPublished + (req.now - after);
  const kept: HeldCounts = {
    generation: cols.generation,
    mainVersion: cols.mainVersion,
    fromMs: req.now,
    untilSecond: s.minExpiry,
    untilMs,
    total,
    facets,
    rows,
    text: text ? { serial: text.serial, recent: text.recent } : null,
    byPrice: {},
  };
  if (countKey) cols.keepCounts(countKey, kept);
  return { matched, prices, total, facets, held: countKey ? kept : undefined };
}

/** Most keys touched since a held count was made that it is patched with; past it, it is counted again. */
const PATCH_MOST = 2_000;

/** A pass that counts everything it visits into counters of its own (the filters and exact reads of `s`). */
const countingPass = (s: Pass, exact: ExactRow, attributesOf = s.attributes?.of): Pass => ({
  ...s,
  attributes: s.attributes && { ...s.attributes, of: attributesOf!, counts: s.attributes.facetKeys.map(() => new Map()) },
  limit: Infinity,
  countAll: true,
  mark: null,
  minExpiry: Infinity,
  minPublished: Infinity,
  hold: null,
  byPrice: null,
  exact,
  kindN: new Uint32Array(s.kindN.length),
  placeN: new Uint32Array(s.placeN.length),
  catN: new Uint32Array(s.catN.length),
  keys: [],
  prices: [],
  total: 0,
});

/** The first of `n` sorted items that `isBefore` does not place before what is sought (binary search). */
function lowerBound(n: number, isBefore: (i: number) => boolean): number {
  let [lo, hi] = [0, n];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isBefore(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether a main block row is in a text match. */
function inText(text: TextMatch, p: number): boolean {
  if (text.bits) return ((text.bits[p >> 5]! >>> (p & 31)) & 1) === 1;
  const rows = text.main;
  const at = lowerBound(rows.length, (i) => rows[i]! < p);
  return at < rows.length && rows[at] === p;
}

/**
 * Brings counts held since an older generation up to date instead of counting the search again: each key touched
 * since is counted out as it was then (the row a change took out, if the words matched it then) and in as it is now
 * (its row in the recent block, if the words match it now), with the same filters; the rows held stay (a row that
 * stops matching is dead in the main block) and the price orders lose the touched keys and gain those that match now.
 * Exact as a count: the clock has moved no counted listing past an expiry or a date filter (checked before), so the
 * old rows pass or fail now as they did then. Counted again instead: an old row at a boundary only search_rows could
 * decide (it no longer holds the old facts), attributes (the old ones are not kept), a text match read again since
 * (its rows then are unknown), or more touched keys than PATCH_MOST.
 */
function patchHeld(
  cols: FacetColumns,
  held: HeldCounts,
  s: Pass,
  text: TextMatch | null,
  attributeFacets: boolean,
  now: number,
  dateFilterMs: number | null,
): boolean {
  if (held.mainVersion !== cols.mainVersion || (attributeFacets && !s.attributes)) return false;
  if (text ? text.serial === 0 || held.text?.serial !== text.serial : held.text !== null) return false;
  const at = cols.rowsAt(held.generation);
  if (!at || at.size > PATCH_MOST) return false;
  let exact = true;
  const undecided: ExactRow = () => ((exact = false), undefined);
  const wasInText = text ? new Set(held.text!.recent) : null;
  const was = [...at].filter(([key, b]) => b && (!text || (b.mainRow >= 0 ? inText(text, b.mainRow) : wasInText!.has(key))));
  const wasRows = new Block(was.length);
  was.forEach(([, b], i) => wasRows.setCells(i, b!.cells));
  // Within a subcategory, its old listings' attributes as they were.
  const wasAttributes = new Map<number, ListingAttributes>();
  for (const [key, b] of was) {
    if (!s.attributes || s.catState[b!.cells.cat] !== 1) continue;
    if (!b!.attributes) return false;
    wasAttributes.set(key % ID_SPACE, b!.attributes);
  }
  const out = countingPass(s, undecided, wasAttributes);
  scan(wasRows, null, 0, was.length, out, now);
  if (!exact) return false;
  // A written row is always in the recent block; a key taken out and not written again has no live row.
  const isInText = text ? new Set(text.recent) : null;
  const rows = Int32Array.from([...at.keys()].filter((key) => !isInText || isInText.has(key)).map((key) => cols.recent.find(key)).filter((q) => q >= 0));
  const into = countingPass(s, s.exact);
  scan(cols.recent, rows, 0, rows.length, into, now);
  const byPrice: HeldCounts['byPrice'] = {};
  for (const [by, order] of Object.entries(held.byPrice ?? {}) as ['priceMin' | 'priceMax', Float64Array | undefined][]) {
    if (order) byPrice[by] = patchOrder(cols, s, by, order, at, into.keys);
  }
  held.total += into.total - out.total;
  held.facets = shiftFacets(cols, held.facets, out, into);
  held.untilSecond = Math.min(held.untilSecond, into.minExpiry);
  if (dateFilterMs !== null) held.untilMs = Math.min(held.untilMs, into.minPublished + dateFilterMs);
  held.generation = cols.generation;
  held.byPrice = byPrice;
  if (text) held.text = { serial: text.serial, recent: text.recent };
  return true;
}

/** A held price order without the touched keys, with those that match now put in their place (ftsSearch's order). */
function patchOrder(cols: FacetColumns, s: Pass, by: 'priceMin' | 'priceMax', order: Float64Array, touched: Map<number, unknown>, matching: number[]): Float64Array {
  const sign = by === 'priceMin' ? 1 : -1;
  // Negotiable last both ways, ties newest first.
  const value = (key: number) => {
    const [b, p] = cols.locate(key)!;
    const v = b[by][p] === BIG_PRICE ? exactPrices(s, key)[by === 'priceMin' ? 0 : 1] : b[by][p]!;
    return v === NO_PRICE ? Infinity : sign * v;
  };
  const before = (a: number, va: number, b: number, vb: number) => va < vb || (va === vb && a > b);
  // Copies of the order's runs between the few touched keys (a search of the array each), then the same with the
  // matches put in at their places: no pass of JS over a hundred thousand keys.
  const splice = (from: Float64Array, cut: number[], put: [number, number][]): Float64Array => {
    const out = new Float64Array(from.length - cut.length + put.length);
    let [o, i] = [0, 0];
    const events = [...cut.map((at) => [at, 0, 1] as const), ...put.map(([at, key]) => [at, key, 0] as const)].sort((a, b) => a[0] - b[0] || b[2] - a[2]);
    for (const [at, key, isCut] of events) {
      out.set(from.subarray(i, at), o);
      o += at - i;
      i = at;
      if (isCut) i++;
      else out[o++] = key;
    }
    out.set(from.subarray(i), o);
    return out;
  };
  const cut = [...touched.keys()].map((k) => order.indexOf(k)).filter((i) => i >= 0);
  const kept = cut.length > 0 ? splice(order, cut, []) : order;
  const adding = matching.map((key) => [key, value(key)] as const).sort((a, b) => (before(a[0], a[1], b[0], b[1]) ? -1 : 1));
  const put = adding.map(([key, v]): [number, number] => [lowerBound(kept.length, (i) => before(kept[i]!, value(kept[i]!), key, v)), key]);
  return put.length > 0 ? splice(kept, [], put) : kept;
}

/** Held facets less the counts of one pass, plus those of another. */
function shiftFacets(cols: FacetColumns, facets: Facets, minus: Pass, plus: Pass): Facets {
  const shift = (base: Record<string, number>, less: Record<string, number>, more: Record<string, number>) => {
    const out = { ...base };
    for (const [k, n] of Object.entries(more)) out[k] = (out[k] ?? 0) + n;
    for (const [k, n] of Object.entries(less)) if ((out[k] = out[k]! - n) === 0) delete out[k];
    return out;
  };
  const [lessPlaces, morePlaces] = [cols.places.named(minus.placeN), cols.places.named(plus.placeN)];
  const [lessCats, moreCats] = [cols.cats.named(minus.catN), cols.cats.named(plus.catN)];
  return {
    kind: shift(facets.kind, cols.kindCodes.named(minus.kindN), cols.kindCodes.named(plus.kindN)),
    city: shift(facets.city, lessPlaces.outer, morePlaces.outer),
    region: shift(facets.region, lessPlaces.inner, morePlaces.inner),
    topCategory: shift(facets.topCategory, lessCats.outer, moreCats.outer),
    category: shift(facets.category, lessCats.inner, moreCats.inner),
    attributes: Object.fromEntries(
      (minus.attributes?.facetKeys ?? []).map((key, a) => [
        key,
        shift(facets.attributes[key] ?? {}, Object.fromEntries(minus.attributes!.counts[a]!), Object.fromEntries(plus.attributes!.counts[a]!)),
      ]),
    ),
  };
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

/** The matches of a search in relevance order, by row of each block (1: a match not yet in a page's tier, 2: placed). */
interface Marks {
  main: Uint8Array;
  recent: Uint8Array;
  /** Set instead of marking when the words are the only filter and the counts were held: every live row is a match. */
  live: ((b: Block, p: number) => boolean) | null;
}

/** Visits a text match's rows newest first across both blocks, until `visit` says stop. */
function newestFirst(cols: FacetColumns, m: TextMatch, visit: (inRecent: boolean, p: number, key: number) => boolean): void {
  const { main, recent } = cols;
  let r = 0;
  const recentUntil = (k: number): boolean => {
    while (r < m.recent.length && m.recent[r]! > k) {
      const key = m.recent[r++]!;
      const q = recent.find(key);
      if (q >= 0 && !visit(true, q, key)) return false;
    }
    return true;
  };
  const row = (p: number) => recentUntil(main.key[p]!) && visit(false, p, main.key[p]!);
  if (m.bits) {
    // Straight off a kept bitset: a deep page of a broad word unpacks no more than it reads.
    const bits = m.bits;
    for (let w = 0; w < bits.length; w++) {
      for (let x = bits[w]!; x !== 0; ) {
        const low = x & -x;
        if (!row((w << 5) + 31 - Math.clz32(low))) return;
        x ^= low;
      }
    }
  } else for (let i = 0; i < m.main.length; i++) if (!row(m.main[i]!)) return;
  recentUntil(-Infinity);
}

/**
 * One page of the matches in relevance order: the tiers in turn, each newest first, a match counted in the first
 * tier it is in; the last tier is the rest of the matches. Each tier's rows are read whole once and kept with the
 * text matches (brought up to date like them), so the next page or the next search with the same words reads no
 * FTS5 at all: reading a tier newest first only as far as the page needs still went through all of a rare tier, and
 * FTS5 reads positions for the column filter.
 */
function relevancePage(db: Db, tiers: string[], base: string[], text: TextMatch, marks: Marks, cols: FacetColumns, offset: number, size: number): number[] {
  const page: number[] = [];
  let skip = offset;
  const take = (inRecent: boolean, p: number, k: number) => {
    const mark = inRecent ? marks.recent : marks.main;
    if (mark[p] === 0 && marks.live?.(inRecent ? cols.recent : cols.main, p)) mark[p] = 1;
    if (mark[p] === 1) {
      mark[p] = 2;
      if (skip > 0) skip--;
      else page.push(k);
    }
    return page.length < size;
  };
  for (const tier of tiers.slice(0, -1)) {
    newestFirst(cols, textKeys(db, cols, combine(tier, base)), take);
    if (page.length >= size) return page;
  }
  newestFirst(cols, text, take);
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
  const marks = tiers && !newest && !byPrice ? { main: new Uint8Array(cols.main.length), recent: new Uint8Array(cols.recent.length), live: null } : null;
  const match = tiers ? combine(tiers.at(-1)!, base) : '';
  const { matched, prices, total, facets, held } = filterAndCount(db, req, text, byPrice, newest ? { offset, size: req.pageSize } : null, marks, match);
  let keys: number[] = [];
  if (newest) keys = matched;
  else if (total > offset) {
    if (byPrice) {
      let order = held?.byPrice?.[byPrice];
      if (!order) {
        // Negotiable (no price) last both ways; ties newest first. A search whose rows are held sorts all its
        // matches once and holds the order with them (its next pages are a slice); others take the page's worth.
        const sign = byPrice === 'priceMin' ? 1 : -1;
        const value = prices.map((p) => (p === NO_PRICE ? Infinity : sign * p));
        const whole = held?.rows ? held : undefined;
        order = Float64Array.from(firstBy(matched.length, value, matched, whole ? matched.length : offset + req.pageSize), (i) => matched[i]!);
        if (whole) cols.holdOrder(whole, byPrice, order);
      }
      keys = Array.from(order.subarray(offset, offset + req.pageSize));
    } else keys = relevancePage(db, tiers!, base, text!, marks!, cols, offset, req.pageSize);
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

