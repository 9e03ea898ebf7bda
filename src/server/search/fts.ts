// The SQLite FTS5 engine: always maintained, the default, and the fallback when Meilisearch is away. The only raw
// SQL of the site lives here (FTS5 has no drizzle builder).
//
// Every filter is applied before anything is cut, counted or ranked (figures in the note of scripts/bench/search.ts):
//  - search_fts is contentless (content=''): the text is not stored twice (the listings table holds it). Its rowid is
//    a freshness key, (minute published, listing id), so `ORDER BY rowid DESC` is "newest first" with a stable
//    tie-break, read straight off the index;
//  - search_rows holds the few numbers a result needs (place, price, dates, attributes), keyed by the same key;
//  - every filter is a token of the hidden column `f` (starting with `_`, which text tokens never do, so no column
//    filter is needed), so FTS5 intersects it with the text in C: equalities (kind,
//    city, county, industry, subcategory, images, verified, attribute options) exactly, ranges (price, publish date,
//    number attributes) as bucket tokens at a few sizes, so a range is a handful of tokens. A range's end buckets
//    hold listings on both sides of the bound: only they are checked exactly against search_rows (a join), and a
//    count is FTS5's count of the inner buckets plus the checked ends, so it is exact without reading every match;
//  - relevance is a sequence of tiers (title, then category/attributes, then the rest; within each the query as
//    typed, its words apart, synonyms), each a MATCH that leaves out the earlier ones, read newest first: a title
//    match outranks any description match whatever their ages, and no tier needs more rows than the page reaches;
//  - facets: the ids of the match (each group's without its own filter) come out as one JSON array and are counted
//    against typed arrays in memory (facet-columns.ts); exact up to EXACT_LIMIT matches, scaled from the newest
//    SAMPLE past it (`facetsExact: false`). Totals are always exact.
import type Database from 'better-sqlite3';
import type { Db } from '../db.ts';
import type { SearchDocument } from './documents.ts';
import { bumpGeneration, facetColumns, loadedFacetColumns, type Column } from './facet-columns.ts';
import { ftsExpression, indexTokens, readingAdds, type ParsedQuery, type Reading } from './text.ts';
import { emptyFacets, type EngineRequest, type EngineResult, type Facets, type SearchEngine, type SearchFilters } from './types.ts';

/** Bump when the tokens or the table change: start-up then rebuilds the index. */
export const FTS_VERSION = '6';
/** Facet counts are exact up to this many matches, estimates from a sample past it. */
export const EXACT_LIMIT = 100_000;
const SAMPLE = 4000;

/** FTS5's default and the rebuild's size of the pending terms held in memory before they are written out. */
const DEFAULT_HASH_BYTES = 1024 * 1024;
const BULK_HASH_BYTES = 64 * 1024 * 1024;

// ---- keys: newest first is rowid order ----

const ID_SPACE = 2 ** 28;
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
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts${suffix} USING fts5(
  title, category, attrs, company, description, f,
  content='', contentless_delete=1, prefix='1', tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);
