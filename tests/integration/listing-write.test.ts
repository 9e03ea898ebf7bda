import { count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { listingImages, listings, searchOutbox } from '../../db/schema.ts';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '../../src/server/errors.ts';
import { liveCounts } from '../../src/server/listings/counts.ts';
import { getListingPage } from '../../src/server/listings/page.ts';
import {
  closeListing,
  createListing,
  deleteListing,
  renewListing,
  setListingImages,
  updateListing,
} from '../../src/server/listings/write.ts';
import { categoryBySlug, DAY, freshDb, makeCompany, makeListing, makeUser, regionBySlug } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
const NOW = Date.UTC(2026, 10, 25, 3, 0);
let owner: ReturnType<typeof makeUser>;
let other: ReturnType<typeof makeUser>;
let company: ReturnType<typeof makeCompany>;

beforeAll(() => {
  owner = makeUser(db);
  other = makeUser(db);
  company = makeCompany(db, { ownerId: owner.id });
  makeCompany(db, { ownerId: other.id });
});

/** What a filled-in posting form sends: every value a string. */
const form = (over: Record<string, unknown> = {}) => ({
  kind: 'supply',
  category: 'grain-oil',
  region: 'nanchang-xian',
  title: '  供应优质\n东北大米  ',
  description: '产地直供，量大从优。\r\n欢迎来电。',
  priceType: 'single',
  price: '3.85',
  priceMin: '',
  priceMax: '',
  priceUnit: '元/斤',
  quantity: '500',
  quantityUnit: '吨',
  moq: '',
  validityDays: '30',
  attributes: { grade: '一级', packaging: '', origin: '黑龙江五常' },
  ...over,
});

const outboxFor = (id: number) =>
  db.select({ n: count() }).from(searchOutbox).where(eq(searchOutbox.listingId, id)).get()!.n;
const stored = (id: number) => db.select().from(listings).where(eq(listings.id, id)).get()!;

describe('createListing', () => {
  it('publishes a form submission: coerced, priced in fen, placed, active for its validity, queued for search', () => {
    const l = createListing(db, owner.id, form(), NOW);
    const grainOil = categoryBySlug(db, 'grain-oil');
    const county = regionBySlug(db, 'nanchang-xian');
    expect(l).toMatchObject({
      companyId: company.id,
      kind: 'supply',
      title: '供应优质 东北大米',
      slug: 'gong-ying-you-zhi-dong-bei-da-mi',
      description: '产地直供，量大从优。\n欢迎来电。',
      categoryId: grainOil.id,
      topCategoryId: grainOil.parentId,
      regionId: county.id,
      cityId: county.parentId,
      priceMin: 385,
      priceMax: 385,
      negotiable: false,
      priceUnit: '斤',
      quantity: 500,
      quantityUnit: '吨',
      moq: null,
      validityDays: 30,
      status: 'active',
      publishedAt: NOW,
      expiresAt: NOW + 30 * DAY,
      attributes: { grade: '一级', origin: '黑龙江五常' },
    });
    expect(outboxFor(l.id)).toBe(1);
  });

  it('takes numeric ids, JSON numbers, a range and a short validity', () => {
    const cat = categoryBySlug(db, 'grain-oil');
    const region = regionBySlug(db, 'donghu');
    const l = createListing(
      db,
      owner.id,
      { kind: 'demand', category: cat.id, region: String(region.id), title: '求购菜籽油', priceType: 'range', priceMin: 9, priceMax: '12.5', validityDays: 7 },
      NOW,
    );
    expect(l).toMatchObject({ kind: 'demand', categoryId: cat.id, regionId: region.id, priceMin: 900, priceMax: 1250, expiresAt: NOW + 7 * DAY, validityDays: 7 });
  });

  it('defaults to negotiable and 30 days, and a city is a valid region', () => {
    const l = createListing(db, owner.id, { kind: 'supply', category: 'grain-oil', region: 'nanchang', title: '大量供应稻谷' }, NOW);
    expect(l).toMatchObject({ negotiable: true, priceMin: null, priceMax: null, validityDays: 30, regionId: regionBySlug(db, 'nanchang').id });
  });

  it('reports every missing required field at once', () => {
    expect(invalidFields(() => createListing(db, owner.id, {}, NOW))).toEqual({
      kind: 'posting.kindRequired',
      category: 'posting.categoryRequired',
      region: 'posting.regionRequired',
      title: 'posting.titleRequired',
    });
    // Blank form fields are "not given", and a bad field elsewhere does not hide the missing ones.
    expect(invalidFields(() => createListing(db, owner.id, form({ kind: '', title: ' ', price: 'abc' }), NOW))).toEqual({
      kind: 'posting.kindRequired',
      title: 'posting.titleRequired',
      price: 'posting.priceInvalid',
    });
  });

  it.each([
    [{ kind: 'offer' }, 'kind', 'posting.kindInvalid'],
    [{ category: 'no-such-thing' }, 'category', 'posting.categoryUnknown'],
    [{ category: '99999' }, 'category', 'posting.categoryUnknown'],
    [{ category: 'agriculture' }, 'category', 'posting.categoryIsIndustry'],
    [{ region: 'atlantis' }, 'region', 'posting.regionUnknown'],
    [{ region: 'jiangxi' }, 'region', 'posting.regionTooWide'],
    [{ title: '大米' }, 'title', 'posting.titleTooShort'],
    [{ title: '米'.repeat(61) }, 'title', 'posting.titleTooLong'],
    [{ description: '字'.repeat(5001) }, 'description', 'posting.descriptionTooLong'],
    [{ priceType: 'free' }, 'priceType', 'posting.priceTypeInvalid'],
    [{ price: '3.855' }, 'price', 'posting.priceInvalid'],
    [{ price: '-1' }, 'price', 'posting.priceInvalid'],
    [{ price: '0' }, 'price', 'posting.priceInvalid'],
    [{ price: '1e3' }, 'price', 'posting.priceInvalid'],
    [{ price: '' }, 'price', 'posting.priceRequired'],
    [{ priceType: 'range', price: '', priceMin: '5' }, 'priceMax', 'posting.priceMaxRequired'],
    [{ priceType: 'range', price: '', priceMax: '5' }, 'priceMin', 'posting.priceMinRequired'],
    [{ priceType: 'range', price: '', priceMin: '8', priceMax: '5' }, 'priceMax', 'posting.priceRangeOrder'],
    [{ priceType: 'negotiable' }, 'price', 'posting.priceWithNegotiable'],
    [{ priceUnit: '元/' + '吨'.repeat(11) }, 'priceUnit', 'posting.unitTooLong'],
    [{ quantityUnit: '件'.repeat(11) }, 'quantityUnit', 'posting.unitTooLong'],
    [{ quantity: '1.5' }, 'quantity', 'posting.quantityInvalid'],
    [{ moq: '-3' }, 'moq', 'posting.moqInvalid'],
    [{ validityDays: '14' }, 'validityDays', 'posting.validityInvalid'],
    [{ attributes: 'grade=一级' }, 'attributes', 'posting.attributesInvalid'],
    [{ attributes: { colour: '红' } }, 'attributes.colour', 'posting.attributeUnknown'],
    [{ attributes: { grade: '五级' } }, 'attributes.grade', 'posting.attributeChoice'],
    [{ attributes: { origin: '产'.repeat(101) } }, 'attributes.origin', 'posting.attributeTooLong'],
  ])('refuses %j with %s: %s, storing nothing', (over, field, key) => {
    const before = db.select({ n: count() }).from(listings).get()!.n;
    expect(invalidFields(() => createListing(db, owner.id, form(over), NOW))).toEqual({ [field]: key });
    expect(db.select({ n: count() }).from(listings).get()!.n).toBe(before);
  });

  it('checks number attributes as numbers and stores them as numbers', () => {
    const withNumber = [...categoryBySlugAll()].find((c) => c.attributes.some((a) => a.type === 'number'))!;
    const attr = withNumber.attributes.find((a) => a.type === 'number')!;
    expect(invalidFields(() => createListing(db, owner.id, form({ category: withNumber.slug, attributes: { [attr.key]: '十二' } }), NOW))).toEqual({
      [`attributes.${attr.key}`]: 'posting.attributeNumber',
    });
    const l = createListing(db, owner.id, form({ category: withNumber.slug, attributes: { [attr.key]: '12.5' } }), NOW);
    expect(l.attributes).toEqual({ [attr.key]: 12.5 });
  });

  it('needs a company, and refuses an import key the company already used', () => {
    const loner = makeUser(db);
    expect(() => createListing(db, loner.id, form(), NOW)).toThrow(new ForbiddenError('posting.needCompany'));
    createListing(db, owner.id, form(), NOW, { importKey: 'SKU-1' });
    expect(() => createListing(db, owner.id, form(), NOW, { importKey: 'SKU-1' })).toThrow(ConflictError);
  });

  it('shows up in the navigation counts at once', () => {
    const grainOil = categoryBySlug(db, 'grain-oil');
    const before = liveCounts(db, NOW).category(grainOil.id);
    createListing(db, owner.id, form(), NOW);
    expect(liveCounts(db, NOW).category(grainOil.id)).toBe(before + 1);
  });
});

function categoryBySlugAll() {
  return db.query.categories.findMany().sync();
}

describe('updateListing', () => {
  it('patches only the given fields and keeps the publication date', () => {
    const l = createListing(db, owner.id, form({ moq: '10' }), NOW - 5 * DAY);
    const u = updateListing(db, owner.id, l.id, { title: '供应五常大米 新米' }, NOW);
    expect(u).toMatchObject({
      title: '供应五常大米 新米',
      slug: 'gong-ying-wu-chang-da-mi-xin-mi',
      priceMin: 385,
      moq: 10,
      attributes: l.attributes,
      publishedAt: NOW - 5 * DAY,
      expiresAt: l.expiresAt,
      updatedAt: NOW,
    });
    expect(outboxFor(l.id)).toBe(2);
  });

  it('clears optional fields a form sends blank and re-prices from the patch', () => {
    const l = createListing(db, owner.id, form({ moq: '10' }), NOW);
    expect(updateListing(db, owner.id, l.id, form({ moq: '', quantity: '' }), NOW)).toMatchObject({ moq: null, quantity: null });
    expect(updateListing(db, owner.id, l.id, { priceType: 'negotiable' }, NOW)).toMatchObject({ negotiable: true, priceMin: null });
    expect(updateListing(db, owner.id, l.id, { priceMin: '2', priceMax: '3' }, NOW)).toMatchObject({ negotiable: false, priceMin: 200, priceMax: 300 });
    expect(updateListing(db, owner.id, l.id, { priceMax: '4' }, NOW)).toMatchObject({ priceMin: 200, priceMax: 400 });
    expect(invalidFields(() => updateListing(db, owner.id, l.id, { priceMin: '5' }, NOW))).toEqual({ priceMax: 'posting.priceRangeOrder' });
  });

  it('keeps the attributes that fit a new category and checks new ones against it', () => {
    const l = createListing(db, owner.id, form(), NOW);
    const u = updateListing(db, owner.id, l.id, { category: 'camellia-oil' }, NOW);
    expect(u.attributes).toEqual({ grade: '一级', origin: '黑龙江五常' });
    expect(invalidFields(() => updateListing(db, owner.id, l.id, { attributes: { process: '油炸' } }, NOW))).toEqual({
      'attributes.process': 'posting.attributeChoice',
    });
  });

  it('restarts the term from now when the validity of a running listing changes', () => {
    const l = createListing(db, owner.id, form(), NOW - 10 * DAY);
    expect(updateListing(db, owner.id, l.id, { validityDays: 90 }, NOW).expiresAt).toBe(NOW + 90 * DAY);
  });

  it('refuses a required field sent emptied, as a form with a cleared title does', () => {
    const l = createListing(db, owner.id, form(), NOW);
    expect(invalidFields(() => updateListing(db, owner.id, l.id, form({ title: '  ', region: '' }), NOW))).toEqual({
      title: 'posting.titleRequired',
      region: 'posting.regionRequired',
    });
  });

  it('refuses bad input and keeps what was stored', () => {
    const l = createListing(db, owner.id, form(), NOW);
    expect(invalidFields(() => updateListing(db, owner.id, l.id, { title: 'ab', price: 'x' }, NOW + 1))).toEqual({
      title: 'posting.titleTooShort',
      price: 'posting.priceInvalid',
    });
    expect(stored(l.id)).toEqual(l);
    expect(outboxFor(l.id)).toBe(1);
  });
});

describe('ownership', () => {
  it("another company's listing: 403 for every write, and nothing changes", () => {
    const l = createListing(db, owner.id, form(), NOW);
    for (const act of [
      () => updateListing(db, other.id, l.id, { title: '别人改的标题' }, NOW + 1),
      () => closeListing(db, other.id, l.id, NOW + 1),
      () => renewListing(db, other.id, l.id, NOW + 1),
      () => deleteListing(db, other.id, l.id, NOW + 1),
      () => setListingImages(db, other.id, l.id, [], NOW + 1),
    ]) {
      expect(act).toThrow(new ForbiddenError('posting.notYours'));
    }
    expect(stored(l.id)).toEqual(l);
    expect(outboxFor(l.id)).toBe(1);
  });

  it('an unknown id is not found', () => {
    expect(() => closeListing(db, owner.id, 987654, NOW)).toThrow(NotFoundError);
    expect(() => updateListing(db, owner.id, 987654, {}, NOW)).toThrow(NotFoundError);
  });
});

describe('close, renew, delete', () => {
  it('close keeps the page with a notice and takes it out of the lists', () => {
    const l = createListing(db, owner.id, form(), NOW);
    const c = closeListing(db, owner.id, l.id, NOW + 1);
    expect(c.status).toBe('closed');
    expect(getListingPage(db, l.id, NOW + 2).state).toBe('closed');
    expect(outboxFor(l.id)).toBe(2);
  });

  it('renew brings an expired listing back to the top for its validity from now', () => {
    const old = makeListing(db, company.id, { status: 'expired', publishedAt: NOW - 40 * DAY, expiresAt: NOW - 10 * DAY, validityDays: 7 });
    const r = renewListing(db, owner.id, old.id, NOW);
    expect(r).toMatchObject({ status: 'active', publishedAt: NOW, expiresAt: NOW + 7 * DAY });
    expect(getListingPage(db, old.id, NOW).state).toBe('live');
    expect(outboxFor(old.id)).toBe(1);
  });

  it('renew also reopens a closed listing and extends a running one', () => {
    const l = createListing(db, owner.id, form({ validityDays: '90' }), NOW - 50 * DAY);
    closeListing(db, owner.id, l.id, NOW - DAY);
    expect(renewListing(db, owner.id, l.id, NOW)).toMatchObject({ status: 'active', publishedAt: NOW, expiresAt: NOW + 90 * DAY });
  });

  it('delete makes the page gone (410), lets its images go, and no later write touches it', () => {
    const l = createListing(db, owner.id, form(), NOW, { images: [{ hash: 'd'.repeat(64), width: 10, height: 10 }] });
    expect(db.select().from(listingImages).where(eq(listingImages.listingId, l.id)).all()).toHaveLength(1);
    expect(deleteListing(db, owner.id, l.id, NOW + 1).status).toBe('removed');
    expect(db.select().from(listingImages).where(eq(listingImages.listingId, l.id)).all()).toHaveLength(0);
    expect(() => getListingPage(db, l.id, NOW + 2)).toThrow(GoneError);
    expect(() => renewListing(db, owner.id, l.id, NOW + 3)).toThrow(GoneError);
    expect(() => updateListing(db, owner.id, l.id, { title: '重新上架的标题' }, NOW + 3)).toThrow(GoneError);
    expect(stored(l.id).status).toBe('removed');
  });

  it('each change drops the cached counts', () => {
    const l = createListing(db, owner.id, form(), NOW);
    const live = liveCounts(db, NOW).total;
    closeListing(db, owner.id, l.id, NOW);
    expect(liveCounts(db, NOW).total).toBe(live - 1);
    renewListing(db, owner.id, l.id, NOW);
    expect(liveCounts(db, NOW).total).toBe(live);
    deleteListing(db, owner.id, l.id, NOW);
    expect(liveCounts(db, NOW).total).toBe(live - 1);
  });
});

describe('setListingImages', () => {
  const img = (n: number) => ({ hash: `h${n}`.padEnd(16, '0'), width: 800 + n, height: 600 });

  it('stores the images in the given order and replaces them on the next call', () => {
    const l = createListing(db, owner.id, form(), NOW);
    setListingImages(db, owner.id, l.id, [img(2), img(1)], NOW);
    const rows = () =>
      db.select().from(listingImages).where(eq(listingImages.listingId, l.id)).orderBy(listingImages.position).all().map((r) => r.hash);
    expect(rows()).toEqual([img(2).hash, img(1).hash]);
    setListingImages(db, owner.id, l.id, [img(3)], NOW + 1);
    expect(rows()).toEqual([img(3).hash]);
    expect(outboxFor(l.id)).toBe(3);
  });

  it('refuses more than eight', () => {
    const l = createListing(db, owner.id, form(), NOW);
    expect(invalidFields(() => setListingImages(db, owner.id, l.id, Array.from({ length: 9 }, (_, i) => img(i)), NOW))).toEqual({
      images: 'posting.imagesTooMany',
    });
  });
});

describe('search outbox', () => {
  it('is written in the same transaction: if queuing fails, the listing is not stored either', () => {
    const own = freshDb();
    const u = makeUser(own);
    makeCompany(own, { ownerId: u.id });
    own.$client.exec('DROP TABLE search_outbox');
    expect(() => createListing(own, u.id, form(), NOW)).toThrow();
    expect(own.select({ n: count() }).from(listings).get()!.n).toBe(0);
  });
});
