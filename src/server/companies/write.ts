// Company profiles: one per account, written only by its owner. `verified` is the site's word, never the owner's:
// an administrator sets it (src/server/verification/, or scripts/admin.ts); a rename takes it away until the new
// name is verified again. A rename re-queues the company's listings for search, since search
// shows the company name with each listing.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { companies, listings } from '../../../db/schema.ts';
import type { Db } from '../db.ts';
import { ConflictError, ForbiddenError, InvalidError } from '../errors.ts';
import { listingsChanged } from '../listings/changes.ts';
import { forgetCounts } from '../listings/counts.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { slugify, uniqueSlug } from '../slug.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { parseInput } from '../validation.ts';
import { lapseOnRename } from '../verification/index.ts';
import { recordAudit } from '../audit/index.ts';
import { findCompanyByOwner } from './queries.ts';

export type CompanyRow = typeof companies.$inferSelect;

const blank = (v: unknown) => (v === null ? undefined : typeof v === 'string' ? v.trim() || undefined : v);
const oneLine = (v: unknown) => {
  const b = blank(v);
  return typeof b === 'string' ? b.replace(/\s+/g, ' ') : b;
};
const text = (max: number, key: string, clean = oneLine) =>
  z.preprocess(clean, z.string({ error: key }).max(max, key).optional());

/** Landlines with area code and extension, mobiles, +86: digits with the usual separators. */
export const PHONE_PATTERN = /^\+?[\d\s()\-]{5,}(\s*(转|ext\.?|x)\s*\d{1,6})?$/i;

/**
 * A company phone in the one form the site stores and shows, or null when it is no reachable number: a mobile
 * (1[3-9] and 9 more digits) as 13812345678, a landline with its area code (010 and 02x have three digits, others
 * four; the number 7 or 8 digits not starting with 0 or 1) as 0791-86123456, an extension as 转123. A leading +86 or
 * 0086 and the usual separators are dropped.
 */
export function normalisePhone(raw: string): string | null {
  const m = /^(.*?)(?:\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6}))?$/i.exec(raw.trim());
  const digits = (m?.[1] ?? '').replace(/[\s()\-–—.]/g, '').replace(/^(?:\+86|0086)/, '');
  const extension = m?.[2] ? `转${m[2]}` : '';
  if (/^1[3-9]\d{9}$/.test(digits)) return extension ? null : digits;
  const landline = /^(0(?:10|2\d|[3-9]\d{2}))([2-9]\d{6,7})$/.exec(digits);
  return landline ? `${landline[1]}-${landline[2]}${extension}` : null;
}

const EMAIL_FORMAT = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isWebAddress(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.');
  } catch {
    return false;
  }
}

/** The company profile input; every field optional here, a create needs name and region. */
export const companyInputSchema = z.object({
  name: z.preprocess(
    oneLine,
    z
      .string({ error: 'companyForm.nameTooShort' })
      .min(2, 'companyForm.nameTooShort')
      .max(50, 'companyForm.nameTooLong')
      .optional(),
  ),
  region: z.preprocess(
    (v) => (typeof v === 'number' ? String(v) : blank(v)),
    z.string({ error: 'companyForm.regionUnknown' }).max(100, 'companyForm.regionUnknown').optional(),
  ),
  address: text(100, 'companyForm.addressTooLong'),
  contactName: text(20, 'companyForm.contactTooLong'),
  phone: z.preprocess(
    oneLine,
    z
      .string({ error: 'companyForm.phoneInvalid' })
      .max(30, 'companyForm.phoneInvalid')
      .transform((p, ctx) => normalisePhone(p) ?? (ctx.addIssue({ code: 'custom', message: 'companyForm.phoneInvalid' }), z.NEVER))
      .optional(),
  ),
  email: z.preprocess(
    (v) => (typeof blank(v) === 'string' ? (blank(v) as string).toLowerCase() : blank(v)),
    z.string({ error: 'companyForm.emailInvalid' }).max(254, 'companyForm.emailInvalid').regex(EMAIL_FORMAT, 'companyForm.emailInvalid').optional(),
  ),
  website: z.preprocess(
    (v) => {
      const b = blank(v);
      // "www.example.com" is how people write it; the stored address has a scheme.
      return typeof b === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(b) ? `http://${b}` : b;
    },
    z
      .string({ error: 'companyForm.websiteInvalid' })
      .max(200, 'companyForm.websiteInvalid')
      .refine(isWebAddress, 'companyForm.websiteInvalid')
      .optional(),
  ),
  description: text(2000, 'companyForm.descriptionTooLong', (v) => {
    const b = blank(v);
    return typeof b === 'string' ? b.replace(/\r\n?/g, '\n') : b;
  }),
  mainProducts: text(200, 'companyForm.mainProductsTooLong'),
});

