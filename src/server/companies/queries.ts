// Reading companies for public pages.
import { eq } from 'drizzle-orm';
import { companies } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

export function findCompanyById(db: Db, id: number) {
  return db.select().from(companies).where(eq(companies.id, id)).get();
}

export function findCompanyBySlug(db: Db, slug: string) {
  return db.select().from(companies).where(eq(companies.slug, slug)).get();
}

/** The company an account runs (one per account), if it has made one. */
export function findCompanyByOwner(db: Db, userId: string) {
  return db.select().from(companies).where(eq(companies.ownerId, userId)).get();
}

/** Demo companies are the ones nobody owns: every member's company has its owner (demo/generate.ts writes none). */
export function isDemoCompany(company: { ownerId: string | null }): boolean {
  return company.ownerId === null;
}
