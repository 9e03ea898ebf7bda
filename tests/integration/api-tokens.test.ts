// API tokens as the dashboard and the JSON API use them: created once, kept only as a hash, revocable.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiTokens } from '../../db/schema.ts';
import {
  authenticateApiToken,
  createApiToken,
  listApiTokens,
  MAX_ACTIVE_TOKENS,
  revokeApiToken,
} from '../../src/server/api-tokens/index.ts';
import { ForbiddenError, InvalidError, NotFoundError, UnauthorizedError } from '../../src/server/errors.ts';
import { hashToken } from '../../src/server/tokens.ts';
import { freshDb, makeCompany, makeUser } from '../helpers/db.ts';

const db = freshDb();
const owner = makeUser(db);
const company = makeCompany(db, { ownerId: owner.id });
const other = makeUser(db);
makeCompany(db, { ownerId: other.id });
const now = Date.UTC(2026, 10, 25, 3, 0);

describe('API tokens', () => {
  it('shows the token once and keeps only its SHA-256', () => {
    const { token, summary } = createApiToken(db, owner.id, { name: ' ERP 同步 ' }, now);
    expect(token).toMatch(/^b2b_[a-z2-7]{32}$/);
    expect(summary).toEqual({ id: summary.id, name: 'ERP 同步', createdAt: now, lastUsedAt: null, revokedAt: null });
    const row = db.select().from(apiTokens).where(eq(apiTokens.id, summary.id)).get()!;
    expect(row.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token.slice(4));
    // Listing shows names and dates, never the secret or its hash.
    const listed = listApiTokens(db, owner.id);
    expect(listed.map((t) => t.name)).toContain('ERP 同步');
    expect(JSON.stringify(listed)).not.toContain(row.tokenHash);
  });

  it('authenticates as the company owner and records the last use', () => {
    const { token, summary } = createApiToken(db, owner.id, { name: 'script' }, now);
    expect(authenticateApiToken(db, token, now + 5000)).toEqual({ tokenId: summary.id, companyId: company.id, userId: owner.id });
    expect(listApiTokens(db, owner.id).find((t) => t.id === summary.id)!.lastUsedAt).toBe(now + 5000);
  });

  it('refuses missing, unknown and revoked tokens', () => {
    const { token, summary } = createApiToken(db, owner.id, { name: 'to revoke' }, now);
    expect(() => authenticateApiToken(db, null, now)).toThrow(UnauthorizedError);
    expect(() => authenticateApiToken(db, 'b2b_' + 'a'.repeat(32), now)).toThrow(UnauthorizedError);
    expect(() => authenticateApiToken(db, token.slice(4), now)).toThrow(UnauthorizedError);
    const revoked = revokeApiToken(db, owner.id, summary.id, now + 1);
    expect(revoked.revokedAt).toBe(now + 1);
    expect(() => authenticateApiToken(db, token, now + 2)).toThrow('api.auth.revokedToken');
    // A second revoke keeps the first time.
    expect(revokeApiToken(db, owner.id, summary.id, now + 9).revokedAt).toBe(now + 1);
  });

  it("does not let another company revoke or see a company's token", () => {
    const { summary } = createApiToken(db, owner.id, { name: 'mine' }, now);
    expect(() => revokeApiToken(db, other.id, summary.id, now)).toThrow(ForbiddenError);
    expect(() => revokeApiToken(db, owner.id, 999_999, now)).toThrow(NotFoundError);
    expect(listApiTokens(db, other.id).map((t) => t.id)).not.toContain(summary.id);
  });

  it('validates the name and needs a company', () => {
    expect(() => createApiToken(db, owner.id, { name: '  ' }, now)).toThrow(InvalidError);
    expect(() => createApiToken(db, owner.id, { name: 'x'.repeat(61) }, now)).toThrow(
      expect.objectContaining({ fields: { name: 'api.tokens.nameTooLong' } }),
    );
    const loner = makeUser(db);
    expect(() => createApiToken(db, loner.id, { name: 'x' }, now)).toThrow('api.tokens.needCompany');
    expect(listApiTokens(db, loner.id)).toEqual([]);
  });

  it('caps the active tokens of a company', () => {
    const u = makeUser(db);
    makeCompany(db, { ownerId: u.id });
    for (let i = 0; i < MAX_ACTIVE_TOKENS; i++) createApiToken(db, u.id, { name: `t${i}` }, now);
    expect(() => createApiToken(db, u.id, { name: 'one more' }, now)).toThrow('api.tokens.tooMany');
    revokeApiToken(db, u.id, listApiTokens(db, u.id)[0]!.id, now);
    expect(createApiToken(db, u.id, { name: 'one more' }, now).token).toMatch(/^b2b_/);
  });
});
