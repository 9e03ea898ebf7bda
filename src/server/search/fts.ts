// The SQLite FTS5 engine: always maintained, the default, and the fallback when Meilisearch is away. The only raw
// SQL of the site lives here (FTS5 has no drizzle builder).
//
// Shape, measured at a million listings (figures in the note of scripts/bench/search.ts):
//  - search_fts is contentless (content=''): the text is not stored twice (the listings table holds it);
//  - search_rows holds the few numbers a result needs (place, price, dates, attributes) in a narrow table keyed by
//    listing id, so filtering, facets and sorting read it instead of the wide listings rows (a join per candidate
//    costs about a third of reading FTS5 UNINDEXED columns, which fetch each column separately);
//  - filters that are equalities (city, county, industry, subcategory, images, verified, attribute options) are
//    tokens of a hidden column `f`, so FTS5 intersects them with the text in C: `{title ...}: (钢管) AND f: (c360100)`;
//    kind is not: half of all listings are supply, and intersecting with a doclist that long doubled the cost of a
//    query (3.2 ms against 1.4 ms at 200,000 listings), so kind is tested on the candidates, which also gives the kind
//    facet's counts without a query of its own;
//  - a very broad match (more than CANDIDATE_CAP listings) is read newest-first up to the cap; the total and facet
//    counts are then estimates from how much of the id range the cap covered, and say so (`exact: false`).
import type Database from 'better-sqlite3';
import type { Db } from '../db.ts';
import type { SearchDocument } from './documents.ts';
import { ftsExpression, indexTokens, type ParsedQuery } from './text.ts';
import { emptyFacets, type EngineRequest, type EngineResult, type Facets, type SearchEngine, type SearchFilters } from './types.ts';

/** Bump when the tokens or the table change: start-up then rebuilds the index. */
export const FTS_VERSION = '2';
export const CANDIDATE_CAP = 1000;
/** Counting a facet group without its own filter needs only a sample: its counts are estimates past this. */
export const FACET_CAP = 400;
const TEXT_COLUMNS = '{title category attrs company description}';
/** bm25 weights in column order: title counts most, description least; the rest are not text. */
const BM25 = 'bm25(search_fts, 10.0, 4.0, 3.0, 2.0, 1.0, 0)';

/** FTS5's default and the rebuild's size of the pending terms held in memory before they are written out. */
const DEFAULT_HASH_BYTES = 1024 * 1024;
const BULK_HASH_BYTES = 64 * 1024 * 1024;

const tables = (suffix: string) => `
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts${suffix} USING fts5(
  title, category, attrs, company, description, f,
  content='', contentless_delete=1, prefix='1', tokenize='unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS search_rows${suffix} (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, city INTEGER NOT NULL, region INTEGER NOT NULL, top INTEGER NOT NULL,
  cat INTEGER NOT NULL, price_min INTEGER, price_max INTEGER, published_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  company_id INTEGER NOT NULL, attributes TEXT
);`;

export function ensureFtsSchema(db: Db): void {
  db.$client.exec(tables('') + 'CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);');
}

/**
 * A rebuild writes into fresh `_new` tables in batches (searches and writers carry on meanwhile), then swaps them in
 * with one short transaction. Returns the swap, to call once every document is in.
 */
