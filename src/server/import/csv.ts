// Reading a bulk-import CSV: bytes -> text (UTF-8, GBK, or UTF-16 by its BOM) -> rows with their line numbers -> raw listing inputs named
// as the listing input contract names them. Pure: no database; validation of the values is the listing schema's job.
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';

/** A file larger than this is refused before it is read (an upload of this size takes seconds, not minutes). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Rows per import: enough for a company's whole catalogue, few enough to report on one page. */
export const MAX_ROWS = 5000;
const MAX_REF_LENGTH = 100;

/** A problem of the whole file; nothing is imported. `key` is a message key, filled with `params`. */
export class ImportFileError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(key);
    this.name = 'ImportFileError';
  }
}

/** A problem of one row, reported with its line and the column it is about. */
export interface RowProblem {
  field: string;
  key: string;
  params?: Record<string, string | number>;
}

export interface CsvRow {
  /** The file's line where the row starts (1 = the header). */
  line: number;
  /** The company's own reference (the `ref` column), or null. */
  ref: string | null;
  /** Contract field names -> the cell text; `attributes` maps the column's attribute name -> text. Empty cells are left out. */
  input: Record<string, unknown> & { attributes?: Record<string, string> };
}

export interface ParsedCsv {
  rows: CsvRow[];
  /** For each contract field, the header the file used, so a report speaks the file's own language. */
  headers: Record<string, string>;
}

export const CONTRACT_FIELDS = [
  'kind',
  'category',
  'region',
  'title',
  'description',
  'priceType',
  'price',
  'priceMin',
  'priceMax',
  'priceUnit',
  'quantity',
  'quantityUnit',
  'moq',
  'validityDays',
  'ref',
] as const;
type Field = (typeof CONTRACT_FIELDS)[number];

/** Header aliases per field (compared after normalizeHeader). Documented in docs/import.md. */
export const HEADER_ALIASES: Record<Field, string[]> = {
  kind: ['kind', '类型', '供求', '供求类型', '信息类型'],
  category: ['category', '分类', '行业', '类目', '行业分类', '产品分类'],
  region: ['region', '地区', '所在地', '所在地区', '区县'],
  title: ['title', '标题', '信息标题'],
  description: ['description', '描述', '说明', '详细说明', '内容'],
  priceType: ['pricetype', 'price_type', '价格类型', '报价方式'],
  price: ['price', '价格', '单价'],
  priceMin: ['pricemin', 'price_min', '最低价', '最低价格'],
  priceMax: ['pricemax', 'price_max', '最高价', '最高价格'],
  priceUnit: ['priceunit', 'price_unit', '单位', '价格单位', '计价单位'],
  quantity: ['quantity', '数量', '供应数量', '求购数量'],
  quantityUnit: ['quantityunit', 'quantity_unit', '数量单位'],
  moq: ['moq', '起订量', '最小起订量'],
  validityDays: ['validitydays', 'validity_days', '有效期', '有效天数'],
  ref: ['ref', '编号', '自编号', '货号', '参考号'],
};

const REQUIRED: Field[] = ['kind', 'category', 'region', 'title'];
const ATTRIBUTE_PREFIXES = ['attr.', 'attributes.', '属性.', '参数.'];

const fieldByAlias = new Map<string, Field>(
  Object.entries(HEADER_ALIASES).flatMap(([field, aliases]) => aliases.map((a) => [a, field as Field] as const)),
);

/** `价格（元）` and `Price (yuan)` name the same column as `价格` and `price`: hints in brackets and case are ignored. */
export function normalizeHeader(header: string): string {
  return header
    .normalize('NFKC') // full-width brackets, letters and dots become ASCII
    .replace(/\([^)]*\)/g, '')
    .replace(/\s+/g, '')
    .toLowerCase();
}

/**
 * UTF-8 (with or without BOM) when the bytes are valid UTF-8; otherwise GB18030, a superset of the GBK that Excel in
 * China saves CSV in. Invalid UTF-8 is a reliable sign: GBK text of any length is almost never valid UTF-8.
 */
