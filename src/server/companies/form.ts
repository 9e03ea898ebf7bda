// The company profile form: what it shows and what a submission does (create the account's company, or edit it).
// A logo uploaded with a submission that fails comes back in a hidden field, so nobody uploads it twice.
import { existsSync } from 'node:fs';
import type { Db } from '../db.ts';
import { ConflictError, InvalidError } from '../errors.ts';
import { imageFolder, isImageHash, type StoredImage } from '../media/index.ts';
import { forgetPendingUploads, pendingUploadsOf, recordPendingUploads } from '../media/pending.ts';
import { ImageUploadError, storeImages, type PostedForm, type UploadedFile } from '../media/upload.ts';
import { regionGroups } from '../listings/form.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { findCompanyByOwner } from './queries.ts';
import { saveCompany, type CompanyRow } from './write.ts';

const FIELDS = ['name', 'region', 'address', 'contactName', 'phone', 'email', 'website', 'description', 'mainProducts'] as const;

export interface CompanyFormData {
  values: Record<string, string>;
  logo: UploadedFile | null;
}

export function readCompanyForm(form: PostedForm): CompanyFormData {
  const logo = form.files.findLast((f) => f.field === 'logo' && f.bytes.length > 0);
  return { values: Object.fromEntries(form.fields), logo: logo ? { name: logo.name, bytes: logo.bytes } : null };
}

export function getCompanyForm(db: Db, userId: string) {
  const taxonomy = getTaxonomy(db);
  const company = findCompanyByOwner(db, userId) ?? null;
  const values: Record<string, string> = {};
  if (company) {
    for (const f of FIELDS) values[f] = f === 'region' ? (taxonomy.regions.byId.get(company.regionId)?.slug ?? '') : String(company[f] ?? '');
  }
  return { company, values, regionGroups: regionGroups(taxonomy) };
}

export type CompanyFormResult =
  | { ok: true; company: CompanyRow }
  | { ok: false; fields: Record<string, string>; uploadError: ImageUploadError | null; keptLogo: string | null };

export async function saveCompanyForm(db: Db, userId: string, form: CompanyFormData, dataDir: string, now: number): Promise<CompanyFormResult> {
  const input = Object.fromEntries(FIELDS.filter((f) => f in form.values).map((f) => [f, form.values[f]]));
  // A logo carried back by a failed submission: this member's own upload (or the company's current logo), still on disk.
  const kept = form.values.keptLogo;
  const ownLogo = (hash: string) => hash === findCompanyByOwner(db, userId)?.logoHash || pendingUploadsOf(db, userId, [hash]).length > 0;
  let logoHash: string | null | undefined =
    isImageHash(kept) && ownLogo(kept) && existsSync(imageFolder(dataDir, kept)) ? kept : undefined;
  let uploaded: StoredImage | undefined;
  let uploadError: ImageUploadError | null = null;
  const fields: Record<string, string> = {};
  if (form.logo) {
    try {
      [uploaded] = await storeImages([form.logo], dataDir, 1);
      if (uploaded) logoHash = uploaded.hash;
    } catch (e) {
      if (!(e instanceof ImageUploadError)) throw e;
      uploadError = e;
      fields.logo = e.problem;
    }
  }
  if (logoHash === undefined && form.values.removeLogo === '1') logoHash = null;
  try {
    if (Object.keys(fields).length > 0) throw new InvalidError('invalid company', {});
    const company = saveCompany(db, userId, input, now, { logoHash });
    if (logoHash) forgetPendingUploads(db, userId, [logoHash]);
    return { ok: true, company };
  } catch (e) {
    if (uploaded) recordPendingUploads(db, userId, [uploaded], now);
    // Two tabs creating the account's company at once: the second is told, not shown an error page.
    if (e instanceof ConflictError) return { ok: false, fields: { _: e.message }, uploadError, keptLogo: logoHash ?? null };
    if (!(e instanceof InvalidError)) throw e;
    return { ok: false, fields: { ...e.fields, ...fields }, uploadError, keptLogo: logoHash ?? null };
  }
}
