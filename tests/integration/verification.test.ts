// Company verification: a company submits its unified social credit code and a licence photo (stored where no public
// route serves it); an administrator approves or rejects with a reason; the mark, its date and the tax id follow;
// a rename takes the mark away and sends the request back to review. Each step is audited and decisions are mailed.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, companyVerifications, searchOutbox } from '../../db/schema.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { updateCompany } from '../../src/server/companies/write.ts';
import { NotFoundError } from '../../src/server/errors.ts';
import { unsentMailTo } from '../../src/server/mail/index.ts';
import { readRendition } from '../../src/server/media/serve.ts';
import {
  decideVerification,
  licenceFile,
  privateMediaRoot,
  submitVerificationForm,
  verificationRequests,
  verificationState,
} from '../../src/server/verification/index.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser, tempDir } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';
import { photoJpeg } from '../helpers/images.ts';

const db = freshDb();
const dataDir = tempDir();
const NOW = Date.UTC(2026, 10, 30, 3);
const admin = makeUser(db, { isAdmin: true });
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id, name: '江西赣江钢管有限公司', phone: '0791-86123456' });
makeListing(db, company.id);
const GOOD = '91350100M000100Y43';
const licence = async () => ({ name: '执照.jpg', bytes: await photoJpeg(1200, 900) });
const stored = () => db.select().from(companies).where(eq(companies.id, company.id)).get()!;

