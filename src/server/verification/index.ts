// Company verification (企业认证): a company submits its unified social credit code and a photo of its business
// licence; an administrator compares them and approves or rejects with a reason. Approval sets the company's
// verified mark, its date and its tax id (shown in JSON-LD only while verified); a rename takes the mark away and
// sends the same code and licence back to review under the new name (lapseOnRename, called by companies/write.ts).
// Each step is one transaction with its audit entry and, for a decision, the owner's mail.
//
// The licence photo goes through the ordinary image pipeline (checked, stripped of metadata, re-encoded by sharp)
// but into <dataDir>/private/media, which no public route serves: only an administrator's request reads it.
import path from 'node:path';
import { and, asc, desc, eq, gt, ne } from 'drizzle-orm';
import { z } from 'zod';
import { companies, companyVerifications, listings } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { recordAudit } from '../audit/index.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../errors.ts';
import { listingsChanged } from '../listings/changes.ts';
import { renditionPath, type ImageWidth, type StoredImage } from '../media/index.ts';
import { ImageUploadError, storeImages, type UploadedFile } from '../media/upload.ts';
import { confirm, confirmOnly, reason } from '../moderation/confirm.ts';
import { mailOwner } from '../moderation/mails.ts';
import { enqueueSearchUpdate } from '../search/outbox.ts';
import { parseInput } from '../validation.ts';
import { verificationApprovedMail, verificationRejectedMail } from './mails.ts';
import { normalizeUscc, usccProblem } from './uscc.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type VerificationRow = typeof companyVerifications.$inferSelect;

/** The folder the licence images live under: the media layout, outside the folder /media serves. */
export function privateMediaRoot(dataDir: string): string {
  return path.join(dataDir, 'private');
}

const usccField = z
  .string({ error: 'verification.uscc.required' })
  .trim()
  .min(1, 'verification.uscc.required')
  .max(40, 'verification.uscc.length')
  .transform((raw, ctx) => {
    const problem = usccProblem(raw);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `verification.uscc.${problem}` });
      return z.NEVER;
    }
    return normalizeUscc(raw);
  });

const submitSchema = z.object({ uscc: usccField });

function ownCompany(db: Db | Tx, userId: string) {
  const company = db.select().from(companies).where(eq(companies.ownerId, userId)).get();
  if (!company) throw new ForbiddenError('posting.needCompany');
  if (company.suspendedAt !== null) throw new ForbiddenError('moderation.suspended');
  return company;
}

export interface VerificationState {
  verified: boolean;
  verifiedAt: number | null;
  /** The newest request, if any: pending, or the last decision with its reason. */
  latest: VerificationRow | null;
}

/** What the company form's verification section shows. */
export function verificationState(db: Db, companyId: number): VerificationState {
  const company = db.select({ verified: companies.verified, verifiedAt: companies.verifiedAt }).from(companies).where(eq(companies.id, companyId)).get();
  const latest = db.select().from(companyVerifications).where(eq(companyVerifications.companyId, companyId)).orderBy(desc(companyVerifications.id)).limit(1).get();
  return { verified: Boolean(company?.verified), verifiedAt: company?.verifiedAt ?? null, latest: latest ?? null };
}

/**
 * Asks for verification (field uscc) with the licence image already stored privately. A request still waiting is
 * replaced by the new one (a corrected code or a better photo); a verified company has nothing to ask.
 */
