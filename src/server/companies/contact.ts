// A company's phone is not in the static HTML of its pages (scrapers harvest those by the million); a person asks
// for it with one button, a plain form POST that works without JavaScript. Each reveal is counted for the seller's
// analytics and limited per address and per member, so harvesting needs many addresses and accounts. Inside an
// inquiry thread the phone is always shown (inquiries/threads.ts).
import { countDaily } from '../analytics/daily.ts';
import type { Db } from '../db.ts';
import { NotFoundError } from '../errors.ts';
import { findListing } from '../listings/queries.ts';
import { addressKey, createRateLimiter } from '../rate-limit.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { findCompanyBySlug } from './queries.ts';

const HOUR = 3_600_000;
export const REVEAL_LIMITS = { ip: 30, member: 60 } as const;
const perIp = createRateLimiter({ name: 'contact-reveal-ip', limit: REVEAL_LIMITS.ip, windowMs: HOUR });
const perMember = createRateLimiter({ name: 'contact-reveal-member', limit: REVEAL_LIMITS.member, windowMs: HOUR });

/** The company's card data for the reveal page (no phone: that needs the POST). */
export function contactPage(db: Db, slug: string) {
  const company = findCompanyBySlug(db, slug);
  if (!company) throw new NotFoundError(`company ${slug}`);
  return { company: { ...company, phone: '' }, regionPath: getTaxonomy(db).regions.path(company.regionId) };
}

/**
 * Reveals the phone: counted on the listing it was asked from (or the company page), limited per address, and per
 * member when signed in; the company's own members are neither limited nor counted.
 */
export function revealContact(db: Db, slug: string, from: { listingId: number | null; userId: string | null; ip: string }, now: number) {
  const company = findCompanyBySlug(db, slug);
  if (!company) throw new NotFoundError(`company ${slug}`);
  const own = from.userId !== null && from.userId === company.ownerId;
  if (!own) {
    const ip = addressKey(from.ip);
    perIp.check(ip, now);
    if (from.userId) perMember.check(from.userId, now);
    perIp.consume(ip, now);
    if (from.userId) perMember.consume(from.userId, now);
    // A listing id from the form counts only when it is this company's listing.
    const listing = from.listingId === null ? undefined : findListing(db, from.listingId);
    countDaily(db, { companyId: company.id, listingId: listing?.companyId === company.id ? listing.id : null }, 'reveals', now);
  }
  return { company, regionPath: getTaxonomy(db).regions.path(company.regionId) };
}