describe('company verification', () => {
  it('refuses a wrong check character and a missing licence, by field, and stores nothing', async () => {
    const result = await submitVerificationForm(db, owner.id, { values: { uscc: '91350100M000100Y44' }, files: {} }, dataDir, NOW);
    expect(result).toMatchObject({ ok: false, fields: { uscc: 'verification.uscc.checkCharacter', licence: 'verification.licenceRequired' } });
    const short = await submitVerificationForm(db, owner.id, { values: { uscc: '9135' }, files: { licence: [await licence()] } }, dataDir, NOW);
    expect(short).toMatchObject({ ok: false, fields: { uscc: 'verification.uscc.length' } });
    expect(db.select().from(companyVerifications).all()).toEqual([]);
  });

  it('stores the licence privately: re-encoded, never under the public media folder', async () => {
    const result = await submitVerificationForm(db, owner.id, { values: { uscc: ' 9135 0100 m000 100y 43 ' }, files: { licence: [await licence()] } }, dataDir, NOW, '10.0.0.5');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request).toMatchObject({ uscc: GOOD, companyName: '江西赣江钢管有限公司', status: 'pending', licenceWidth: 1200, licenceHeight: 900 });
    const hash = result.request.licenceHash;
    expect(fs.existsSync(licenceFile(db, admin.id, result.request.id, 800, dataDir))).toBe(true);
    expect(licenceFile(db, admin.id, result.request.id, 800, dataDir).startsWith(path.join(privateMediaRoot(dataDir), 'media'))).toBe(true);
    // The public /media route reads <dataDir>/media only.
    expect(await readRendition(dataDir, `${hash}-800.webp`)).toBeNull();
    expect(() => licenceFile(db, owner.id, result.request.id, 800, dataDir)).toThrow(NotFoundError);
    expect(verificationState(db, company.id)).toMatchObject({ verified: false, latest: { status: 'pending' } });
    expect(listAudit(db, { action: 'verification.submit' })).toMatchObject([{ actorId: owner.id, targetId: String(company.id), ip: '10.0.0.5' }]);
  });

  it('a second request while one waits replaces it', async () => {
    const again = await submitVerificationForm(db, owner.id, { values: { uscc: GOOD }, files: { licence: [await licence()] } }, dataDir, NOW + 1);
    expect(again.ok).toBe(true);
    expect(db.select().from(companyVerifications).all()).toHaveLength(1);
  });

  it('shows the requests to administrators only; a rejection needs a reason and is mailed', () => {
    expect(() => verificationRequests(db, owner.id)).toThrow(NotFoundError);
    const [request] = verificationRequests(db, admin.id);
    expect(request).toMatchObject({ uscc: GOOD, currentName: '江西赣江钢管有限公司', codeUsedBy: null });
    expect(invalidFields(() => decideVerification(db, admin.id, request!.id, 'reject', { confirm: 'on' }, NOW))).toEqual({ reason: 'moderation.reasonRequired' });
    expect(decideVerification(db, admin.id, request!.id, 'reject', { confirm: 'on', reason: '照片模糊，请重新拍摄' }, NOW + DAY)).toMatchObject({ changed: true });
    expect(verificationState(db, company.id)).toMatchObject({ verified: false, latest: { status: 'rejected', reason: '照片模糊，请重新拍摄' } });
    expect(unsentMailTo(db, owner.email).map((m) => m.template)).toEqual(['verification-rejected']);
    expect(listAudit(db, { action: 'verification.reject' })).toMatchObject([{ actorId: admin.id, after: { reason: '照片模糊，请重新拍摄' } }]);
  });

  it('approves: the mark with its date and the tax id, search re-queued, mailed, audited; a second click does nothing', async () => {
    await submitVerificationForm(db, owner.id, { values: { uscc: GOOD }, files: { licence: [await licence()] } }, dataDir, NOW + 2 * DAY);
    const [request] = verificationRequests(db, admin.id);
    const outboxBefore = db.select().from(searchOutbox).all().length;
    expect(decideVerification(db, admin.id, request!.id, 'approve', { confirm: 'on' }, NOW + 3 * DAY, '10.0.0.9')).toMatchObject({ changed: true });
    expect(stored()).toMatchObject({ verified: true, verifiedAt: NOW + 3 * DAY, taxId: GOOD });
    expect(db.select().from(searchOutbox).all().length).toBeGreaterThan(outboxBefore);
    expect(unsentMailTo(db, owner.email).map((m) => m.template)).toContain('verification-approved');
    expect(listAudit(db, { action: 'verification.approve' })).toMatchObject([{ actorId: admin.id, ip: '10.0.0.9', after: { uscc: GOOD, verified: true } }]);
    expect(decideVerification(db, admin.id, request!.id, 'approve', { confirm: 'on' }, NOW + 3 * DAY)).toMatchObject({ changed: false });
    // Nothing more to ask while verified.
    const more = await submitVerificationForm(db, owner.id, { values: { uscc: GOOD }, files: { licence: [await licence()] } }, dataDir, NOW + 3 * DAY);
    expect(more).toMatchObject({ ok: false, fields: { _: 'verification.alreadyVerified' } });
  });

  it('warns when the same code asks for another company', async () => {
    const other = makeUser(db);
    makeCompany(db, { ownerId: other.id, name: '另一家公司', phone: '0791-86000001' });
    await submitVerificationForm(db, other.id, { values: { uscc: GOOD }, files: { licence: [await licence()] } }, dataDir, NOW);
    expect(verificationRequests(db, admin.id)).toMatchObject([{ companyName: '另一家公司', codeUsedBy: { id: company.id } }]);
  });

  it('a rename drops the mark and the tax id and sends the same code and licence back to review', () => {
    updateCompany(db, owner.id, { phone: '0791-86123457' }, NOW + 4 * DAY);
    expect(stored().verified).toBe(true);
    updateCompany(db, owner.id, { name: '江西赣江钢管集团有限公司' }, NOW + 5 * DAY);
    expect(stored()).toMatchObject({ verified: false, verifiedAt: null, taxId: null });
    const waiting = verificationRequests(db, admin.id).find((r) => r.companyId === company.id);
    expect(waiting).toMatchObject({ uscc: GOOD, companyName: '江西赣江钢管集团有限公司', status: 'pending' });
    expect(listAudit(db, { action: 'verification.lapse' })).toMatchObject([{ actorId: owner.id, before: { name: '江西赣江钢管有限公司' }, after: { verified: false } }]);
    decideVerification(db, admin.id, waiting!.id, 'approve', { confirm: 'on' }, NOW + 6 * DAY);
    expect(stored()).toMatchObject({ verified: true, verifiedAt: NOW + 6 * DAY, taxId: GOOD });
  });

  it('the decision of an unknown request is NotFound', () => {
    expect(() => decideVerification(db, admin.id, 9999, 'approve', { confirm: 'on' }, NOW)).toThrow(NotFoundError);
  });
});
