// POST /api/v1/listings/bulk: a company's catalogue in one call. Each item carries the company's own `ref`; the item
// is the whole listing and is created, updated or left unchanged by its ref (the same create-or-update as the CSV
// import), so a retry after a timeout is harmless. Items are written in chunks of 100, one transaction each, with a
// turn of the event loop between chunks so the site keeps answering; a refused item names its fields and does not
// stop the others.
import { z } from 'zod';
import type { ApiPrincipal } from '../api-tokens/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { InvalidError } from '../errors.ts';
import { translator, type Locale, type Params } from '../i18n/index.ts';
import { fillMissingCategory } from '../category-suggest/index.ts';
import { listingInputSchema, type ListingNote } from '../listings/input.ts';
import { upsertCompany, upsertListings, type BulkLoad, type UpsertItem } from '../listings/upsert.ts';
import { listingPath } from '../urls.ts';
import { fieldMessages } from './field-errors.ts';
import { noticesJson } from './listings.ts';
import type { BulkAnswer, BulkItemResult } from './schemas.ts';

export const MAX_BULK_ITEMS = 1000;
const CHUNK_ITEMS = 100;
const MAX_REF_LENGTH = 100;

type BulkStatus = BulkItemResult['status'];

/** An NDJSON line that is not JSON: it answers as its item's error, so one bad line does not stop the others. */
export class UnreadableItem {
  constructor(readonly line: number) {}
}

/** One item of a bulk call: the whole listing and the caller's own reference of it. */
export const bulkItemSchema = listingInputSchema
  .extend({
    ref: z
      .preprocess((v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v), z.string().trim().min(1).max(MAX_REF_LENGTH))
      .meta({ description: "Required: your system's own id of the listing (1-100 characters); sending it again updates that listing", anyOf: [{ type: 'string' }, { type: 'integer' }], type: undefined }),
  })
  .meta({ id: 'BulkItem' });

/** A bulk item's ref as a string (a number is taken as its digits), or null when it is not a usable ref. */
function refOf(item: Record<string, unknown>): string | null {
  const ref = bulkItemSchema.shape.ref.safeParse(item.ref);
  return ref.success ? ref.data : null;
}

export async function bulkUpsertApi(db: Db, principal: ApiPrincipal, items: unknown[], now: number, locale: Locale): Promise<BulkAnswer> {
  if (items.length === 0) throw new InvalidError('empty bulk', { items: 'api.bulk.empty' });
  if (items.length > MAX_BULK_ITEMS) {
    throw new InvalidError('bulk too large', { items: 'api.bulk.tooMany' }, { items: { max: MAX_BULK_ITEMS } });
  }
  upsertCompany(db, principal.userId);
  const t = translator(locale);
  const { SITE_URL } = config();
  const results: BulkItemResult[] = [];
  const pending: { index: number; item: UpsertItem }[] = [];
  const firstIndexOfRef = new Map<string, number>();

  const refuse = (index: number, ref: string | null, fields: Record<string, string>, params: Record<string, Params> = {}, input?: unknown) => {
    results[index] = { index, ref, status: 'error', errors: fieldMessages(t, fields, params, input) };
  };

  items.forEach((item, index) => {
    if (item instanceof UnreadableItem) return refuse(index, null, { _: 'api.bulk.badJsonLine' }, { _: { line: item.line } });
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return refuse(index, null, { _: 'api.bulk.notObject' });
    const raw = item as Record<string, unknown>;
    const ref = refOf(raw);
    if (ref === null) return refuse(index, null, { ref: raw.ref === undefined ? 'api.bulk.refRequired' : 'api.bulk.refInvalid' }, {}, raw);
    const first = firstIndexOfRef.get(ref);
    if (first !== undefined) return refuse(index, ref, { ref: 'api.bulk.refDuplicate' }, { ref: { index: first } }, raw);
    firstIndexOfRef.set(ref, index);
    const { ref: _ref, ...input } = raw;
    pending.push({ index, item: { key: ref, input } });
  });

  // An item without a category gets the likeliest one from its title, and a notice saying so.
  const suggested = new Map<number, ListingNote[]>();
  for (const p of pending) {
    const notes: ListingNote[] = [];
    p.item.input = await fillMissingCategory(db, p.item.input, now, notes);
    if (notes.length > 0) suggested.set(p.index, notes);
  }

  // One call is one review batch for an unverified company (moderation/batches.ts).
  const load: BulkLoad = { source: 'api', batchId: null };
  for (let start = 0; start < pending.length; start += CHUNK_ITEMS) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    const chunk = pending.slice(start, start + CHUNK_ITEMS);
    const outcomes = upsertListings(db, principal.userId, chunk.map((p) => p.item), now, load);
    outcomes.forEach((o, i) => {
      const { index, item } = chunk[i]!;
      if (o.status === 'error') {
        // The upsert words a deleted listing for a file's row; a bulk item is told in the API's words.
        const fields = o.fields.ref === 'import.listingRemoved' ? { ...o.fields, ref: 'api.bulk.removed' } : o.fields;
        return refuse(index, item.key, fields, o.params, { ...(item.input as object), ref: item.key });
      }
      const notes = [...(suggested.get(index) ?? []), ...o.notes];
      results[index] = {
        index,
        ref: item.key,
        status: o.status,
        id: o.listing.id,
        url: SITE_URL + listingPath(o.listing),
        listingStatus: o.listing.status,
        ...(o.listing.status === 'pending' && o.listing.batchId !== null ? { batchId: o.listing.batchId } : {}),
        ...(notes.length > 0 ? { notices: noticesJson(notes, locale) } : {}),
      };
    });
  }

  const summary: Record<BulkStatus, number> = { created: 0, updated: 0, unchanged: 0, error: 0 };
  for (const r of results) summary[r.status]++;
  return { summary, batchId: load.batchId, items: results };
}
