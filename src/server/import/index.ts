// Bulk import of a company's listings from a CSV file: each valid row creates or updates one listing through the same
// write functions as the posting form; invalid rows are reported by line and reason and do not stop the others.
// Importing the same file again changes nothing: each listing remembers its row's import key.
import { and, eq, inArray } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import { optimizeDatabase, type Db } from '../db.ts';
import { ConflictError, ForbiddenError, GoneError, InvalidError, NotFoundError } from '../errors.ts';
import { DEFAULT_VALIDITY_DAYS, resolveListing, type ListingValues } from '../listings/input.ts';
import { createListing, updateListing } from '../listings/write.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { importKeyOf, normalizeRowValues, parseCsv, rowProblems, type CsvRow, type RowProblem } from './csv.ts';
import { resolveAttributeNames, resolveCategory, resolveRegion } from './names.ts';

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
  /** The listings the file created or updated, in file order. */
  listingIds: number[];
}

// Optional fields a row may leave empty. A row is the whole listing, so an emptied cell clears the stored value
// (the write contract's blank-means-clear), unlike an API patch where a missing field keeps it.
const CLEARABLE = ['description', 'priceUnit', 'quantity', 'quantityUnit', 'moq'] as const;

/** The row as a complete listing input: slugs for names, attribute keys for labels, blanks for empty cells. */
function listingInputOf(db: Db, row: CsvRow): { input: Record<string, unknown>; attributeColumns: Record<string, string> } {
  const taxonomy = getTaxonomy(db);
  const input = normalizeRowValues(row.input);
  if (typeof input.category === 'string') input.category = resolveCategory(taxonomy, input.category);
  if (typeof input.region === 'string') input.region = resolveRegion(taxonomy, input.region);
  for (const field of CLEARABLE) input[field] ??= '';
  input.validityDays ??= String(DEFAULT_VALIDITY_DAYS);
  const category =
    typeof input.category === 'string'
      ? (taxonomy.categories.byId.get(Number(input.category)) ?? taxonomy.categories.bySlug.get(input.category.toLowerCase()))
      : undefined;
  const resolved = resolveAttributeNames(category?.attributes ?? [], input.attributes ?? {});
  input.attributes = resolved.attributes;
  return { input, attributeColumns: resolved.columnOf };
}

const CONTENT_KEYS: (keyof ListingValues)[] = [
  'kind',
  'title',
  'description',
  'categoryId',
  'regionId',
  'priceMin',
  'priceMax',
  'negotiable',
  'priceUnit',
  'quantity',
  'quantityUnit',
  'moq',
  'validityDays',
  'attributes',
];

function sameContent(a: ListingValues, b: typeof listings.$inferSelect): boolean {
  return CONTENT_KEYS.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

function companyOfOwner(db: Db, userId: string) {
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('posting.needCompany');
  return company;
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
  const company = companyOfOwner(db, userId);
  const { rows, headers } = parseCsv(bytes);
  const early = rowProblems(rows);
  const report: ImportReport = { created: 0, updated: 0, unchanged: 0, failed: [], listingIds: [] };
  const taxonomy = getTaxonomy(db);

  const importRow = (row: CsvRow, existing: Map<string, typeof listings.$inferSelect>) => {
    const columnOf = (field: string, attributeColumns: Record<string, string> = {}) =>
      field.startsWith('attributes.')
        ? (attributeColumns[field.slice('attributes.'.length)] ?? field.slice('attributes.'.length))
        : (headers[field] ?? field);
    const fail = (problems: RowProblem[], attributeColumns?: Record<string, string>) =>
      report.failed.push({
        line: row.line,
        ref: row.ref,
        problems: problems.map((p) => ({ ...p, column: p.field === '_' ? '' : columnOf(p.field, attributeColumns) })),
      });

    const before = early.get(row);
    if (before) return fail(before);
    const { input, attributeColumns } = listingInputOf(db, row);
    const importKey = importKeyOf(row);
    try {
      const stored = existing.get(importKey);
      if (!stored) {
        const created = createListing(db, userId, input, now, { importKey });
        // The same row twice in a file is one listing: the second finds the first.
        existing.set(importKey, created);
        report.listingIds.push(created.id);
        report.created++;
      } else if (sameContent(resolveListing(taxonomy, input, null), stored)) {
        report.unchanged++;
      } else {
        const updated = updateListing(db, userId, stored.id, input, now);
        existing.set(importKey, updated);
        report.listingIds.push(updated.id);
        report.updated++;
      }
    } catch (e) {
      if (e instanceof InvalidError) fail(Object.entries(e.fields).map(([field, key]) => ({ field, key })), attributeColumns);
      else if (e instanceof GoneError || e instanceof NotFoundError) fail([{ field: 'ref', key: 'import.listingRemoved' }]);
      else if (e instanceof ConflictError) fail([{ field: 'ref', key: e.message }]);
      else throw e;
    }
  };

  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    const batch = rows.slice(start, start + BATCH_ROWS);
    // Each row's write is a savepoint inside the batch's transaction: a failed row leaves the others in place.
    db.transaction(
      () => {
        const keys = batch.map(importKeyOf);
        const existing = new Map(
          db
            .select()
            .from(listings)
            .where(and(eq(listings.companyId, company.id), inArray(listings.importKey, keys)))
            .all()
            .map((l) => [l.importKey!, l]),
        );
        for (const row of batch) importRow(row, existing);
      },
      { behavior: 'immediate' },
    );
  }
  // A catalogue can be most of a small site's listings: let the planner's statistics catch up if it grew a lot.
  if (report.created > 0) optimizeDatabase(db);
  return report;
}