export type CompanyInput = z.infer<typeof companyInputSchema>;

const OPTIONAL_TEXT = ['address', 'contactName', 'phone', 'email', 'website', 'description', 'mainProducts'] as const;

/**
 * The values to store: fields the input does not mention are left out, so an update patches only what it gives.
 * `current`: the company as stored (an update), to check that a phone or an email remains after the patch.
 */
function companyValues(db: Db, input: unknown, current: CompanyRow | null) {
  const creating = current === null;
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  let parsed: CompanyInput;
  try {
    parsed = parseInput(companyInputSchema, raw);
  } catch (e) {
    // Every problem at once: the required fields too, not only the malformed ones.
    if (e instanceof InvalidError && creating) {
      if (blank(raw.name) === undefined) e.fields.name ??= 'companyForm.nameRequired';
      if (blank(raw.region) === undefined) e.fields.region ??= 'companyForm.regionRequired';
    }
    if (e instanceof InvalidError && !e.fields.phone && !e.fields.email && !reachable(raw, current)) e.fields.phone = 'companyForm.contactRequired';
    throw e;
  }
  const fields: Record<string, string> = {};
  // Buyers need a way to reach the company: a phone or an email, as given now or kept from before.
  if (!reachable(raw, current)) fields.phone = 'companyForm.contactRequired';
  // A create needs both; an edit may leave them out, but not send them emptied.
  if (parsed.name === undefined && (creating || raw.name !== undefined)) fields.name = 'companyForm.nameRequired';
  if (parsed.region === undefined && (creating || raw.region !== undefined)) fields.region = 'companyForm.regionRequired';
  let regionId: number | undefined;
  if (parsed.region !== undefined) {
    const { regions } = getTaxonomy(db);
    const region = /^\d+$/.test(parsed.region) ? regions.byId.get(Number(parsed.region)) : regions.bySlug.get(parsed.region);
    if (!region || region.parentId === null) fields.region = 'companyForm.regionUnknown';
    else regionId = region.id;
  }
  if (Object.keys(fields).length > 0) throw new InvalidError('invalid company', fields);
  const values: Partial<typeof companies.$inferInsert> = {};
  if (parsed.name !== undefined) values.name = parsed.name;
  if (regionId !== undefined) values.regionId = regionId;
  for (const f of OPTIONAL_TEXT) {
    // Given blank clears the field (a form emptied it); not given at all keeps it.
    if (parsed[f] !== undefined) values[f] = parsed[f];
    else if (f in raw) values[f] = '';
  }
  return values;
}

function reachable(raw: Record<string, unknown>, current: CompanyRow | null): boolean {
  const after = (f: 'phone' | 'email') => (f in raw ? blank(raw[f]) !== undefined : Boolean(current?.[f]));
  return after('phone') || after('email');
}

function slugTaken(db: Db, slug: string): boolean {
  return db.select({ id: companies.id }).from(companies).where(eq(companies.slug, slug)).get() !== undefined;
}

