// The matching quality measure shared by the integration test and the bench: the hand-labelled fixture
// (tests/fixtures/leads-matching.ts) loaded into a database, every demand matched, and precision@5 of the supplies
// found (of the first five, how many the labels call fitting; over min(5, fitting) when fewer fit).
import { eq } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { findMatches } from '../../src/server/leads/match.ts';
import { placeListing } from '../../src/server/listings/placement.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { slugify } from '../../src/server/slug.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { DEMANDS, SUPPLIES } from '../../tests/fixtures/leads-matching.ts';

const DAY = 86_400_000;

function insertListing(db: Db, n: number, kind: 'supply' | 'demand', title: string, category: string, region: string, now: number): { listingId: number } {
  const taxonomy = getTaxonomy(db);
  const user = db.insert(users).values({ id: `leads-fixture-${kind}-${n}`, email: `fixture-${kind}-${n}@example.com`, passwordHash: '!', displayName: `fixture ${n}`, createdAt: now }).returning().get();
  const company = db.insert(companies).values({ ownerId: user.id, name: `${kind}企业${n}`, slug: `leads-fixture-${kind}-${n}`, regionId: taxonomy.regions.bySlug.get(region)!.id, createdAt: now, updatedAt: now }).returning().get();
  const row = db
    .insert(listings)
    .values({
      companyId: company.id,
      kind,
      title,
      slug: slugify(title),
      status: 'active',
      createdAt: now - DAY,
      updatedAt: now - DAY,
      publishedAt: now - DAY,
      expiresAt: now + 20 * DAY,
      ...placeListing(taxonomy, taxonomy.regions.bySlug.get(region)!.id, taxonomy.categories.bySlug.get(category)!.id),
    })
    .returning()
    .get();
  return { listingId: row.id };
}

export interface Quality {
  precision: number;
  perDemand: { title: string; precision: number; found: string[] }[];
  msPerDemand: number;
}

/** Loads the fixture into `db` (seeded taxonomy, no listings) and measures precision@5 over its demands. */
export async function precisionAt5(db: Db, now: number): Promise<Quality> {
  const keyOf = new Map<number, string>();
  SUPPLIES.forEach((s, i) => keyOf.set(insertListing(db, i, 'supply', s.title, s.category, s.region, now).listingId, s.key));
  const demandIds = DEMANDS.map((d, i) => insertListing(db, i, 'demand', d.title, d.category, d.region, now).listingId);
  ensureSearchIndex(db, now);
  const perDemand: Quality['perDemand'] = [];
  const started = performance.now();
  for (const [i, d] of DEMANDS.entries()) {
    const subject = subjectFor(db, demandIds[i]!);
    const top = (await findMatches(db, subject, now, 5)).map((m) => keyOf.get(m.listingId) ?? `?${m.listingId}`);
    const hits = top.filter((k) => d.fits.includes(k)).length;
    perDemand.push({ title: d.title, precision: hits / Math.min(5, d.fits.length), found: top });
  }
  const msPerDemand = (performance.now() - started) / DEMANDS.length;
  return { precision: perDemand.reduce((a, p) => a + p.precision, 0) / perDemand.length, perDemand, msPerDemand };
}

function subjectFor(db: Db, id: number) {
  const l = db.select().from(listings).where(eq(listings.id, id)).get()!;
  return { id: l.id, companyId: l.companyId, kind: l.kind, title: l.title, categoryId: l.categoryId, topCategoryId: l.topCategoryId, regionId: l.regionId, cityId: l.cityId, attributes: l.attributes };
}
