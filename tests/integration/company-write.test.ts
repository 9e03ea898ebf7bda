import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { companies, searchOutbox } from '../../db/schema.ts';
import { createCompany, saveCompany, setCompanyVerified, updateCompany } from '../../src/server/companies/write.ts';
import { ConflictError, ForbiddenError } from '../../src/server/errors.ts';
import { liveCounts } from '../../src/server/listings/counts.ts';
import { freshDb, makeCompany, makeListing, makeUser, regionBySlug } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
const NOW = Date.UTC(2026, 10, 25, 3, 0);

const form = (over: Record<string, unknown> = {}) => ({
  name: '  南昌赣江粮油有限公司 ',
  region: 'nanchang-xian',
  address: '南昌县莲塘镇粮库路 8 号',
  contactName: '王经理',
  phone: '0791-85123456',
  website: 'www.ganjiang-oil.example.cn',
  description: '专业经营大米、菜籽油。\r\n欢迎合作。',
  mainProducts: '大米, 菜籽油',
  ...over,
});

describe('createCompany', () => {
  it('creates the company of an account with a pinyin slug, unverified', () => {
    const u = makeUser(db);
    const c = createCompany(db, u.id, { ...form(), verified: true, verifiedAt: NOW }, NOW);
    expect(c).toMatchObject({
      ownerId: u.id,
      name: '南昌赣江粮油有限公司',
      slug: 'nan-chang-gan-jiang-liang-you-you-xian-gong-si',
      regionId: regionBySlug(db, 'nanchang-xian').id,
      website: 'http://www.ganjiang-oil.example.cn',
      description: '专业经营大米、菜籽油。\n欢迎合作。',
      verified: false,
      verifiedAt: null,
      createdAt: NOW,
    });
  });

  it('gives a second company of the same name its own slug', () => {
    const c = createCompany(db, makeUser(db).id, form(), NOW);
    expect(c.slug).toBe('nan-chang-gan-jiang-liang-you-you-xian-gong-si-2');
  });

  it('allows one company per account', () => {
    const u = makeUser(db);
    createCompany(db, u.id, form({ name: '第一家公司' }), NOW);
    expect(() => createCompany(db, u.id, form({ name: '第二家公司' }), NOW)).toThrow(new ConflictError('companyForm.alreadyHave'));
    expect(db.select({ n: count() }).from(companies).where(eq(companies.ownerId, u.id)).get()!.n).toBe(1);
  });

  it('counts the new company at once', () => {
    const before = liveCounts(db, NOW).companies;
    createCompany(db, makeUser(db).id, form(), NOW);
    expect(liveCounts(db, NOW).companies).toBe(before + 1);
  });

  it('needs a name and a region of the province', () => {
    const u = makeUser(db);
    expect(invalidFields(() => createCompany(db, u.id, { phone: 'abc' }, NOW))).toEqual({
      name: 'companyForm.nameRequired',
      region: 'companyForm.regionRequired',
      phone: 'companyForm.phoneInvalid',
    });
  });

  it.each([
    [{ name: '甲' }, 'name', 'companyForm.nameTooShort'],
    [{ name: '企'.repeat(51) }, 'name', 'companyForm.nameTooLong'],
    [{ region: 'jiangxi' }, 'region', 'companyForm.regionUnknown'],
    [{ region: 'nowhere' }, 'region', 'companyForm.regionUnknown'],
    [{ address: '路'.repeat(101) }, 'address', 'companyForm.addressTooLong'],
    [{ contactName: '王'.repeat(21) }, 'contactName', 'companyForm.contactTooLong'],
    [{ phone: '电话号码' }, 'phone', 'companyForm.phoneInvalid'],
    [{ website: 'javascript:alert(1)' }, 'website', 'companyForm.websiteInvalid'],
    [{ website: 'ftp://files.example.com' }, 'website', 'companyForm.websiteInvalid'],
    [{ website: 'not a website' }, 'website', 'companyForm.websiteInvalid'],
    [{ description: '介'.repeat(2001) }, 'description', 'companyForm.descriptionTooLong'],
    [{ mainProducts: '品'.repeat(201) }, 'mainProducts', 'companyForm.mainProductsTooLong'],
  ])('refuses %j: %s %s', (over, field, key) => {
    expect(invalidFields(() => createCompany(db, makeUser(db).id, form(over), NOW))).toEqual({ [field]: key });
  });

  it('takes the phone numbers people write, and stores each in the one form it is shown in', () => {
    const written: [string, string][] = [
      ['13812345678', '13812345678'],
      ['+86 138 1234 5678', '13812345678'],
      ['0086-199-0000-1234', '19900001234'],
      ['(0791) 8512-3456', '0791-85123456'],
      ['0791-85123456 转 801', '0791-85123456转801'],
      ['010 6512 3456', '010-65123456'],
      ['020-8765432', '020-8765432'],
    ];
    for (const [phone, stored] of written) expect(createCompany(db, makeUser(db).id, form({ phone }), NOW).phone, phone).toBe(stored);
  });

  it('refuses numbers nobody can call: too short, a 12 prefix, a landline without area code', () => {
    for (const phone of ['12345', '12812345678', '1381234567', '86123456', '0791-0123456', '138123456789']) {
      expect(invalidFields(() => createCompany(db, makeUser(db).id, form({ phone }), NOW)), phone).toEqual({ phone: 'companyForm.phoneInvalid' });
    }
  });

  it('needs a phone or an email, on create and on every edit, and reports it with the other problems at once', () => {
    expect(invalidFields(() => createCompany(db, makeUser(db).id, form({ phone: '' }), NOW))).toEqual({ phone: 'companyForm.contactRequired' });
    expect(invalidFields(() => createCompany(db, makeUser(db).id, form({ phone: '', name: '', website: 'not a site' }), NOW))).toEqual({
      name: 'companyForm.nameRequired',
      website: 'companyForm.websiteInvalid',
      phone: 'companyForm.contactRequired',
    });
    const u = makeUser(db);
    const c = createCompany(db, u.id, form({ phone: '', email: ' Sales@Example.COM ' }), NOW);
    expect(c.email).toBe('sales@example.com');
    expect(invalidFields(() => createCompany(db, makeUser(db).id, form({ email: 'nope' }), NOW))).toEqual({ email: 'companyForm.emailInvalid' });
    expect(invalidFields(() => updateCompany(db, u.id, { email: '' }, NOW))).toEqual({ phone: 'companyForm.contactRequired' });
    expect(updateCompany(db, u.id, { email: '', phone: '13912345678' }, NOW).phone).toBe('13912345678');
    expect(updateCompany(db, u.id, { name: '新名字有限公司' }, NOW).phone).toBe('13912345678');
  });
});