const isUniqueViolation = (e: unknown) =>
  e instanceof Error && (e as Error & { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/** Creates the user's company; an account has at most one. */
export function createCompany(db: Db, userId: string, input: unknown, now: number, opts: { logoHash?: string } = {}): CompanyRow {
  if (findCompanyByOwner(db, userId)) throw new ConflictError('companyForm.alreadyHave');
  const values = companyValues(db, input, null);
  try {
    const row = db.transaction(
      (tx) =>
        tx
          .insert(companies)
          .values({
            ...values,
            name: values.name!,
            regionId: values.regionId!,
            ownerId: userId,
            slug: uniqueSlug(slugify(values.name!) || 'company', (s) => slugTaken(tx as unknown as Db, s)),
            logoHash: opts.logoHash ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .returning()
          .get(),
      { behavior: 'immediate' },
    );
    forgetCounts(db);
    return row;
  } catch (e) {
    if (isUniqueViolation(e) && findCompanyByOwner(db, userId)) throw new ConflictError('companyForm.alreadyHave');
    throw e;
  }
}

/**
 * Edits the user's company (the input patches the fields it gives; `logoHash` replaces the logo, null removes it).
 * The slug stays: links and bookmarks to the company page keep working after a rename.
 */
export function updateCompany(
  db: Db,
  userId: string,
  input: unknown,
  now: number,
  opts: { logoHash?: string | null } = {},
): CompanyRow {
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('posting.needCompany');
  const values = companyValues(db, input, company);
  const renamed = values.name !== undefined && values.name !== company.name;
  const updated = db.transaction(
    (tx) => {
      tx.update(companies)
        .set({ ...values, ...(opts.logoHash !== undefined ? { logoHash: opts.logoHash } : {}), updatedAt: now })
        .where(eq(companies.id, company.id))
        .run();
      if (renamed) {
        lapseOnRename(tx, company, values.name!, userId, now);
        const ids = tx.select({ id: listings.id }).from(listings).where(eq(listings.companyId, company.id)).all();
        enqueueSearchUpdate(tx, ids.map((r) => r.id), now);
      }
      return tx.select().from(companies).where(eq(companies.id, company.id)).get()!;
    },
    { behavior: 'immediate' },
  );
  // The profile shows on its page and its listings' pages, the name and badge on every list: rare enough to drop all.
  listingsChanged(db, 'all');
  return updated;
}

/** The company form: creates the user's company, or edits it when there is one. */
export function saveCompany(db: Db, userId: string, input: unknown, now: number, opts: { logoHash?: string | null } = {}): CompanyRow {
  return findCompanyByOwner(db, userId)
    ? updateCompany(db, userId, input, now, opts)
    : createCompany(db, userId, input, now, { logoHash: opts.logoHash ?? undefined });
}

/** Sets or clears the verified mark from the operator's command line (scripts/admin.ts); the console's way, with the licence, is src/server/verification/. */
export function setCompanyVerified(db: Db, slug: string, verified: boolean, now: number): CompanyRow | undefined {
  const row = db.transaction(
    (tx) => {
      const row = tx
        .update(companies)
        .set({ verified, verifiedAt: verified ? now : null, ...(verified ? {} : { taxId: null }), updatedAt: now })
        .where(eq(companies.slug, slug))
        .returning()
        .get();
      if (row) {
        // The operator's command line has no evidence to show: the audit log says who set the mark and how.
        recordAudit(tx, { actorId: null, action: verified ? 'company.verifiedByOperator' : 'company.unverifiedByOperator', targetType: 'company', targetId: row.id, after: { verified } }, now);
        // Search shows the verified mark with each listing of the company.
        const ids = tx.select({ id: listings.id }).from(listings).where(eq(listings.companyId, row.id)).all();
        enqueueSearchUpdate(tx, ids.map((r) => r.id), now);
      }
      return row;
    },
    { behavior: 'immediate' },
  );
  if (row) listingsChanged(db, 'all');
  return row;
}