CREATE TABLE IF NOT EXISTS search_rows${suffix} (
  key INTEGER PRIMARY KEY, id INTEGER NOT NULL, kind TEXT NOT NULL, city INTEGER NOT NULL, region INTEGER NOT NULL,
  top INTEGER NOT NULL, cat INTEGER NOT NULL, price_min INTEGER, price_max INTEGER, published_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, company_id INTEGER NOT NULL, attributes TEXT
);`;

// Index names outlive a table rename, so each build names its own.
const rowIndexes = (suffix: string, tag: string) => `
CREATE UNIQUE INDEX IF NOT EXISTS search_rows_id_${tag} ON search_rows${suffix}(id);
CREATE INDEX IF NOT EXISTS search_rows_expires_${tag} ON search_rows${suffix}(expires_at);`;

export function ensureFtsSchema(db: Db): void {
  db.$client.exec('CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);');
  const exists = db.$client.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_rows'").get();
  if (!exists) db.$client.exec(tables('') + rowIndexes('', 'a'));
  else db.$client.exec(tables(''));
}

/** Whether the index tables have this version's shape (an older one is rebuilt, not searched). */
export function hasCurrentShape(db: Db): boolean {
  const cols = db.$client.prepare("SELECT name FROM pragma_table_info('search_rows')").all() as { name: string }[];
  return cols.some((c) => c.name === 'key');
}

/**
 * A rebuild writes into fresh `_new` tables in batches (searches and writers carry on meanwhile), then swaps them in
 * with one short transaction. Returns the swap, to call once every document is in.
 */
export function ftsStartRebuild(db: Db): { insert: (docs: readonly SearchDocument[]) => void; swap: () => void } {
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
    insert: (docs) => {
      // In key order: FTS5 writes its pending terms out whenever a rowid is lower than the one before, so a batch in
      // listing-id order (random in key order) made a segment per listing and a million of them to merge.
      const sorted = docs.map((doc) => ({ doc, key: documentKey(doc) })).sort((a, b) => a.key - b.key);
      db.$client.transaction(() => {
        for (const { doc } of sorted) insertDocument(db, doc, '_new');
      })();
    },
    swap: () => {
      db.$client.exec(`INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('hashsize', ${DEFAULT_HASH_BYTES})`);
      db.$client.exec("INSERT INTO search_fts_new(search_fts_new) VALUES ('optimize')");
      db.$client.exec("INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('automerge', 4)");
      db.$client.exec("INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('crisismerge', 16)");
      // The row indexes are built once at the end: cheaper than keeping them up to date row by row.
      db.$client.exec(rowIndexes('_new', Date.now().toString(36)));
      db.$client.transaction(() => {
        db.$client.exec(`DROP TABLE IF EXISTS search_fts; DROP TABLE IF EXISTS search_rows;
          ALTER TABLE search_fts_new RENAME TO search_fts; ALTER TABLE search_rows_new RENAME TO search_rows;`);
        bumpGeneration(db);
      })();
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

/** FNV-1a, so an attribute option of any script becomes a plain alphanumeric token. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export const attributeToken = (key: string, value: string) => `_a${hash(`${key}=${value}`)}`;

/**
 * A number line cut into buckets (any monotone function will do: equal values always share a bucket), indexed at
 * several sizes (1, 4, 16 ... buckets), so a range of buckets is a few tokens of the biggest sizes that fit.
 */
interface Scale {
  bucket: (v: number) => number;
  max: number;
  shifts: number[];
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
/**
 * Fen: eight buckets per doubling (prices within a bucket differ by at most 9%), so the end buckets a price filter
 * checks exactly hold few listings besides the matches.
 */
const PRICE: Scale = { bucket: (fen) => (fen < 1 ? 0 : clamp(1 + Math.floor(8 * Math.log2(fen)), 511)), max: 511, shifts: [0, 2, 4, 6, 8] };
/** Publish time: six-hour buckets since 2020, indexed at six hours, two days and sixteen days. */
const DATE: Scale = { bucket: (ms) => clamp(Math.floor((ms - KEY_EPOCH) / (6 * 3_600_000)), 2 ** 18 - 1), max: 2 ** 18 - 1, shifts: [0, 3, 6] };
/** Number attributes, negative too: eight buckets per doubling of the magnitude. */
const NUMBER: Scale = {
  bucket: (v) => clamp(256 + Math.sign(v) * Math.floor(8 * Math.log2(1 + Math.abs(v))), 511),
  max: 511,
  shifts: [0, 3, 6],
};

const levelTokens = (prefix: string, scale: Scale, v: number) => {
  const b = scale.bucket(v);
  return scale.shifts.map((s) => `${prefix}${s}x${b >> s}`);
};

/** The fewest tokens whose buckets are exactly [lo, hi] (an empty list for an empty range). */
function cover(prefix: string, scale: Scale, lo: number, hi: number): string[] {
  const out: string[] = [];
  for (let b = Math.max(0, lo); b <= Math.min(hi, scale.max); ) {
    let shift = 0;
    for (const s of scale.shifts) if (b % (1 << s) === 0 && b + (1 << s) - 1 <= hi) shift = s;
    out.push(`${prefix}${shift}x${b >> shift}`);
    b += 1 << shift;
  }
  return out;
}

const numberPrefix = (key: string) => `_n${hash(key)}q`;
/** A number attribute's value as a number, or NaN (a text that is not one). */
export const attributeNumber = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/**
 * The hidden filter tokens of a document, all starting with `_`: text tokens never do (they are runs of letters and
 * digits), so a filter token needs no column filter (`f : ...` makes FTS5 read positions and cost twice as much).
 * Every document has `_all`, which an empty search matches.
 */
export function filterTokens(doc: SearchDocument): string {
  const tokens = ['_all', `_k${doc.kind}`, `_c${doc.cityId}`, `_r${doc.regionId}`, `_t${doc.topCategoryId}`, `_s${doc.categoryId}`];
  if (doc.hasImages) tokens.push('_img');
  if (doc.verified) tokens.push('_ver');
  if (doc.priceMin !== null && doc.priceMax !== null) {
    // Most price ranges are narrow (both ends in the same or the next bucket): a price filter on them is a range of
    // the low end alone. The few wide ones are tested on both ends.
    const narrow = PRICE.bucket(doc.priceMax) - PRICE.bucket(doc.priceMin) <= 1;
    tokens.push(narrow ? '_pn' : '_pw', ...levelTokens('_pl', PRICE, doc.priceMin));
    if (!narrow) tokens.push(...levelTokens('_ph', PRICE, doc.priceMax));
  }
  tokens.push(...levelTokens('_pd', DATE, doc.publishedAt));
  for (const [key, value] of Object.entries(doc.attributes)) tokens.push(attributeTokens(key, value));
  return tokens.join(' ');
}

// Attribute values repeat across listings (options, common sizes): their tokens are made once (a rebuild makes
// millions).
const attributeTokenCache = new Map<string, string>();
function attributeTokens(key: string, value: string | number): string {
  const id = `${key}\u0000${typeof value}\u0000${value}`;
  let out = attributeTokenCache.get(id);
  if (out === undefined) {
    const n = attributeNumber(value);
    out = [attributeToken(key, String(value)), ...(Number.isFinite(n) ? levelTokens(numberPrefix(key), NUMBER, n) : [])].join(' ');
    if (attributeTokenCache.size > 100_000) attributeTokenCache.clear();
    attributeTokenCache.set(id, out);
  }
  return out;
}

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
const insertRow = (suffix: string) => `INSERT INTO search_rows${suffix}(key, id, kind, city, region, top, cat, price_min, price_max,
  published_at, expires_at, company_id, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function insertDocument(db: Db, doc: SearchDocument, suffix = ''): void {
  const key = documentKey(doc);
  prepared(db, insertText(suffix)).run(
    key,
    indexTokens(doc.title),
    indexTokens(doc.categoryNames.join(' ')),
    indexTokens([...Object.values(doc.attributes), ...doc.attributeNames].join(' ')),
    indexTokens(doc.companyName),
    indexTokens(doc.description),
    filterTokens(doc),
  );
  prepared(db, insertRow(suffix)).run(
    key,
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
    Object.keys(doc.attributes).length > 0 ? JSON.stringify(doc.attributes) : null,
  );
}

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
    for (const d of added) cols.set(d.id, { kind: d.kind, city: d.cityId, region: d.regionId, top: d.topCategoryId, cat: d.categoryId });
    cols.generation = generation;
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

/** Takes listings past their expiry out of the index (searches also leave them out until this has run). */
export function ftsSweepExpired(db: Db, now: number): number {
  // A few hundred at a time: each is a delete of every token, and writers wait meanwhile.
  const keys = prepared(db, 'SELECT key FROM search_rows WHERE expires_at <= ? LIMIT 500').pluck().all(now) as number[];
  if (keys.length > 0) change(db, () => keys.forEach((k) => deleteKey(db, k)), keys.map(idOfKey), []);
  return keys.length;
}

export function ftsCount(db: Db): number {
  return (prepared(db, 'SELECT count(*) AS n FROM search_rows').get() as { n: number }).n;
}

// ---- searching ----

/** Filter groups; a facet group is counted with its own group left out. */
type Group = 'kind' | 'region' | 'category' | `attr:${string}`;

/** A range filter as bucket tokens: every listing in range is in `all`; those in `inner` surely are; `ends` = the rest. */
interface RangeTokens {
  all: string;
  inner: string | null;
  ends: string | null;
}

/** How FTS5 and SQLite apply a set of filters. */
interface FilterPlan {
  /** Exact equality tokens (ANDed). */
  tokens: string[];
  ranges: RangeTokens[];
  /** SQL on search_rows `r` that decides the listings in the ends exactly, with its parameters. */
  sql: string[];
  params: (number | string)[];
}

const anyOf = (tokens: string[]) => (tokens.length === 0 ? null : tokens.length === 1 ? tokens[0]! : `(${tokens.join(' OR ')})`);

/** Bucket ranges [lo, hi] (all) and [innerLo, innerHi] (sure) as token expressions. */
function rangeTokens(prefix: string, scale: Scale, lo: number, hi: number, innerLo: number, innerHi: number): { all: string[]; inner: string[]; ends: string[] } {
  const inner = innerLo <= innerHi ? cover(prefix, scale, innerLo, innerHi) : [];
  const ends = inner.length === 0 ? cover(prefix, scale, lo, hi) : [...cover(prefix, scale, lo, innerLo - 1), ...cover(prefix, scale, innerHi + 1, hi)];
  return { all: cover(prefix, scale, lo, hi), inner, ends };
}

function filterPlan(f: SearchFilters, now: number, without?: Group): FilterPlan {
  const plan: FilterPlan = { tokens: [], ranges: [], sql: [], params: [] };
  if (f.kind && without !== 'kind') plan.tokens.push(`_k${f.kind}`);
  // Without its own filter, a region or category group is still counted within the chosen city or industry: the
  // facet shows that city's counties or that industry's subcategories, and nothing else is asked of it.
  if (f.regionId !== undefined && without !== 'region') plan.tokens.push(`_r${f.regionId}`);
  else if (f.cityId !== undefined) plan.tokens.push(`_c${f.cityId}`);
  if (f.categoryId !== undefined && without !== 'category') plan.tokens.push(`_s${f.categoryId}`);
  else if (f.topCategoryId !== undefined) plan.tokens.push(`_t${f.topCategoryId}`);
  if (f.hasImages) plan.tokens.push('_img');
  if (f.verified) plan.tokens.push('_ver');
  for (const [key, value] of Object.entries(f.attributes ?? {})) {
    if (without !== `attr:${key}`) plan.tokens.push(attributeToken(key, value));
  }
  const simple = (t: { all: string[]; inner: string[]; ends: string[] }): RangeTokens => ({ all: anyOf(t.all) ?? '_none', inner: anyOf(t.inner), ends: anyOf(t.ends) });

  // Price ranges overlap the asked one: the listing's highest price reaches its minimum and its lowest its maximum.
  if (f.priceMin !== undefined || f.priceMax !== undefined) {
    const [hasMin, hasMax] = [f.priceMin !== undefined, f.priceMax !== undefined];
    const [a, b] = [hasMin ? PRICE.bucket(f.priceMin!) : 0, hasMax ? PRICE.bucket(f.priceMax!) : PRICE.max];
    // Listings that surely overlap: the high end's bucket past the minimum's, the low end's before the maximum's.
    const [highFrom, lowTo] = [hasMin ? a + 1 : 0, hasMax ? b - 1 : PRICE.max];
    const low = (from: number, to: number) => anyOf(cover('_pl', PRICE, from, to));
    const high = (from: number, to: number) => anyOf(cover('_ph', PRICE, from, to));
    const and = (...parts: (string | null)[]) => (parts.some((x) => x === null) ? null : `(${parts.join(' AND ')})`);
    const or = (...parts: (string | null)[]) => anyOf(parts.filter((x): x is string => x !== null));
    // A narrow range (both ends in the same or the next bucket) can overlap only if its low end is in [a - 1, b], and
    // surely does if in [a + 1, b - 1]: one range of low ends. A wide one is tested on both ends.
    const narrow = rangeTokens('_pl', PRICE, Math.max(0, a - 1), b, hasMin ? a + 1 : 0, lowTo);
    const n = (tokens: string[]) => and('_pn', anyOf(tokens));
    // Without a minimum (or maximum) every high (low) end qualifies: no tokens for it, just `_pw`.
    const highAtLeast = (from: number) => (hasMin ? high(from, PRICE.max) : '_pw');
    const lowAtMost = (to: number) => (hasMax ? low(0, to) : '_pw');
    plan.ranges.push({
      all: or(n(narrow.all), and('_pw', highAtLeast(a), lowAtMost(b))) ?? '_none',
      inner: or(n(narrow.inner), and('_pw', highAtLeast(highFrom), lowAtMost(lowTo))),
      ends: or(n(narrow.ends), hasMin ? and('_pw', high(a, a), lowAtMost(b)) : null, hasMax ? and('_pw', highAtLeast(highFrom), low(b, b)) : null),
    });
    if (hasMin) {
      plan.sql.push('r.price_max >= ?');
      plan.params.push(f.priceMin!);
    }
    if (hasMax) {
      plan.sql.push('r.price_min <= ?');
      plan.params.push(f.priceMax!);
    }
  }
  if (f.publishedAfter !== undefined) {
    // Nothing is published in the future: the range ends a week past now (clock skew), not at the end of time.
    const [lo, hi] = [DATE.bucket(f.publishedAfter), DATE.bucket(now) + 28];
    plan.ranges.push(simple(rangeTokens('_pd', DATE, lo, hi, lo + 1, hi)));
    plan.sql.push('r.published_at >= ?');
    plan.params.push(f.publishedAfter);
  }
  for (const [key, { min, max }] of Object.entries(f.attributeRanges ?? {})) {
    if (min === undefined && max === undefined) continue;
    const [lo, hi] = [min === undefined ? 0 : NUMBER.bucket(min), max === undefined ? NUMBER.max : NUMBER.bucket(max)];
    plan.ranges.push(simple(rangeTokens(numberPrefix(key), NUMBER, lo, hi, min === undefined ? lo : lo + 1, max === undefined ? hi : hi - 1)));
    const path = `$."${key.replace(/["\\]/g, '')}"`;
    if (min !== undefined) {
      plan.sql.push('CAST(json_extract(r.attributes, ?) AS REAL) >= ?');
      plan.params.push(path, min);
    }
    if (max !== undefined) {
      plan.sql.push('CAST(json_extract(r.attributes, ?) AS REAL) <= ?');
      plan.params.push(path, max);
    }
  }
  return plan;
}

/**
 * The matches of a plan as disjoint parts: the listings inside every range (FTS5 alone decides them), and for each
 * range, those at its ends that are inside the ranges before it (these are checked against search_rows).
 */
function planParts(plan: FilterPlan): { tokens: string[]; checked: boolean }[] {
  if (plan.ranges.length === 0) return [{ tokens: plan.tokens, checked: false }];
  const parts: { tokens: string[]; checked: boolean }[] = [];
  const inners = plan.ranges.map((r) => r.inner);
  if (inners.every((x) => x !== null)) parts.push({ tokens: [...plan.tokens, ...(inners as string[])], checked: false });
  plan.ranges.forEach((r, d) => {
    const before = plan.ranges.slice(0, d).map((x) => x.inner);
    if (r.ends === null || before.some((x) => x === null)) return;
    parts.push({ tokens: [...plan.tokens, ...(before as string[]), r.ends, ...plan.ranges.slice(d + 1).map((x) => x.all)], checked: true });
  });
  return parts;
}

// Where the words matched, best first. Filter tokens start with `_` and text tokens never do, so the last set (every
// text column) needs no column filter, which would make FTS5 read positions.
const COLUMNS = ['{title} : ', '{title category attrs} : ', ''] as const;
const READINGS: Reading[] = ['phrase', 'typed', 'synonyms'];

/** A text expression ANDed with filter tokens; `_all` when there is neither. */
function combine(text: string | null, tokens: string[]): string {
  const parts: string[] = [];
  if (text) parts.push(`(${text})`);
  parts.push(...tokens);
  return parts.length > 0 ? parts.join(' AND ') : '_all';
}

/**
 * The text expressions of the relevance tiers, best first, each leaving out what earlier ones match; `all` (the
 * last column set's last reading) is the whole match.
 */
export function relevanceTiers(q: ParsedQuery): { tiers: string[]; all: string } | null {
  if (!ftsExpression(q)) return null;
  const readings = READINGS.filter((r, i) => i === 0 || readingAdds(q, r));
  const text = (cols: string, reading: Reading) => `${cols}(${ftsExpression(q, { reading })})`;
  const tiers: string[] = [];
  COLUMNS.forEach((cols, ci) => {
    readings.forEach((reading, ri) => {
      let expr = `(${text(cols, reading)})`;
      if (ri > 0) expr += ` NOT (${text(cols, readings[ri - 1]!)})`;
      if (ci > 0) expr += ` NOT (${text(COLUMNS[ci - 1]!, readings.at(-1)!)})`;
      tiers.push(expr);
    });
  });
  return { tiers, all: text(COLUMNS.at(-1)!, readings.at(-1)!) };
}

/** One search's reads: the FTS5 match with the exact checks of a filter plan and the expired listings left out. */
class Reader {
  private expired: number[] | undefined;
  constructor(
    private readonly db: Db,
    private readonly now: number,
  ) {}

  /** Keys of indexed listings past expiry not yet swept out (usually none). */
  private expiredKeys(): number[] {
    this.expired ??= prepared(this.db, 'SELECT key FROM search_rows WHERE expires_at <= ?').pluck().all(this.now) as number[];
    return this.expired;
  }

  private checkedWhere(plan: FilterPlan): string {
    return ['search_fts MATCH ?', 'r.expires_at > ?', ...plan.sql].join(' AND ');
  }

  private static readonly JOIN = 'search_fts CROSS JOIN search_rows r ON r.key = search_fts.rowid';

  /** Exact number of matches of a text expression under a filter plan. */
  count(text: string | null, plan: FilterPlan): number {
    if (!text && plan.tokens.length === 0 && plan.ranges.length === 0) {
      // Everything: the facet columns know how many listings the index holds (counting a million rows takes tens of
      // milliseconds), less those past expiry.
      return facetColumns(this.db).size - this.expiredKeys().length;
    }
    let n = 0;
    for (const part of planParts(plan)) {
      const match = combine(text, part.tokens);
      if (part.checked) {
        n += prepared(this.db, `SELECT count(*) FROM ${Reader.JOIN} WHERE ${this.checkedWhere(plan)}`).pluck().get(match, this.now, ...plan.params) as number;
        continue;
      }
      n += prepared(this.db, 'SELECT count(*) FROM search_fts WHERE search_fts MATCH ?').pluck().get(match) as number;
      const expired = this.expiredKeys();
      if (expired.length > 0) {
        n -= prepared(this.db, 'SELECT count(*) FROM search_fts WHERE search_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))')
          .pluck()
          .get(match, JSON.stringify(expired)) as number;
      }
    }
    return n;
  }

  /** Keys of matches, newest first, `limit` from `offset`: each part read that far, merged. */
  newest(text: string | null, plan: FilterPlan, limit: number, offset: number): number[] {
    const parts = planParts(plan);
    const expired = this.expiredKeys();
    const read = (part: { tokens: string[]; checked: boolean }, n: number, skip: number) => {
      const match = combine(text, part.tokens);
      if (part.checked) {
        return prepared(this.db, `SELECT search_fts.rowid FROM ${Reader.JOIN} WHERE ${this.checkedWhere(plan)} ORDER BY search_fts.rowid DESC LIMIT ? OFFSET ?`)
          .pluck()
          .all(match, this.now, ...plan.params, n, skip) as number[];
      }
      const notExpired = expired.length > 0 ? ' AND rowid NOT IN (SELECT value FROM json_each(?))' : '';
      return prepared(this.db, `SELECT rowid FROM search_fts WHERE search_fts MATCH ?${notExpired} ORDER BY rowid DESC LIMIT ? OFFSET ?`)
        .pluck()
        .all(...(expired.length > 0 ? [match, JSON.stringify(expired)] : [match]), n, skip) as number[];
    };
    if (parts.length === 1) return read(parts[0]!, limit, offset);
    return parts
      .flatMap((part) => read(part, offset + limit, 0))
      .sort((a, b) => b - a)
      .slice(offset, offset + limit);
  }

  /** Keys of matches by price (negotiable last both ways, then newest first), `limit` from `offset`. */
  byPrice(text: string | null, plan: FilterPlan, dir: 'asc' | 'desc', limit: number, offset: number): number[] {
    const orderBy = dir === 'asc' ? 'r.price_min IS NULL, r.price_min' : 'r.price_max IS NULL, r.price_max DESC';
    const match = combine(text, [...plan.tokens, ...plan.ranges.map((r) => r.all)]);
    return prepared(this.db, `SELECT search_fts.rowid FROM ${Reader.JOIN} WHERE ${this.checkedWhere(plan)} ORDER BY ${orderBy}, search_fts.rowid DESC LIMIT ? OFFSET ?`)
      .pluck()
      .all(match, this.now, ...plan.params, limit, offset) as number[];
  }

  /** Listing ids of every match (or with `sample`, of the newest SAMPLE candidates that match), for facets. */
  matchIds(text: string | null, plan: FilterPlan, sample: boolean): number[] {
    const parse = (json: unknown) => JSON.parse((json as string | null) ?? '[]') as number[];
    if (sample) {
      const match = combine(text, [...plan.tokens, ...plan.ranges.map((r) => r.all)]);
      return parse(
        prepared(
          this.db,
          `SELECT json_group_array(m.k % ${ID_SPACE}) FROM (SELECT rowid AS k FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ${SAMPLE}) m
           CROSS JOIN search_rows r ON r.key = m.k WHERE ${['r.expires_at > ?', ...plan.sql].join(' AND ')}`,
        )
          .pluck()
          .get(match, this.now, ...plan.params),
      );
    }
    // One JSON array from SQLite: much cheaper than a row per key through the driver (45,000 keys: 5 ms, not 30).
    const ids = planParts(plan).flatMap((part) => {
      const match = combine(text, part.tokens);
      return part.checked
        ? parse(prepared(this.db, `SELECT json_group_array(search_fts.rowid % ${ID_SPACE}) FROM ${Reader.JOIN} WHERE ${this.checkedWhere(plan)}`).pluck().get(match, this.now, ...plan.params))
        : parse(prepared(this.db, `SELECT json_group_array(rowid % ${ID_SPACE}) FROM search_fts WHERE search_fts MATCH ?`).pluck().get(match));
    });
    const expired = this.expiredKeys();
    if (expired.length === 0) return ids;
    const gone = new Set(expired.map(idOfKey));
    return ids.filter((id) => !gone.has(id));
  }

  /** Counts of one attribute's values over the matches (a chosen subcategory's: few matches). */
  attributeCounts(text: string | null, plan: FilterPlan, key: string): Record<string, number> {
    const match = combine(text, [...plan.tokens, ...plan.ranges.map((r) => r.all)]);
    const rows = prepared(this.db, `SELECT json_extract(r.attributes, ?) AS v, count(*) AS n FROM ${Reader.JOIN} WHERE ${this.checkedWhere(plan)} GROUP BY v`).all(
      `$."${key.replace(/["\\]/g, '')}"`,
      match,
      this.now,
      ...plan.params,
    ) as { v: unknown; n: number }[];
    return Object.fromEntries(rows.filter((r) => r.v !== null).map((r) => [String(r.v), r.n]));
  }
}

type Counts = Record<string, number>;

/**
 * Counts scaled from a sample to `total` by largest remainders, so a group where every match has a value (kind,
 * city, industry...) still sums to the total; every value seen counts at least one.
 */
function scaleCounts(raw: Counts, sampled: number, total: number): Counts {
  if (sampled === total || sampled === 0) return raw;
  const scaled = Object.entries(raw).map(([k, n]) => ({ k, exact: (n * total) / sampled }));
  let left = Math.round(Object.values(raw).reduce((a, b) => a + b, 0) * (total / sampled));
  for (const s of scaled) left -= Math.floor(s.exact);
  scaled.sort((a, b) => (b.exact % 1) - (a.exact % 1));
  const out: Counts = {};
  for (const s of scaled) out[s.k] = Math.max(1, Math.floor(s.exact) + (left-- > 0 ? 1 : 0));
  return out;
}

export function ftsSearch(db: Db, req: EngineRequest): EngineResult {
  const reader = new Reader(db, req.now);
  const f = req.filters;
  const tiers = relevanceTiers(req.query);
  const text = tiers?.all ?? null;
  const plan = filterPlan(f, req.now);
  const total = reader.count(text, plan);

  const offset = (req.page - 1) * req.pageSize;
  let keys: number[] = [];
  if (tiers && req.sort === 'relevance') {
    // Tier by tier, newest first in each: a tier that ends before the page is only read up to the page's start.
    let skip = offset;
    for (const tier of tiers.tiers) {
      const rows = reader.newest(tier, plan, skip + req.pageSize - keys.length, 0);
      if (rows.length <= skip) {
        skip -= rows.length;
        continue;
      }
      keys.push(...rows.slice(skip));
      skip = 0;
      if (keys.length >= req.pageSize) break;
    }
  } else if (total > offset) {
    keys =
      req.sort === 'price_asc' || req.sort === 'price_desc'
        ? reader.byPrice(text, plan, req.sort === 'price_asc' ? 'asc' : 'desc', req.pageSize, offset)
        : reader.newest(text, plan, req.pageSize, offset);
  }

  // Facets: each group over the match without its own filter (the main match when the group has none).
  const cols = facetColumns(db);
  const facets: Facets = emptyFacets();
  let facetsExact = true;
  interface Pass {
    total: number;
    plan: FilterPlan;
    ids?: number[];
  }
  const passes = new Map<string, Pass>();
  const pass = (group: Group, active: boolean): Pass => {
    const id = active ? group : '';
    let p = passes.get(id);
    if (!p) {
      const groupPlan = active ? filterPlan(f, req.now, group) : plan;
      passes.set(id, (p = { total: active ? reader.count(text, groupPlan) : total, plan: groupPlan }));
    }
    return p;
  };
  const counts = (p: Pass, column: Column<string | number>) => {
    if (!p.ids) {
      const sample = p.total > EXACT_LIMIT;
      if (sample) facetsExact = false;
      p.ids = p.total === 0 ? [] : reader.matchIds(text, p.plan, sample);
    }
    return scaleCounts(column.count(p.ids), p.ids.length, p.total);
  };

  if (f.kind) {
    // Two values: the chosen kind's count is the total; the other is one more count, not a pass over every id.
    const other = f.kind === 'supply' ? 'demand' : 'supply';
    facets.kind = { [f.kind]: total, [other]: reader.count(text, filterPlan({ ...f, kind: other }, req.now)) };
  } else facets.kind = counts(pass('kind', false), cols.kind);
  const regionPass = pass('region', f.regionId !== undefined);
  facets.city = counts(regionPass, cols.city);
  facets.region = counts(regionPass, cols.region);
  const categoryPass = pass('category', f.categoryId !== undefined);
  facets.topCategory = counts(categoryPass, cols.top);
  facets.category = counts(categoryPass, cols.cat);
  for (const { key } of req.facetAttributes) {
    const p = pass(`attr:${key}`, f.attributes?.[key] !== undefined);
    const raw = p.total === 0 ? {} : reader.attributeCounts(text, p.plan, key);
    facets.attributes[key] = raw;
  }
  return { ids: keys.map(idOfKey), total, exact: true, facetsExact, facets };
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

