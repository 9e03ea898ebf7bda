// Content rules on the one write path every channel shares (listings/write.ts: form, API, CSV import, bulk):
// prohibited words and categories an administrator edits, contact details in titles, near-duplicates, daily limit.
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { listingDupBands, listings, prohibitedTerms } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { setDuplicateCheck, setPostingLimit } from '../../src/server/content-rules/index.ts';
import { createListing, updateListing } from '../../src/server/listings/write.ts';
import { upsertListings } from '../../src/server/listings/upsert.ts';
import { addProhibitedTerm, removeProhibitedTerm } from '../../src/server/moderation/terms.ts';
import { freshDb, makeCompany, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
setDuplicateCheck(db, true);
const NOW = Date.UTC(2026, 10, 30, 3);
const admin = makeUser(db, { isAdmin: true });
const member = makeUser(db);
const rival = makeUser(db);
const form = (title: string, description = '', over: Record<string, unknown> = {}) => ({ kind: 'supply', category: 'grain-oil', region: 'nanchang-xian', title, description, priceType: 'negotiable', validityDays: '30', ...over });
const stored = (id: number) => db.select().from(listings).where(eq(listings.id, id)).get()!;

beforeAll(() => {
  makeCompany(db, { ownerId: member.id });
  makeCompany(db, { ownerId: rival.id });
});

describe('prohibited words and categories', () => {
  it('refuses a prohibited word however it is spelled, by field, on every channel; removing it lets it pass', () => {
    const word = addProhibitedTerm(db, admin.id, { kind: 'word', value: '仿真枪', confirm: 'on' }, NOW, '10.1.1.1');
    expect(word.value).toBe('仿真枪');
    for (const title of ['出售仿真枪配件', '出售 仿 真 枪 配件', '出售仿真槍配件', '出售仿-真-枪配件']) {
      expect(invalidFields(() => createListing(db, member.id, form(title), NOW)), title).toEqual({ title: 'rules.prohibitedWord' });
    }
    expect(invalidFields(() => createListing(db, member.id, form('供应玩具', '另有仿真枪出售'), NOW))).toEqual({ description: 'rules.prohibitedWord' });
    const [bulk] = upsertListings(db, member.id, [{ key: 'SKU-9', input: form('出售仿 真枪') }], NOW);
    expect(bulk).toMatchObject({ status: 'error', fields: { title: 'rules.prohibitedWord' }, params: { title: { word: '仿真枪' } } });
    removeProhibitedTerm(db, admin.id, word.id, { confirm: 'on' }, NOW);
    expect(createListing(db, member.id, form('出售仿真枪配件图纸'), NOW).status).toBe('active');
    expect(listAudit(db, { targetType: 'prohibitedTerm', targetId: String(word.id) }).map((e) => e.action)).toEqual(['prohibitedTerm.remove', 'prohibitedTerm.add']);
  });

  it('applies an edit made by another process (a second node, the import command) to the next write', () => {
    expect(createListing(db, member.id, form('供应电子烟雾化器'), NOW).id).toBeGreaterThan(0);
    const other = openDatabase(db.$client.name);
    try {
      addProhibitedTerm(other, admin.id, { kind: 'word', value: '电子烟', confirm: 'on' }, NOW);
      expect(invalidFields(() => createListing(db, member.id, form('供应电子烟 烟弹'), NOW))).toEqual({ title: 'rules.prohibitedWord' });
      const id = other.select().from(prohibitedTerms).all().find((term) => term.value === '电子烟')!.id;
      removeProhibitedTerm(other, admin.id, id, { confirm: 'on' }, NOW);
      expect(createListing(db, member.id, form('供应电子烟 烟弹'), NOW).id).toBeGreaterThan(0);
    } finally {
      other.$client.close();
    }
  });

  it('refuses a prohibited category (a parent covers its subcategories) and unknown slugs', () => {
    expect(invalidFields(() => addProhibitedTerm(db, admin.id, { kind: 'category', value: 'no-such', confirm: 'on' }, NOW))).toEqual({ value: 'admin.terms.unknownCategory' });
    expect(invalidFields(() => addProhibitedTerm(db, admin.id, { kind: 'word', value: '枪' }, NOW))).toEqual({ confirm: 'moderation.confirmRequired' });
    const term = addProhibitedTerm(db, admin.id, { kind: 'category', value: 'grain-oil', confirm: 'on' }, NOW);
    expect(invalidFields(() => createListing(db, member.id, form('供应晚籼稻谷'), NOW))).toEqual({ category: 'rules.prohibitedCategory' });
    removeProhibitedTerm(db, admin.id, term.id, { confirm: 'on' }, NOW);
  });
});

describe('contact details in titles', () => {
  it('refuses phone numbers, IM ids and URLs in the title only', () => {
    expect(invalidFields(() => createListing(db, member.id, form('供应大米 138 1234 5678'), NOW))).toEqual({ title: 'rules.contactInTitle.phone' });
    expect(invalidFields(() => createListing(db, member.id, form('供应大米 微信 rice2026'), NOW))).toEqual({ title: 'rules.contactInTitle.im' });
    expect(invalidFields(() => createListing(db, member.id, form('供应大米 www.rice.cn'), NOW))).toEqual({ title: 'rules.contactInTitle.url' });
  });
});

describe('near-duplicates', () => {
  const text = '20#无缝钢管，现货库存充足，可切割零售，质保书齐全，支持第三方检测。';

  it("refuses the company's own re-post with a link to the listing, and accepts catalogue variants", () => {
    const first = createListing(db, member.id, form('大量供应无缝钢管 Φ89×4', text), NOW);
    expect(db.select().from(listingDupBands).where(eq(listingDupBands.listingId, first.id)).all()).toHaveLength(6);
    let error: unknown;
    try {
      createListing(db, member.id, form('大量供应 无缝钢管Φ89×4！', text), NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ fields: { title: 'rules.duplicateOwn' }, fieldParams: { title: { id: first.id, link: `/listing/${first.id}-${first.slug}` } } });
    expect(createListing(db, member.id, form('大量供应无缝钢管 Φ108×5', text), NOW).status).toBe('active');
    // Editing a listing is not a duplicate of itself.
    expect(updateListing(db, member.id, first.id, { description: text + ' ' }, NOW).status).toBe('active');
  });

  it("sends another company's near-copy to review, and a pending listing counts as existing", () => {
    const copy = createListing(db, rival.id, form('大量供应无缝钢管Φ89×4', text), NOW);
    expect(copy).toMatchObject({ status: 'pending', moderationNote: 'moderation.note.possibleDuplicate' });
    expect(invalidFields(() => createListing(db, rival.id, form('大量供应无缝钢管 Φ89×4 ', text), NOW))).toEqual({ title: 'rules.duplicateOwn' });
    expect(stored(copy.id).status).toBe('pending');
  });

  it('reads candidates by the primary key of the bands', () => {
    const plan = (db.$client.prepare("EXPLAIN QUERY PLAN SELECT DISTINCT b.listing_id FROM listing_dup_bands b JOIN listings l ON l.id = b.listing_id WHERE ((b.band = 0 AND b.value = 1) OR (b.band = 1 AND b.value = 2)) AND +l.status IN ('active', 'pending') LIMIT 32").all() as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');
    expect(plan).toMatch(/MULTI-INDEX OR/);
    expect(plan).toMatch(/SEARCH b USING (COVERING )?INDEX sqlite_autoindex_listing_dup_bands_1 \(band=\? AND value=\?\)/);
    expect(plan).toMatch(/SEARCH l USING INTEGER PRIMARY KEY/);
    expect(plan).not.toMatch(/SCAN/);
  });
});

describe('daily limit', () => {
  it('stops an unverified company after its daily number of new listings; verified companies have none', () => {
    setPostingLimit(db, 2);
    const owner = makeUser(db);
    makeCompany(db, { ownerId: owner.id });
    createListing(db, owner.id, form('供应早稻 一号'), NOW);
    createListing(db, owner.id, form('供应晚稻 二号'), NOW);
    expect(invalidFields(() => createListing(db, owner.id, form('供应糯稻 三号'), NOW))).toEqual({ _: 'rules.dailyLimit' });
    expect(createListing(db, owner.id, form('供应糯稻 三号'), NOW + 86_400_000).status).toBe('active');
    const verified = makeUser(db);
    makeCompany(db, { ownerId: verified.id, verified: true, verifiedAt: NOW });
    for (const n of ['一', '二', '三']) createListing(db, verified.id, form(`供应菜籽油 ${n}号桶`), NOW);
    setPostingLimit(db, 0);
  });
});
