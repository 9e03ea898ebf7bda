// API tokens: a company's integrations (ERP, spreadsheets, scripts) write listings with `Authorization: Bearer`.
// A token belongs to a company and acts as the company's owner, so an API write is checked exactly like the owner's
// own form post. The token itself is shown once; only its SHA-256 is stored.
import { and, desc, eq, isNull } from 'drizzle-orm';
import { apiTokens, companies, users } from '../../../db/schema.ts';
import { recordAudit } from '../audit/index.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import type { Db } from '../db.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { hashToken, newToken } from '../tokens.ts';
import { parseInput } from '../validation.ts';
import { z } from 'zod';

/** Tokens carry this prefix so a leaked one is recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'b2b_';

/** A company needs few integrations; the cap keeps a runaway script from filling the table. */
export const MAX_ACTIVE_TOKENS = 20;

// last_used_at is written at most this often per token, so a busy integration does not write on every read.
const LAST_USED_RESOLUTION_MS = 60_000;

const createSchema = z.object({
  name: z
    .string('api.tokens.nameRequired')
    .trim()
    .min(1, 'api.tokens.nameRequired')
    .max(60, 'api.tokens.nameTooLong'),
});

export interface ApiTokenSummary {
  id: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Who a valid bearer token speaks for. */
export interface ApiPrincipal {
  tokenId: number;
  companyId: number;
  /** The company's owner: every write goes through the same ownership checks as the owner's forms. */
  userId: string;
}

function companyOfUser(db: Db, userId: string) {
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('api.tokens.needCompany');
  return company;
}

const summaryColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

/** The user's company's tokens, newest first, revoked ones included (so the owner sees what was cut off and when). */
export function listApiTokens(db: Db, userId: string): ApiTokenSummary[] {
  return tokensPage(db, userId).tokens;
}

/** What the tokens page shows: whether the user has a company to make tokens for, and its tokens. */
export function tokensPage(db: Db, userId: string): { hasCompany: boolean; tokens: ApiTokenSummary[] } {
  const company = findCompanyByOwner(db, userId);
  if (!company) return { hasCompany: false, tokens: [] };
  const tokens = db
    .select(summaryColumns)
    .from(apiTokens)
    .where(eq(apiTokens.companyId, company.id))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .all();
  return { hasCompany: true, tokens };
}

/** Creates a token for the user's company. The returned `token` is the only time the secret exists in clear. */
export function createApiToken(db: Db, userId: string, input: unknown, now: number): { token: string; summary: ApiTokenSummary } {
  const { name } = parseInput(createSchema, input);
  const company = companyOfUser(db, userId);
  return db.transaction(
    (tx) => {
      const active = tx
        .select({ id: apiTokens.id })
        .from(apiTokens)
        .where(and(eq(apiTokens.companyId, company.id), isNull(apiTokens.revokedAt)))
        .all().length;
      if (active >= MAX_ACTIVE_TOKENS) throw new ForbiddenError('api.tokens.tooMany');
      const token = TOKEN_PREFIX + newToken();
      const summary = tx
        .insert(apiTokens)
        .values({ companyId: company.id, name, tokenHash: hashToken(token), createdAt: now })
        .returning(summaryColumns)
        .get();
      recordAudit(tx, { actorId: userId, action: 'apiToken.create', targetType: 'apiToken', targetId: summary.id, after: { companyId: company.id, name } }, now);
      return { token, summary };
    },
    { behavior: 'immediate' },
  );
}

/** Revokes one of the company's tokens; revoking twice keeps the first time. */
export function revokeApiToken(db: Db, userId: string, tokenId: number, now: number): ApiTokenSummary {
  const company = companyOfUser(db, userId);
  const row = db.select({ companyId: apiTokens.companyId }).from(apiTokens).where(eq(apiTokens.id, tokenId)).get();
  if (!row) throw new NotFoundError(`api token ${tokenId}`);
  if (row.companyId !== company.id) throw new ForbiddenError('api.tokens.notYours');
  const revoked = db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .run();
  if (revoked.changes > 0) recordAudit(db, { actorId: userId, action: 'apiToken.revoke', targetType: 'apiToken', targetId: tokenId }, now);
  return db.select(summaryColumns).from(apiTokens).where(eq(apiTokens.id, tokenId)).get()!;
}

/**
 * The principal of a bearer token, or UnauthorizedError for a missing, unknown or revoked one, or one whose company
 * has no owner any more. Records when the token was last used.
 */
export function authenticateApiToken(db: Db, token: string | null | undefined, now: number): ApiPrincipal {
  if (!token || !token.startsWith(TOKEN_PREFIX)) throw new UnauthorizedError('api.auth.invalidToken');
  const row = db
    .select({
      id: apiTokens.id,
      companyId: apiTokens.companyId,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
      ownerId: companies.ownerId,
      suspendedAt: companies.suspendedAt,
      ownerSuspendedAt: users.suspendedAt,
    })
    .from(apiTokens)
    .innerJoin(companies, eq(companies.id, apiTokens.companyId))
    .leftJoin(users, eq(users.id, companies.ownerId))
    .where(eq(apiTokens.tokenHash, hashToken(token)))
    .get();
  if (!row) throw new UnauthorizedError('api.auth.invalidToken');
  if (row.revokedAt !== null) throw new UnauthorizedError('api.auth.revokedToken');
  // A suspended company or a suspended owner (moderation/): refused while suspended, working again once restored.
  if (!row.ownerId || row.suspendedAt !== null || row.ownerSuspendedAt !== null) throw new UnauthorizedError('api.auth.invalidToken');
  if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)).run();
  }
  return { tokenId: row.id, companyId: row.companyId, userId: row.ownerId };
}
