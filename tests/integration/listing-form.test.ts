// The posting and company forms as their pages use them: multipart bodies in, results (or field keys) out.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, listings } from '../../db/schema.ts';
import { readPosted } from '../../src/lib/form.ts';
import { getCompanyForm, readCompanyForm, saveCompanyForm } from '../../src/server/companies/form.ts';
import { ForbiddenError, NotFoundError } from '../../src/server/errors.ts';
import { runListingAction } from '../../src/server/listings/actions.ts';
import { getDashboard } from '../../src/server/listings/dashboard.ts';
import { getListingForm, keptImagesField, listingInputFromForm, readListingForm, saveListingForm } from '../../src/server/listings/form.ts';
import { listingImagesOf } from '../../src/server/listings/queries.ts';
import { createListing } from '../../src/server/listings/write.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser, tempDir } from '../helpers/db.ts';
import { solid } from '../helpers/images.ts';

const db = freshDb();
const dataDir = tempDir();
const NOW = Date.UTC(2026, 10, 25, 3, 0);
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id });
const stranger = makeUser(db);
makeCompany(db, { ownerId: stranger.id });

const fields = {
  kind: 'supply',
  category: 'grain-oil',
  region: 'donghu',
  title: '供应东北大米',
  description: '',
  priceType: 'single',
  price: '3.5',
  priceMin: '99',
  priceMax: '',
  priceUnit: '斤',
  quantity: '',
  quantityUnit: '',
  moq: '',
  validityDays: '30',
  'attributes.grade': '一级',
  'attributes.packaging': '',
  'attributes.origin': '',
};

/** The form as the page reads it: encoded by undici, parsed by the site's own streaming reader. */
const posted = (data: FormData, path: string) => readPosted(new Request(`http://localhost${path}`, { method: 'POST', body: data }));

async function body(values: Record<string, string>, files: { name: string; bytes: Buffer }[] = [], extra: [string, string][] = []) {
  const data = new FormData();
  for (const [k, v] of Object.entries(values)) data.append(k, v);
  for (const [k, v] of extra) data.append(k, v);
  for (const f of files) data.append('images', new File([new Uint8Array(f.bytes)], f.name, { type: 'image/png' }));
  if (files.length === 0) data.append('images', new File([], '', { type: 'application/octet-stream' }));
  return readListingForm(await posted(data, '/dashboard/listings/new'));
}

describe('listingInputFromForm', () => {
  it('sends only the price fields of the chosen type and nests attributes', () => {
    expect(listingInputFromForm(fields)).toMatchObject({ price: '3.5', attributes: { grade: '一级', packaging: '', origin: '' } });
    expect(listingInputFromForm(fields)).not.toHaveProperty('priceMin');
    expect(listingInputFromForm({ ...fields, priceType: 'negotiable' })).not.toHaveProperty('price');
  });
});