export function ftsStartRebuild(db: Db): { insert: (docs: readonly SearchDocument[]) => void; swap: () => void } {
  ensureFtsSchema(db);
  db.$client.exec('DROP TABLE IF EXISTS search_fts_new; DROP TABLE IF EXISTS search_rows_new;' + tables('_new'));
  // FTS5 writes its in-memory terms out as a new segment when they pass `hashsize` (1 MiB by default) and at every
  // commit, and merges segments as they pile up. With the default a batch made several small segments that were
  // merged again and again; 64 MiB lets one batch (REBUILD_BATCH in indexer.ts) become one segment: the rebuild at
  // 200,000 listings took 24 s, now about 17 s. Only writing uses it; it goes back to the default before the swap.
  db.$client.exec(`INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('hashsize', ${BULK_HASH_BYTES})`);
  return {
    insert: (docs) =>
      db.$client.transaction(() => {
        for (const doc of docs) insertDocument(db, doc, '_new');
      })(),
    swap: () => {
      db.$client.exec(`INSERT INTO search_fts_new(search_fts_new, rank) VALUES ('hashsize', ${DEFAULT_HASH_BYTES})`);
      db.$client.exec("INSERT INTO search_fts_new(search_fts_new) VALUES ('optimize')");
      db.$client.transaction(() => {
        db.$client.exec(`DROP TABLE search_fts; DROP TABLE search_rows;
          ALTER TABLE search_fts_new RENAME TO search_fts; ALTER TABLE search_rows_new RENAME TO search_rows;`);
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

/** FNV-1a, so an attribute option of any script becomes a plain alphanumeric token. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export const attributeToken = (key: string, value: string) => `a${hash(`${key}=${value}`)}`;

/** The hidden filter tokens of a document; every document has `all`, which an empty search matches. */
export function filterTokens(doc: SearchDocument): string {
  const tokens = ['all', `k${doc.kind}`, `c${doc.cityId}`, `r${doc.regionId}`, `t${doc.topCategoryId}`, `s${doc.categoryId}`];
  if (doc.hasImages) tokens.push('img');
  if (doc.verified) tokens.push('ver');
  for (const [key, value] of Object.entries(doc.attributes)) tokens.push(attributeToken(key, String(value)));
  return tokens.join(' ');
}

type Stmt = Database.Statement;
const statements = new WeakMap<Database.Database, Map<string, Stmt>>();
function prepared(db: Db, sql: string): Stmt {
  let cache = statements.get(db.$client);
  if (!cache) statements.set(db.$client, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.$client.prepare(sql)));
  return stmt;
}

const insertText = (suffix: string) =>
  `INSERT INTO search_fts${suffix}(rowid, title, category, attrs, company, description, f) VALUES (?, ?, ?, ?, ?, ?, ?)`;
const insertRow = (suffix: string) => `INSERT INTO search_rows${suffix}(id, kind, city, region, top, cat, price_min, price_max,
  published_at, expires_at, company_id, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function insertDocument(db: Db, doc: SearchDocument, suffix = ''): void {
  prepared(db, insertText(suffix)).run(
    doc.id,
    indexTokens(doc.title),
    indexTokens(doc.categoryNames.join(' ')),
    indexTokens(Object.values(doc.attributes).join(' ')),
    indexTokens(doc.companyName),
    indexTokens(doc.description),
    filterTokens(doc),
  );
  prepared(db, insertRow(suffix)).run(
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

/** Puts the live documents in the index and takes out the other ids, in one transaction. */
export function ftsApply(db: Db, docs: readonly SearchDocument[], ids: readonly number[]): void {
  const del = prepared(db, 'DELETE FROM search_fts WHERE rowid = ?');
  const delRow = prepared(db, 'DELETE FROM search_rows WHERE id = ?');
  db.$client.transaction(() => {
    for (const id of ids) {
      del.run(id);
      delRow.run(id);
    }
    for (const doc of docs) insertDocument(db, doc);
  })();
}

export function ftsCount(db: Db): number {
  return (prepared(db, 'SELECT count(*) AS n FROM search_rows').get() as { n: number }).n;
}

// ---- searching ----

/** Filter groups; a facet group is counted with its own group left out. */
type Group = 'region' | 'category' | `attr:${string}`;

function tokenFilters(f: SearchFilters, without?: Group): string[] {
  const out: string[] = [];
  if (without !== 'region') {
    if (f.regionId !== undefined) out.push(`r${f.regionId}`);
    else if (f.cityId !== undefined) out.push(`c${f.cityId}`);
  }
  if (without !== 'category') {
    if (f.categoryId !== undefined) out.push(`s${f.categoryId}`);
    else if (f.topCategoryId !== undefined) out.push(`t${f.topCategoryId}`);
  }
  if (f.hasImages) out.push('img');
  if (f.verified) out.push('ver');
  for (const [key, value] of Object.entries(f.attributes ?? {})) {
    if (without !== `attr:${key}`) out.push(attributeToken(key, value));
  }
  return out;
}

export function matchExpression(query: ParsedQuery, f: SearchFilters, without?: Group): string {
  const text = ftsExpression(query);
  const tokens = tokenFilters(f, without);
  const parts: string[] = [];
  if (text) parts.push(`${TEXT_COLUMNS} : (${text})`);
  if (tokens.length > 0 || !text) parts.push(`f : (${tokens.length > 0 ? tokens.join(' AND ') : 'all'})`);
  return parts.join(' AND ');
}

interface Candidate {
  id: number;
  kind: string;
  city: number;
  region: number;
  top: number;
  cat: number;
  priceMin: number | null;
  priceMax: number | null;
  publishedAt: number;
  expiresAt: number;
  attributes: string | null;
  rank: number;
}

const CANDIDATE_COLUMNS =
  'r.id, r.kind, r.city, r.region, r.top, r.cat, r.price_min AS priceMin, r.price_max AS priceMax, r.published_at AS publishedAt, r.expires_at AS expiresAt';

/** The candidates of a match, newest id first, at most cap + 1 (one more says "there are more"). */
function candidates(db: Db, match: string, opts: { rank: boolean; attributes: boolean; cap: number }): Candidate[] {
  const cols = `${CANDIDATE_COLUMNS}, ${opts.attributes ? 'r.attributes' : 'NULL AS attributes'}, ${opts.rank ? BM25 : '0'} AS rank`;
  return prepared(
    db,
    `SELECT ${cols} FROM search_fts JOIN search_rows r ON r.id = search_fts.rowid
     WHERE search_fts MATCH ? ORDER BY search_fts.rowid DESC LIMIT ${opts.cap + 1}`,
  ).all(match) as Candidate[];
}

/** The id range of the index, for estimating how many matches a capped read stands for. */
function idRange(db: Db): { min: number; max: number } {
  // Two subqueries: min() and max() together in one SELECT scan the table instead of reading each end of the key.
  const r = prepared(db, 'SELECT (SELECT min(id) FROM search_rows) AS min, (SELECT max(id) FROM search_rows) AS max').get() as {
    min: number | null;
    max: number | null;
  };
  return { min: r.min ?? 0, max: r.max ?? 0 };
}

/** The conditions FTS5 cannot express as tokens: expiry, price, dates, number attributes. */
function residualFilter(f: SearchFilters, now: number): ((c: Candidate) => boolean) {
  const ranges = Object.entries(f.attributeRanges ?? {});
  return (c) => {
    if (c.expiresAt <= now) return false;
    if (f.publishedAfter !== undefined && c.publishedAt < f.publishedAfter) return false;
    if (f.priceMin !== undefined || f.priceMax !== undefined) {
      if (c.priceMin === null || c.priceMax === null) return false;
      if (f.priceMin !== undefined && c.priceMax < f.priceMin) return false;
      if (f.priceMax !== undefined && c.priceMin > f.priceMax) return false;
    }
    if (ranges.length > 0) {
      const attrs = c.attributes ? (JSON.parse(c.attributes) as Record<string, unknown>) : {};
      for (const [key, { min, max }] of ranges) {
        const v = Number(attrs[key]);
        if (attrs[key] === undefined || Number.isNaN(v)) return false;
        if (min !== undefined && v < min) return false;
        if (max !== undefined && v > max) return false;
      }
    }
    return true;
  };
}

interface MatchSet {
  rows: Candidate[];
  /** The rows before the kind filter (what the kind facet counts). */
  anyKind: Candidate[];
  /** Matches in all (an estimate when capped). */
  total: number;
  exact: boolean;
  /** Multiplier from counts in `rows` to estimated counts in all matches. */
  scale: number;
}

function matchSet(db: Db, req: EngineRequest, without: Group | undefined, rank: boolean): MatchSet {
  const f = req.filters;
  const match = matchExpression(req.query, f, without);
  const needAttributes = req.facetAttributes.length > 0 || Object.keys(f.attributeRanges ?? {}).length > 0;
  const cap = without === undefined ? CANDIDATE_CAP : FACET_CAP;
  const raw = candidates(db, match, { rank, attributes: needAttributes, cap });
  const keep = residualFilter(f, req.now);
  const ofKind = (r: Candidate) => !f.kind || r.kind === f.kind;
  if (raw.length <= cap) {
    const anyKind = raw.filter(keep);
    const rows = anyKind.filter(ofKind);
    return { rows, anyKind, total: rows.length, exact: true, scale: 1 };
  }
  raw.pop();
  const anyKind = raw.filter(keep);
  const rows = anyKind.filter(ofKind);
  // Matches spread over the id range about evenly, so the newest CAP matches covering a share of the range stand
  // for CAP / share matches in all; counting them instead would read the whole doclist (tens of ms at a million).
  const range = idRange(db);
  const covered = (range.max - raw[raw.length - 1]!.id + 1) / Math.max(1, range.max - range.min + 1);
  const scale = 1 / Math.max(covered, 1e-6);
  return { rows, anyKind, total: Math.round(rows.length * scale), exact: false, scale };
}

function tally<T extends string | number>(rows: Candidate[], pick: (c: Candidate) => T, scale: number): Record<T, number> {
  const out = {} as Record<T, number>;
  for (const r of rows) {
    const k = pick(r);
    out[k] = (out[k] ?? 0) + 1;
  }
  if (scale !== 1) for (const k of Object.keys(out) as T[]) out[k] = Math.max(1, Math.round(out[k] * scale));
  return out;
}

function attributeTally(rows: Candidate[], key: string, scale: number): Record<string, number> {
  const picked = rows.filter((r) => r.attributes !== null);
  const values = new Map<Candidate, string>();
  for (const r of picked) {
    const v = (JSON.parse(r.attributes!) as Record<string, unknown>)[key];
    if (v !== undefined) values.set(r, String(v));
  }
  return tally([...values.keys()], (r) => values.get(r)!, scale);
}

function compare(sort: EngineRequest['sort']): (a: Candidate, b: Candidate) => number {
  const newest = (a: Candidate, b: Candidate) => b.publishedAt - a.publishedAt || b.id - a.id;
  switch (sort) {
    case 'relevance':
      return (a, b) => a.rank - b.rank || newest(a, b);
    case 'price_asc':
      return (a, b) => (a.priceMin ?? Infinity) - (b.priceMin ?? Infinity) || newest(a, b);
    case 'price_desc':
      // Negotiable (no price) last in both directions.
      return (a, b) => (b.priceMax ?? -Infinity) - (a.priceMax ?? -Infinity) || newest(a, b);
    default:
      return newest;
  }
}

export function ftsSearch(db: Db, req: EngineRequest): EngineResult {
  const rank = req.sort === 'relevance' && req.query.groups.length > 0;
  const main = matchSet(db, req, undefined, rank);
  const sorted = main.rows.slice().sort(compare(rank ? 'relevance' : req.sort === 'relevance' ? 'newest' : req.sort));
  const start = (req.page - 1) * req.pageSize;
  const ids = sorted.slice(start, start + req.pageSize).map((r) => r.id);

  const f = req.filters;
  const facetSet = (group: Group, active: boolean) => (active ? matchSet(db, req, group, false) : main);
  const facets: Facets = emptyFacets();
  facets.kind = tally(main.anyKind, (r) => r.kind, main.scale);
  const regionSet = facetSet('region', f.cityId !== undefined || f.regionId !== undefined);
  facets.city = tally(regionSet.rows, (r) => r.city, regionSet.scale);
  facets.region = tally(regionSet.rows, (r) => r.region, regionSet.scale);
  const categorySet = facetSet('category', f.topCategoryId !== undefined || f.categoryId !== undefined);
  facets.topCategory = tally(categorySet.rows, (r) => r.top, categorySet.scale);
  facets.category = tally(categorySet.rows, (r) => r.cat, categorySet.scale);
  for (const attr of req.facetAttributes) {
    const set = facetSet(`attr:${attr.key}`, f.attributes?.[attr.key] !== undefined);
    facets.attributes[attr.key] = attributeTally(set.rows, attr.key, set.scale);
  }
  return { ids, total: main.total, exact: main.exact, facets, reachable: main.exact ? undefined : main.rows.length };
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
  const titles = prepared(db, `SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ${limit}`)
    .all(`title : (${text})`) as { id: number }[];
  const companies = prepared(
    db,
    `SELECT DISTINCT r.company_id AS id FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT 200) m
     JOIN search_rows r ON r.id = m.rowid LIMIT 3`,
  ).all(`company : (${text})`) as { id: number }[];
  return { listingIds: titles.map((r) => r.id), companyIds: companies.map((r) => r.id) };
}
