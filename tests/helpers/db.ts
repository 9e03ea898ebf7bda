// A fresh, migrated SQLite file per test file, with the shipped reference data, and builders for test rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { companies, listings, users } from '../../db/schema.ts';
import { openDatabase, type Db } from '../../src/server/db.ts';
import { placeListing } from '../../src/server/listings/placement.ts';
import { slugify } from '../../src/server/slug.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';

export const REFERENCE_FILES = { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' };
export const DAY = 86_400_000;

// Cleaned up once after the test file, so helpers may be called anywhere: at top level, in hooks or in tests.
const openDbs: Db[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const db of openDbs.splice(0)) db.$client.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'b2b-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A migrated database in a new temporary folder, closed and deleted after the file's tests. */
export function freshDb({ seed = true } = {}): Db {
  const db = openDatabase(path.join(tempDir(), 'site.db'));
  openDbs.push(db);
  if (seed) seedTaxonomy(db, REFERENCE_FILES);
  return db;
}

export function regionBySlug(db: Db, slug: string) {
  const r = getTaxonomy(db).regions.bySlug.get(slug);
  if (!r) throw new Error(`no region ${slug}`);
  return r;
}

export function categoryBySlug(db: Db, slug: string) {
  const c = getTaxonomy(db).categories.bySlug.get(slug);
  if (!c) throw new Error(`no category ${slug}`);
  return c;
}

/** Any subcategory (a leaf) of the seeded tree, by position, for tests that do not care which. */
export function someLeafCategory(db: Db, n = 0) {
  const { categories } = getTaxonomy(db);
  const leaves = [...categories.byId.values()].filter((c) => c.parentId !== null);
  return leaves[n % leaves.length]!;
}

let counter = 0;

/** A user row; the password hash is a placeholder no password matches (tests that sign in register for real). */
export function makeUser(db: Db, over: Partial<typeof users.$inferInsert> = {}) {
  counter++;
  return db
    .insert(users)
    .values({
      id: `user-${counter}-${Math.random().toString(36).slice(2, 8)}`,
      email: `user${counter}@example.com`,
      passwordHash: '!',
      displayName: `用户${counter}`,
      createdAt: Date.now() - 100 * DAY,
      ...over,
    })
    .returning()
    .get();
}

export function makeCompany(db: Db, over: Partial<typeof companies.$inferInsert> = {}) {
  counter++;
  const name = over.name ?? `测试企业${counter}有限公司`;
  return db
    .insert(companies)
    .values({
      name,
      slug: slugify(name) + (over.name ? '' : `-${counter}`),
      regionId: regionBySlug(db, 'donghu').id,
      createdAt: Date.now() - 100 * DAY,
      updatedAt: Date.now() - 100 * DAY,
      ...over,
    })
    .returning()
    .get();
}

export function makeListing(db: Db, companyId: number, over: Partial<typeof listings.$inferInsert> = {}) {
  const now = Date.now();
  const title = over.title ?? '供应测试产品';
  return db
    .insert(listings)
    .values({
      companyId,
      kind: 'supply',
      title,
      slug: slugify(title),
      status: 'active',
      createdAt: now - DAY,
      updatedAt: now - DAY,
      publishedAt: now - DAY,
      expiresAt: now + 29 * DAY,
      ...over,
      ...placeListing(getTaxonomy(db), over.regionId ?? regionBySlug(db, 'donghu').id, over.categoryId ?? someLeafCategory(db).id),
    })
    .returning()
    .get();
}