describe('saveListingForm', () => {
  it('creates a listing with its uploaded images in order', async () => {
    const form = await body(fields, [
      { name: 'a.png', bytes: await solid(40, 30) },
      { name: 'b.png', bytes: await solid(50, 30) },
    ]);
    const result = await saveListingForm(db, owner.id, null, form, dataDir, NOW);
    if (!result.ok) throw new Error(JSON.stringify(result.fields));
    expect(result.listing).toMatchObject({ title: '供应东北大米', priceMin: 350, priceMax: 350 });
    expect(listingImagesOf(db, result.listing.id).map((i) => i.width)).toEqual([40, 50]);
  });

  it('keeps uploaded images through a failed submission, and saves them with the corrected one', async () => {
    const before = db.select().from(listings).all().length;
    const first = await saveListingForm(db, owner.id, null, await body({ ...fields, title: '米' }, [{ name: 'c.png', bytes: await solid(60, 30) }]), dataDir, NOW);
    expect(first.ok).toBe(false);
    if (first.ok) return;
    expect(first.fields).toEqual({ title: 'posting.titleTooShort' });
    expect(first.keptImages.map((i) => i.width)).toEqual([60]);
    expect(db.select().from(listings).all().length).toBe(before);
    const kept = keptImagesField(first.keptImages);
    const second = await saveListingForm(db, owner.id, null, await body({ ...fields, keptImages: kept }, [{ name: 'd.png', bytes: await solid(70, 30) }]), dataDir, NOW);
    if (!second.ok) throw new Error(JSON.stringify(second.fields));
    expect(listingImagesOf(db, second.listing.id).map((i) => i.width)).toEqual([60, 70]);
  });

  it('ignores kept-image values that are not images stored here', async () => {
    const forged = `${'f'.repeat(64)}:10:10,../../etc/passwd:1:1`;
    const result = await saveListingForm(db, owner.id, null, await body({ ...fields, keptImages: forged }), dataDir, NOW);
    if (!result.ok) throw new Error(JSON.stringify(result.fields));
    expect(listingImagesOf(db, result.listing.id)).toEqual([]);
  });

  it("trusts kept images only as this member's own uploads, with the dimensions measured when they were stored", async () => {
    // Another company's published image, and another member's upload from a form that failed.
    const rival = makeUser(db);
    makeCompany(db, { ownerId: rival.id });
    const published = await saveListingForm(db, rival.id, null, await body(fields, [{ name: 'r.png', bytes: await solid(33, 30) }]), dataDir, NOW);
    if (!published.ok) throw new Error('rival listing failed');
    const [theirs] = listingImagesOf(db, published.listing.id);
    const failed = await saveListingForm(db, rival.id, null, await body({ ...fields, title: '米' }, [{ name: 's.png', bytes: await solid(34, 30) }]), dataDir, NOW);
    if (failed.ok) throw new Error('expected a failed submission');
    const theirPending = failed.keptImages[0]!.hash;
    // This member's own failed upload, sent back with made-up dimensions.
    const mine = await saveListingForm(db, owner.id, null, await body({ ...fields, title: '米' }, [{ name: 'm.png', bytes: await solid(35, 30) }]), dataDir, NOW);
    if (mine.ok) throw new Error('expected a failed submission');
    const myPending = mine.keptImages[0]!.hash;

    const forged = [`${theirs!.hash}:1:99999999`, `${theirPending}:1:1`, `${myPending}:1:99999999`].join(',');
    const result = await saveListingForm(db, owner.id, null, await body({ ...fields, keptImages: forged }), dataDir, NOW);
    if (!result.ok) throw new Error(JSON.stringify(result.fields));
    expect(listingImagesOf(db, result.listing.id).map((i) => [i.hash, i.width, i.height])).toEqual([[myPending, 35, 30]]);
    // Used once: the same hash cannot be carried into a second listing as a pending upload.
    const again = await saveListingForm(db, owner.id, null, await body({ ...fields, keptImages: myPending }), dataDir, NOW);
    if (!again.ok) throw new Error(JSON.stringify(again.fields));
    expect(listingImagesOf(db, again.listing.id)).toEqual([]);
  });

  it('refuses a file that is not an image, naming the field, and keeps the listing input errors too', async () => {
    const result = await saveListingForm(db, owner.id, null, await body({ ...fields, price: 'x' }, [{ name: 'notes.png', bytes: Buffer.from('hello') }]), dataDir, NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.fields).toEqual({ price: 'posting.priceInvalid', images: 'media.notImage' });
  });

  it('edits: removes a ticked image, adds one, moves the chosen first; another user gets 403', async () => {
    const created = await saveListingForm(db, owner.id, null, await body(fields, [
      { name: 'e.png', bytes: await solid(80, 30) },
      { name: 'f.png', bytes: await solid(90, 30) },
    ]), dataDir, NOW);
    if (!created.ok) throw new Error('create failed');
    const [e, f] = listingImagesOf(db, created.listing.id);
    const edit = await body({ ...fields, title: '供应东北大米 新货', firstImage: f!.hash }, [{ name: 'g.png', bytes: await solid(100, 30) }], [['removeImages', e!.hash]]);
    await expect(saveListingForm(db, stranger.id, created.listing.id, edit, dataDir, NOW)).rejects.toThrow(ForbiddenError);
    const edited = await saveListingForm(db, owner.id, created.listing.id, edit, dataDir, NOW + 1);
    if (!edited.ok) throw new Error(JSON.stringify(edited.fields));
    expect(edited.listing.title).toBe('供应东北大米 新货');
    expect(listingImagesOf(db, created.listing.id).map((i) => i.width)).toEqual([90, 100]);
  });

  it('an account without a company cannot post', async () => {
    await expect(saveListingForm(db, makeUser(db).id, null, await body(fields), dataDir, NOW)).rejects.toThrow(new ForbiddenError('posting.needCompany'));
  });
});

