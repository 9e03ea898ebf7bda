// When a new listing waits for a moderator instead of going live (pre-moderation). The moderation concept
// (src/server/moderation/) approves or rejects what waits; this rule sits with listings because every write path
// (form, API, CSV import) creates listings through write.ts, which asks it.
import { and, eq, inArray } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';

export interface ReviewPolicy {
  /** A company's listings wait until this many have been published; 0 publishes at once. */
  newMemberListings: number;
}

// Per database, like the auth policy: a test sets its own without touching the environment of other tests.
const policies = new WeakMap<Db, ReviewPolicy>();

export function reviewPolicy(db: Db): ReviewPolicy {
  return policies.get(db) ?? { newMemberListings: config().MODERATION_NEW_MEMBER_LISTINGS };
}

export function setReviewPolicy(db: Db, overrides: Partial<ReviewPolicy>): void {
  policies.set(db, { ...reviewPolicy(db), ...overrides });
}

/** The message key of why this company's new listing waits for review, or null when it goes live at once. */
export function reviewReason(db: Db, company: { id: number; verified: boolean }): string | null {
  const { newMemberListings } = reviewPolicy(db);
  if (company.verified || newMemberListings === 0) return null;
  // Published listings are the ones that passed (or never needed) review; reads at most N entries of one index range.
  const published = db
    .select({ id: listings.id })
    .from(listings)
    .where(and(eq(listings.companyId, company.id), inArray(listings.status, ['active', 'expired', 'closed'])))
    .limit(newMemberListings)
    .all().length;
  return published < newMemberListings ? 'moderation.note.newMember' : null;
}

/** Statuses a moderator decides; the owner may not renew or close such a listing past the review. */
export function awaitsModerator(status: string): boolean {
  return status === 'pending' || status === 'rejected' || status === 'suspended';
}
