// The data behind a company's public page: its profile and its live listings.
import type { Db } from '../db.ts';
import { GoneError, NotFoundError } from '../errors.ts';
import { pageOfListings } from '../listings/queries.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { findCompanyBySlug } from './queries.ts';

export function getCompanyPage(db: Db, slug: string, page: number, now: number) {
  const company = findCompanyBySlug(db, slug);
  if (!company) throw new NotFoundError(`company ${slug}`);
  if (company.suspendedAt !== null) throw new GoneError(`company ${slug}`);
  const listings = pageOfListings(db, { companyId: company.id }, page, now);
  if (page > listings.pages) throw new NotFoundError(`page ${page}`);
  return { company, regionPath: getTaxonomy(db).regions.path(company.regionId), listings };
}