describe('updateCompany', () => {
  it('patches what is given, clears what a form empties, keeps the slug, and never sets verified', () => {
    const u = makeUser(db);
    const c = createCompany(db, u.id, form(), NOW);
    const e = updateCompany(db, u.id, { name: '赣江粮油集团', website: '', verified: true }, NOW + 1, { logoHash: 'a'.repeat(64) });
    expect(e).toMatchObject({ name: '赣江粮油集团', slug: c.slug, website: '', phone: c.phone, verified: false, logoHash: 'a'.repeat(64), updatedAt: NOW + 1 });
    expect(updateCompany(db, u.id, {}, NOW + 2, { logoHash: null }).logoHash).toBeNull();
  });

  it('refuses a name or region sent emptied', () => {
    const u = makeUser(db);
    createCompany(db, u.id, form(), NOW);
    expect(invalidFields(() => updateCompany(db, u.id, { name: ' ', region: '' }, NOW))).toEqual({
      name: 'companyForm.nameRequired',
      region: 'companyForm.regionRequired',
    });
  });

  it('re-queues every listing of a renamed company for search, and only on a rename', () => {
    const u = makeUser(db);
    const c = createCompany(db, u.id, form(), NOW);
    const ids = [makeListing(db, c.id).id, makeListing(db, c.id, { status: 'expired' }).id];
    const queued = () => db.select({ id: searchOutbox.listingId }).from(searchOutbox).all().map((r) => r.id).filter((id) => ids.includes(id));
    updateCompany(db, u.id, { phone: '13912345678' }, NOW);
    expect(queued()).toEqual([]);
    updateCompany(db, u.id, { name: '新名字粮油公司' }, NOW);
    expect(queued().sort()).toEqual(ids.sort());
  });

  it('is only for the owner: an account without a company has nothing to edit', () => {
    const u = makeUser(db);
    expect(() => updateCompany(db, u.id, { name: '别人的公司' }, NOW)).toThrow(new ForbiddenError('posting.needCompany'));
  });

  it('saveCompany creates first, then edits the same company', () => {
    const u = makeUser(db);
    const a = saveCompany(db, u.id, form({ name: '保存测试公司' }), NOW);
    const b = saveCompany(db, u.id, form({ name: '保存测试公司二' }), NOW + 1);
    expect(b.id).toBe(a.id);
    expect(b.name).toBe('保存测试公司二');
  });
});

describe('setCompanyVerified', () => {
  it('marks and unmarks by slug; an unknown slug changes nothing', () => {
    const c = makeCompany(db);
    expect(setCompanyVerified(db, c.slug, true, NOW)).toMatchObject({ verified: true, verifiedAt: NOW });
    expect(setCompanyVerified(db, c.slug, false, NOW)).toMatchObject({ verified: false, verifiedAt: null });
    expect(setCompanyVerified(db, 'no-such-company', true, NOW)).toBeUndefined();
  });
});