export function decodeCsv(bytes: Uint8Array): string {
  // Excel's "Unicode text" is UTF-16 (little-endian on Windows) and always starts with its byte-order mark.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** Comma, or tab when the header line has tabs and no commas (Excel's "Unicode text" and "Text" files are tab-separated). */
export function delimiterOf(text: string): ',' | '\t' {
  const header = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n'));
  return header.includes('\t') && !header.includes(',') ? '\t' : ',';
}

/** What a header names: a contract field, a category attribute, nothing (an empty header), or something unknown. */
type Column = { field: Field } | { attribute: string } | null | 'unknown';

function columnOf(header: string): Column {
  const norm = normalizeHeader(header);
  if (norm === '') return null;
  const field = fieldByAlias.get(norm);
  if (field) return { field };
  const prefix = ATTRIBUTE_PREFIXES.find((p) => norm.startsWith(p));
  if (prefix) {
    // The attribute's name as written (key or Chinese label), not lower-cased: it is matched against the category.
    const raw = header.normalize('NFKC').trim();
    const name = raw.slice(raw.indexOf('.') + 1).trim();
    return name ? { attribute: name } : null;
  }
  return 'unknown';
}

/** Parses the file into rows, or throws ImportFileError for a problem that makes the whole file unreadable. */
export function parseCsv(bytes: Uint8Array): ParsedCsv {
  if (bytes.byteLength > MAX_FILE_BYTES) throw new ImportFileError('import.tooLarge', { max: MAX_FILE_BYTES / 1024 / 1024 });
  // One line ending, so line numbers count the way an editor does (csv-parse counts a CRLF file's lines differently).
  const text = decodeCsv(bytes).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1;
    throw new ImportFileError('import.malformed', { line });
  }
  const [header, ...body] = records;
  if (!header || body.length === 0) throw new ImportFileError('import.empty');
  if (body.length > MAX_ROWS) throw new ImportFileError('import.tooManyRows', { max: MAX_ROWS });

  const columns = header.record.map((h) => columnOf(h));
  const unknown = header.record.filter((_h, i) => columns[i] === 'unknown');
  if (unknown.length > 0) throw new ImportFileError('import.unknownColumns', { columns: unknown.join(', ') });
  const headers: Record<string, string> = {};
  columns.forEach((c, i) => {
    if (c && c !== 'unknown' && 'field' in c) headers[c.field] ??= header.record[i]!;
  });
  const missing = REQUIRED.filter((f) => !(f in headers));
  if (missing.length > 0) {
    // Named both ways, so a file with Chinese headers learns the Chinese name to add.
    const names = missing.map((f) => `${f}（${HEADER_ALIASES[f][1]}）`);
    throw new ImportFileError('import.missingColumns', { columns: names.join(', ') });
  }

  const rows = body.map(({ record, info }) => {
    // info.lines is where the record ends; a quoted cell may span lines, and a person looks for where the row starts.
    const inner = record.reduce((n, cell) => n + (cell.split('\n').length - 1), 0);
    const input: CsvRow['input'] = {};
    columns.forEach((column, i) => {
      const cell = record[i] ?? '';
      if (!column || column === 'unknown' || cell === '') return;
      if ('field' in column) input[column.field] ??= cell;
      else (input.attributes ??= {})[column.attribute] = cell;
    });
    const ref = typeof input.ref === 'string' ? input.ref : null;
    delete input.ref;
    return { line: info.lines - inner, ref, input };
  });
  return { rows, headers };
}

/** Problems of the row itself (not of its values), found before any listing is looked at. */
export function rowProblems(rows: CsvRow[]): Map<CsvRow, RowProblem[]> {
  const out = new Map<CsvRow, RowProblem[]>();
  const firstLineOfRef = new Map<string, number>();
  for (const row of rows) {
    if (row.ref === null) continue;
    if (row.ref.length > MAX_REF_LENGTH) out.set(row, [{ field: 'ref', key: 'import.refTooLong' }]);
    else if (firstLineOfRef.has(row.ref))
      out.set(row, [{ field: 'ref', key: 'import.duplicateRef', params: { line: firstLineOfRef.get(row.ref)! } }]);
    else firstLineOfRef.set(row.ref, row.line);
  }
  return out;
}

/**
 * The listing's import key: the company's own reference when the row has one (so an edited row updates its listing),
 * else a hash of the row's content (so the same row imported twice is recognised).
 */
export function importKeyOf(row: CsvRow): string {
  if (row.ref !== null) return row.ref;
  const canonical = JSON.stringify(
    Object.entries(row.input)
      .map(([k, v]) => [k, v && typeof v === 'object' ? Object.entries(v).sort() : v] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return 'row-' + createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}
