// What pages read of leads: a company's lead feed, the companies matched to its own listings ("为您匹配的供应商"),
// and its mail preference. The matching itself is in match.ts, the job in record.ts.
import { alias } from 'drizzle-orm/sqlite-core';
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { companies, leadPrefs, leads, listings, LEAD_MAIL_MODES, type LeadMailMode } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import type { Db } from '../db.ts';
import { ForbiddenError } from '../errors.ts';
import { parseInput } from '../validation.ts';

export { drainMatches, queueLeadDigests, startMatcher, MAX_LEADS_PER_COMPANY_PER_DAY } from './record.ts';
export { MAX_LEADS_PER_LISTING } from './match.ts';
export { LEAD_MAIL_MODES } from '../../../db/schema.ts';

const FEED_SIZE = 50;
const theirs = alias(listings, 'theirs');
const mine = alias(listings, 'mine');

const leadColumns = {
  id: leads.id,
  createdAt: leads.createdAt,
  score: leads.score,
  listing: { id: theirs.id, slug: theirs.slug, title: theirs.title, kind: theirs.kind, status: theirs.status, expiresAt: theirs.expiresAt, regionId: theirs.regionId },
  mine: { id: mine.id, slug: mine.slug, title: mine.title },
  company: { name: companies.name, slug: companies.slug, verified: companies.verified },
};

export type LeadItem = ReturnType<typeof feedOf>[number];

function feedOf(db: Db, companyId: number) {
  return db
    .select(leadColumns)
    .from(leads)
    .innerJoin(theirs, eq(theirs.id, leads.listingId))
    .innerJoin(mine, eq(mine.id, leads.matchedListingId))
    .innerJoin(companies, eq(companies.id, leads.sourceCompanyId))
    .where(eq(leads.companyId, companyId))
    .orderBy(desc(leads.createdAt))
    .limit(FEED_SIZE)
    .all();
}

/** Listings of other companies matched to this company's own (newest first): who was told about them. */
function matchedOf(db: Db, companyId: number) {
  return db
    .select({ ...leadColumns, listing: leadColumns.mine, mine: leadColumns.listing })
    .from(leads)
    .innerJoin(theirs, eq(theirs.id, leads.listingId))
    .innerJoin(mine, eq(mine.id, leads.matchedListingId))
    .innerJoin(companies, eq(companies.id, leads.companyId))
    .where(eq(leads.sourceCompanyId, companyId))
    .orderBy(desc(leads.createdAt))
    .limit(FEED_SIZE)
    .all();
}

export interface LeadsPage {
  company: { id: number; name: string } | null;
  /** Leads for the company: listings of others that fit one of its own. */
  leads: LeadItem[];
  /** The other way: companies whose listings fit the company's own (for a buyer: 为您匹配的供应商). */
  matched: ReturnType<typeof matchedOf>;
  mail: LeadMailMode;
  /** With ?listing=: one of the company's own listings and what was matched to it. */
  listing: { id: number; slug: string; title: string; kind: 'supply' | 'demand'; matches: ReturnType<typeof matchesOfListing> } | null;
}

/** The signed-in user's lead page; with a listing id, also that own listing's matches (its page links here). */
export function leadsPage(db: Db, userId: string, listingId: number | null = null): LeadsPage {
  const company = findCompanyByOwner(db, userId);
  if (!company) return { company: null, leads: [], matched: [], mail: 'daily', listing: null };
  const own =
    listingId === null
      ? undefined
      : db.select({ id: listings.id, slug: listings.slug, title: listings.title, kind: listings.kind, companyId: listings.companyId }).from(listings).where(eq(listings.id, listingId)).get();
  if (own && own.companyId !== company.id) throw new ForbiddenError('posting.notYours');
  return {
    listing: own ? { id: own.id, slug: own.slug, title: own.title, kind: own.kind, matches: matchesOfListing(db, userId, own.id) } : null,
    company: { id: company.id, name: company.name },
    leads: feedOf(db, company.id),
    matched: matchedOf(db, company.id),
    mail: db.select({ mail: leadPrefs.mail }).from(leadPrefs).where(eq(leadPrefs.companyId, company.id)).get()?.mail ?? 'daily',
  };
}

/**
 * The listings of other companies matched to one listing, best first, when the viewer owns it (its page shows them
 * only to its owner): those whose companies were told about it, and those found for it when they were posted.
 */
export function matchesOfListing(db: Db, userId: string | null, listingId: number) {
  if (!userId) return [];
  const company = findCompanyByOwner(db, userId);
  if (!company) return [];
  const told = db
    .select({ listingId: mine.id, slug: mine.slug, title: mine.title, companyName: companies.name, companySlug: companies.slug, score: leads.score })
    .from(leads)
    .innerJoin(mine, eq(mine.id, leads.matchedListingId))
    .innerJoin(companies, eq(companies.id, leads.companyId))
    .where(and(eq(leads.listingId, listingId), eq(leads.sourceCompanyId, company.id)))
    .all();
  const found = db
    .select({ listingId: theirs.id, slug: theirs.slug, title: theirs.title, companyName: companies.name, companySlug: companies.slug, score: leads.score })
    .from(leads)
    .innerJoin(theirs, eq(theirs.id, leads.listingId))
    .innerJoin(companies, eq(companies.id, leads.sourceCompanyId))
    .where(and(eq(leads.matchedListingId, listingId), eq(leads.companyId, company.id)))
    .orderBy(desc(leads.createdAt))
    .limit(FEED_SIZE)
    .all();
  return [...told, ...found].sort((a, b) => b.score - a.score);
}

const prefSchema = z.object({ mail: z.enum(LEAD_MAIL_MODES, 'leads.invalidMode') });

/** Sets how the user's company hears about leads (daily digest, at once, or not by mail). */
export function setLeadMailMode(db: Db, userId: string, input: unknown, now: number): LeadMailMode {
  const { mail } = parseInput(prefSchema, input);
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('posting.needCompany');
  db.insert(leadPrefs)
    .values({ companyId: company.id, mail, updatedAt: now })
    .onConflictDoUpdate({ target: leadPrefs.companyId, set: { mail, updatedAt: now } })
    .run();
  return mail;
}
