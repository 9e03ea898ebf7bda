// Bulk import of a company's listings from a CSV file: each valid row creates or updates one listing through the same
// write functions as the posting form; invalid rows are reported by line and reason and do not stop the others.
// Importing the same file again changes nothing: each listing remembers its row's import key.
import { fillMissingCategory } from '../category-suggest/index.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import { optimizeDatabase, type Db } from '../db.ts';
import { DEFAULT_VALIDITY_DAYS, type ListingNote } from '../listings/input.ts';
import { upsertCompany, upsertListings, type BulkLoad } from '../listings/upsert.ts';
import { importKeyOf, parseCsv, rowProblems, type CsvRow, type RowProblem } from './csv.ts';

export { ImportFileError, MAX_FILE_BYTES, MAX_ROWS } from './csv.ts';

export interface FailedRow {
  line: number;
  ref: string | null;
  /** `column` is the file's own header of the field in question ('' when the problem is the row as a whole). */
  problems: (RowProblem & { column: string })[];
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  failed: FailedRow[];
  /** What the import read a value as, for the person to check (南昌 read as the city, a category from the title). */
  notes: (RowProblem & { line: number; column: string })[];
  /** The listings the file created or updated, in file order. */
  listingIds: number[];
  /** The review batch the new listings wait in (an unverified company's import), or null when they went live. */
  batchId: number | null;
}

// Optional fields a row may leave empty. A row is the whole listing, so an emptied cell clears the stored value
// (the write contract's blank-means-clear), unlike an API patch where a missing field keeps it.
const CLEARABLE = ['description', 'priceUnit', 'quantity', 'quantityUnit', 'moq'] as const;

/**
 * The row as a complete listing input: names, spellings and price text are the listing contract's to read (the same
 * as the API's); a row is the whole listing, so empty cells are blanks and a row without a price is 面议.
 */
function listingInputOf(row: CsvRow): Record<string, unknown> {
  const input: Record<string, unknown> = { ...row.input };
  for (const field of CLEARABLE) input[field] ??= '';
  input.validityDays ??= String(DEFAULT_VALIDITY_DAYS);
  if (input.price === undefined && input.priceMin === undefined && input.priceMax === undefined) input.priceType ??= 'negotiable';
  return input;
}

/** Whether the user has a company to import listings for (the import page says so before a file is chosen). */
export function canImport(db: Db, userId: string): boolean {
  return findCompanyByOwner(db, userId) !== undefined;
}

// Rows are written in batches, one transaction each (one commit instead of one per row), and the event loop gets a
// turn between batches, so the site keeps answering while a large file is imported by its own server process.
const BATCH_ROWS = 100;

/**
 * Imports a CSV file's rows as listings of the user's company. Throws ImportFileError when the file as a whole cannot
 * be read (nothing is imported then), ForbiddenError when the user has no company.
 */
export async function importListings(db: Db, userId: string, bytes: Uint8Array, now: number): Promise<ImportReport> {
  upsertCompany(db, userId);
  const { rows, headers } = parseCsv(bytes);
  const early = rowProblems(rows);
  const report: ImportReport = { created: 0, updated: 0, unchanged: 0, failed: [], notes: [], listingIds: [], batchId: null };
  // One file is one review batch for an unverified company, however many chunks it is written in.
  const load: BulkLoad = { source: 'import', batchId: null };

  // An attribute's problem is reported under the attribute's name as the file's column gave it.
  const columnOf = (field: string) => (field.startsWith('attributes.') ? field.slice('attributes.'.length) : (headers[field] ?? field));
  const fail = (row: CsvRow, problems: RowProblem[]) =>
    report.failed.push({
      line: row.line,
      ref: row.ref,
      problems: problems.map((p) => ({ ...p, column: p.field === '_' ? '' : columnOf(p.field) })),
    });

  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    const batch = rows.slice(start, start + BATCH_ROWS);
    const valid = batch.filter((row) => !early.has(row));
    // A row without a category gets the likeliest one from its title (the key stays the row's own, as typed).
    const items = [];
    const suggested = new Map<CsvRow, ListingNote[]>();
    for (const row of valid) {
      const notes: ListingNote[] = [];
      items.push({ key: importKeyOf(row), input: await fillMissingCategory(db, listingInputOf(row), now, notes) });
      suggested.set(row, notes);
    }
    const outcomes = new Map(upsertListings(db, userId, items, now, load).map((o, i) => [valid[i]!, o]));
    for (const row of batch) {
      const o = outcomes.get(row);
      if (!o) fail(row, early.get(row)!);
      else if (o.status === 'error') fail(row, Object.entries(o.fields).map(([field, key]) => ({ field, key, params: o.params[field] })));
      else {
        for (const n of [...suggested.get(row)!, ...o.notes]) report.notes.push({ ...n, line: row.line, column: columnOf(n.field) });
        report[o.status]++;
        if (o.status !== 'unchanged') report.listingIds.push(o.listing.id);
      }
    }
  }
  // A catalogue can be most of a small site's listings: let the planner's statistics catch up if it grew a lot.
  if (report.created > 0) optimizeDatabase(db);
  report.batchId = load.batchId;
  return report;
}