export function submitVerification(db: Db, userId: string, input: unknown, licence: StoredImage | null, now: number, ip?: string): VerificationRow {
  let uscc: string | undefined;
  const fields: Record<string, string> = {};
  try {
    uscc = parseInput(submitSchema, input).uscc;
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    Object.assign(fields, e.fields);
  }
  if (!licence) fields.licence ??= 'verification.licenceRequired';
  if (Object.keys(fields).length > 0 || !uscc || !licence) throw new InvalidError('invalid verification', fields);
  return db.transaction(
    (tx) => {
      const company = ownCompany(tx, userId);
      if (company.verified) throw new ConflictError('verification.alreadyVerified');
      const values = {
        uscc,
        companyName: company.name,
        licenceHash: licence.hash,
        licenceWidth: licence.width,
        licenceHeight: licence.height,
        submittedBy: userId,
        submittedAt: now,
      };
      const waiting = tx
        .select({ id: companyVerifications.id })
        .from(companyVerifications)
        .where(and(eq(companyVerifications.companyId, company.id), eq(companyVerifications.status, 'pending')))
        .get();
      const row = waiting
        ? tx.update(companyVerifications).set(values).where(eq(companyVerifications.id, waiting.id)).returning().get()!
        : tx.insert(companyVerifications).values({ ...values, companyId: company.id }).returning().get();
      recordAudit(tx, { actorId: userId, action: 'verification.submit', targetType: 'company', targetId: company.id, after: { request: row.id, uscc, name: company.name }, ip }, now);
      return row;
    },
    { behavior: 'immediate' },
  );
}

export type VerificationFormResult = { ok: true; request: VerificationRow } | { ok: false; fields: Record<string, string>; uploadError: ImageUploadError | null };

/** The dashboard form: stores the licence photo privately (one file, field `licence`), then submits. */
export async function submitVerificationForm(
  db: Db,
  userId: string,
  form: { values: Record<string, string>; files: Record<string, UploadedFile[]> },
  dataDir: string,
  now: number,
  ip?: string,
): Promise<VerificationFormResult> {
  let licence: StoredImage | null = null;
  let uploadError: ImageUploadError | null = null;
  try {
    [licence = null] = await storeImages(form.files.licence ?? [], privateMediaRoot(dataDir), 1, { field: 'licence' });
  } catch (e) {
    if (!(e instanceof ImageUploadError)) throw e;
    uploadError = e;
  }
  try {
    return { ok: true, request: submitVerification(db, userId, form.values, uploadError ? null : licence, now, ip) };
  } catch (e) {
    if (!(e instanceof InvalidError) && !(e instanceof ConflictError)) throw e;
    const fields: Record<string, string> = { ...e.fields, ...(uploadError ? { licence: uploadError.problem } : {}) };
    if (Object.keys(fields).length === 0) fields._ = e.message;
    return { ok: false, fields, uploadError };
  }
}

export interface VerificationRequest extends VerificationRow {
  currentName: string;
  companySlug: string;
  /** Another company already verified with this code (the console warns). */
  codeUsedBy: { id: number; name: string; slug: string } | null;
}

export const REQUESTS_PAGE = 50;

/** Waiting requests, oldest first (keyset: ids above `after`). */
export function verificationRequests(db: Db, adminId: string, after = 0): VerificationRequest[] {
  assertAdmin(db, adminId);
  const rows = db
    .select({ request: companyVerifications, currentName: companies.name, companySlug: companies.slug })
    .from(companyVerifications)
    .innerJoin(companies, eq(companies.id, companyVerifications.companyId))
    .where(and(eq(companyVerifications.status, 'pending'), gt(companyVerifications.id, after)))
    .orderBy(asc(companyVerifications.id))
    .limit(REQUESTS_PAGE)
    .all();
  return rows.map(({ request, currentName, companySlug }) => ({
    ...request,
    currentName,
    companySlug,
    codeUsedBy:
      db
        .select({ id: companies.id, name: companies.name, slug: companies.slug })
        .from(companies)
        .where(and(eq(companies.taxId, request.uscc), ne(companies.id, request.companyId)))
        .get() ?? null,
  }));
}

const rejectSchema = z.object({ confirm, reason });