describe('getListingForm', () => {
  it('starts a new listing at the category step, in the company region', () => {
    const form = getListingForm(db, owner.id, null, null);
    expect(form.category).toBeNull();
    expect(form.values.region).toBe('donghu');
    expect(form.categoryGroups[0]!.subcategories.length).toBeGreaterThan(0);
    expect(form.regionGroups).toHaveLength(11);
  });

  it('shows a stored listing as typed values, and refuses an industry as the category', () => {
    const l = createListing(db, owner.id, { ...listingInputFromForm(fields), priceType: 'range', priceMin: '3', priceMax: '3.25' }, NOW);
    const form = getListingForm(db, owner.id, l.id, null);
    expect(form.values).toMatchObject({ category: 'grain-oil', priceType: 'range', priceMin: '3', priceMax: '3.25', 'attributes.grade': '一级' });
    expect(getListingForm(db, owner.id, l.id, 'agriculture').categoryError).toBe('posting.categoryNotSub');
    expect(() => getListingForm(db, stranger.id, l.id, null)).toThrow(ForbiddenError);
  });
});

describe('dashboard and actions', () => {
  it('sorts the own listings into tabs, past-expiry ones under expired', () => {
    const u = makeUser(db);
    const c = makeCompany(db, { ownerId: u.id });
    makeListing(db, c.id, { expiresAt: NOW + DAY, views: 5 });
    makeListing(db, c.id, { expiresAt: NOW - 1, views: 2 });
    makeListing(db, c.id, { status: 'closed' });
    makeListing(db, c.id, { status: 'removed' });
    makeListing(db, c.id, { status: 'pending', publishedAt: null, expiresAt: null });
    makeListing(db, c.id, { status: 'rejected', publishedAt: null, expiresAt: null, moderationNote: '图片不清楚' });
    const d = getDashboard(db, u.id, 'expired', 1, NOW);
    expect(d.counts).toEqual({ active: 1, review: 2, expired: 1, closed: 1, draft: 0 });
    expect(d.items).toHaveLength(1);
    expect(d.totalViews).toBe(7);
    expect(getDashboard(db, makeUser(db).id, 'active', 1, NOW).company).toBeNull();
  });

  it('runs named actions on own listings only', () => {
    const l = makeListing(db, company.id);
    expect(() => runListingAction(db, stranger.id, l.id, 'close', NOW)).toThrow(ForbiddenError);
    expect(() => runListingAction(db, owner.id, l.id, 'publish', NOW)).toThrow(NotFoundError);
    expect(runListingAction(db, owner.id, l.id, 'close', NOW)).toMatchObject({ done: 'closed', listing: { status: 'closed' } });
  });
});

describe('company form', () => {
  const companyForm = async (values: Record<string, string>, logo?: Buffer) => {
    const data = new FormData();
    for (const [k, v] of Object.entries(values)) data.append(k, v);
    data.append('logo', logo ? new File([new Uint8Array(logo)], 'logo.png') : new File([], ''));
    return readCompanyForm(await posted(data, '/dashboard/company'));
  };

  it('creates with a logo, keeps an uploaded logo through a failed edit, then removes it', async () => {
    const u = makeUser(db);
    const created = await saveCompanyForm(db, u.id, await companyForm({ name: '表单测试公司', region: 'donghu', phone: '13812345678' }, await solid(64, 64)), dataDir, NOW);
    if (!created.ok) throw new Error(JSON.stringify(created.fields));
    expect(created.company.logoHash).toMatch(/^[0-9a-f]{64}$/);
    const failed = await saveCompanyForm(db, u.id, await companyForm({ name: '表', region: 'donghu', phone: '13812345678' }, await solid(32, 32)), dataDir, NOW);
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.fields).toEqual({ name: 'companyForm.nameTooShort' });
    expect(failed.keptLogo).toMatch(/^[0-9a-f]{64}$/);
    expect(failed.keptLogo).not.toBe(created.company.logoHash);
    // Another member cannot take that logo by naming its hash.
    const other = makeUser(db);
    const taken = await saveCompanyForm(db, other.id, await companyForm({ name: '别人的公司', region: 'donghu', phone: '13912345678', keptLogo: failed.keptLogo! }), dataDir, NOW);
    expect(taken.ok && taken.company.logoHash).toBeNull();
    const stored = () => db.select().from(companies).where(eq(companies.id, created.company.id)).get()!;
    expect(stored().name).toBe('表单测试公司');
    const fixed = await saveCompanyForm(db, u.id, await companyForm({ name: '表单测试公司二', region: 'donghu', phone: '13812345678', keptLogo: failed.keptLogo! }), dataDir, NOW);
    expect(fixed.ok && fixed.company.logoHash).toBe(failed.keptLogo);
    await saveCompanyForm(db, u.id, await companyForm({ name: '表单测试公司二', region: 'donghu', phone: '13812345678', removeLogo: '1' }), dataDir, NOW);
    expect(stored().logoHash).toBeNull();
    expect(getCompanyForm(db, u.id).values).toMatchObject({ name: '表单测试公司二', region: 'donghu', phone: '13812345678' });
  });
});