/** Approves or rejects a waiting request (fields confirm = 'on'; reason, required to reject). */
export function decideVerification(
  db: Db,
  adminId: string,
  requestId: number,
  decision: 'approve' | 'reject',
  input: unknown,
  now: number,
  ip?: string,
): { changed: boolean; companyId: number } {
  assertAdmin(db, adminId);
  const why = decision === 'reject' ? parseInput(rejectSchema, input).reason : (parseInput(confirmOnly, input), null);
  const result = db.transaction(
    (tx) => {
      const request = tx.select().from(companyVerifications).where(eq(companyVerifications.id, requestId)).get();
      if (!request) throw new NotFoundError(`verification ${requestId}`);
      if (request.status !== 'pending') return { changed: false, companyId: request.companyId };
      const company = tx.select().from(companies).where(eq(companies.id, request.companyId)).get()!;
      tx.update(companyVerifications)
        .set({ status: decision === 'approve' ? 'approved' : 'rejected', reason: why, decidedAt: now, decidedBy: adminId })
        .where(eq(companyVerifications.id, requestId))
        .run();
      if (decision === 'approve') {
        tx.update(companies).set({ verified: true, verifiedAt: now, taxId: request.uscc, updatedAt: now }).where(eq(companies.id, company.id)).run();
        // Search shows the verified mark with each of the company's listings.
        requeueCompanyListings(tx, company.id, now);
      }
      recordAudit(
        tx,
        {
          actorId: adminId,
          action: `verification.${decision}`,
          targetType: 'company',
          targetId: company.id,
          before: { verified: company.verified, taxId: company.taxId },
          after: { request: requestId, uscc: request.uscc, name: company.name, ...(why ? { reason: why } : { verified: true }) },
          ip,
        },
        now,
      );
      mailOwner(
        tx,
        company.id,
        {
          template: decision === 'approve' ? verificationApprovedMail : verificationRejectedMail,
          data: { title: company.name, link: `${config().SITE_URL}/dashboard/company#verification`, reason: why ?? '' },
          idempotencyKey: `verification:${requestId}:${decision}`,
        },
        now,
      );
      return { changed: true, companyId: company.id };
    },
    { behavior: 'immediate' },
  );
  if (result.changed && decision === 'approve') listingsChanged(db, 'all');
  return result;
}

function requeueCompanyListings(tx: Tx, companyId: number, now: number): void {
  // Index range (company_id, ...): only this company's listings.
  const ids = tx.select({ id: listings.id }).from(listings).where(eq(listings.companyId, companyId)).all();
  enqueueSearchUpdate(tx, ids.map((r) => r.id), now);
}

/**
 * A verified company changed its name: the mark goes (the licence shows the old name) and the code and licence it
 * was verified with go back to review under the new name. Call it in the transaction of the rename; the caller
 * re-queues the listings for search (it does for every rename).
 */
export function lapseOnRename(tx: Tx, company: typeof companies.$inferSelect, newName: string, actorId: string, now: number): void {
  if (!company.verified) {
    // A request still waiting now compares the licence with the new name.
    tx.update(companyVerifications)
      .set({ companyName: newName })
      .where(and(eq(companyVerifications.companyId, company.id), eq(companyVerifications.status, 'pending')))
      .run();
    return;
  }
  tx.update(companies).set({ verified: false, verifiedAt: null, taxId: null }).where(eq(companies.id, company.id)).run();
  const last = tx
    .select()
    .from(companyVerifications)
    .where(and(eq(companyVerifications.companyId, company.id), eq(companyVerifications.status, 'approved')))
    .orderBy(desc(companyVerifications.id))
    .limit(1)
    .get();
  if (last) {
    tx.insert(companyVerifications)
      .values({
        companyId: company.id,
        uscc: last.uscc,
        companyName: newName,
        licenceHash: last.licenceHash,
        licenceWidth: last.licenceWidth,
        licenceHeight: last.licenceHeight,
        submittedBy: actorId,
        submittedAt: now,
      })
      .run();
  }
  recordAudit(tx, { actorId, action: 'verification.lapse', targetType: 'company', targetId: company.id, before: { verified: true, name: company.name, verifiedAt: company.verifiedAt }, after: { verified: false, name: newName } }, now);
}

/** Where a request's licence rendition is on disk, for an administrator only. */
export function licenceFile(db: Db, adminId: string, requestId: number, width: ImageWidth, dataDir: string): string {
  assertAdmin(db, adminId);
  const request = db.select({ hash: companyVerifications.licenceHash }).from(companyVerifications).where(eq(companyVerifications.id, requestId)).get();
  if (!request) throw new NotFoundError(`verification ${requestId}`);
  return renditionPath(privateMediaRoot(dataDir), request.hash, width);
}
