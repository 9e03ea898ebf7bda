// Suspending a member: every session ends at once, the company's API tokens answer 401, signing in is refused with
// the reason; restoring lets the member sign in and the same tokens work again. Audited; admins only.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sessions } from '../../db/schema.ts';
import { authenticateApiToken, createApiToken } from '../../src/server/api-tokens/index.ts';
import { listAudit } from '../../src/server/audit/index.ts';
import { register, setAuthPolicy, signIn } from '../../src/server/auth/accounts.ts';
import { validateSession } from '../../src/server/auth/sessions.ts';
import { InvalidError, NotFoundError, UnauthorizedError } from '../../src/server/errors.ts';
import { findMembers, setMemberSuspended } from '../../src/server/moderation/members.ts';
import { freshDb, makeCompany, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';

const db = freshDb();
setAuthPolicy(db, { cost: { ln: 10, r: 8, p: 1 } });
const NOW = Date.now();
const admin = makeUser(db, { isAdmin: true, email: 'admin@example.com' });
const password = 'Ganjiang-2026';
const credentials = { email: 'seller@example.com', password };

async function refusal(p: Promise<unknown>): Promise<InvalidError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InvalidError) return e;
    throw e;
  }
  throw new Error('expected InvalidError');
}

describe('member suspension', () => {
  it('ends sessions, refuses sign-in with the reason and the API tokens; restoring brings them back', async () => {
    const signedUp = await register(db, { email: 'seller@example.com', displayName: '李经理', password, passwordRepeat: password }, { ip: '10.0.0.1' }, NOW);
    const member = signedUp!.user;
    makeCompany(db, { ownerId: member.id });
    const { token } = createApiToken(db, member.id, { name: 'ERP' }, NOW);
    expect(await validateSession(db, signedUp!.session.token)).not.toBeNull();

    expect(() => setMemberSuspended(db, member.id, admin.id, true, { confirm: 'on', reason: '发布诈骗信息' }, NOW)).toThrow(NotFoundError);
    expect(invalidFields(() => setMemberSuspended(db, admin.id, member.id, true, { reason: '发布诈骗信息' }, NOW))).toEqual({ confirm: 'moderation.confirmRequired' });
    expect(setMemberSuspended(db, admin.id, member.id, true, { confirm: 'on', reason: '发布诈骗信息' }, NOW, '10.0.0.9')).toEqual({ changed: true });

    expect(db.select().from(sessions).where(eq(sessions.userId, member.id)).all()).toEqual([]);
    expect(await validateSession(db, signedUp!.session.token)).toBeNull();
    expect(() => authenticateApiToken(db, token, NOW)).toThrow(UnauthorizedError);
    const refused = await refusal(signIn(db, credentials, { ip: '10.0.0.1' }, NOW));
    expect(refused.fields).toEqual({ _: 'account.suspended' });
    expect(refused.fieldParams).toEqual({ _: { reason: '发布诈骗信息' } });
    // A wrong password is told only that: the suspension is no answer to someone who does not know the password.
    expect((await refusal(signIn(db, { ...credentials, password: 'wrong-password-1' }, { ip: '10.0.0.2' }, NOW))).fields).toEqual({ _: 'account.signInFailed' });
    expect(findMembers(db, admin.id, 'seller@')).toMatchObject([{ id: member.id, suspendReason: '发布诈骗信息', companyId: expect.any(Number) }]);

    expect(setMemberSuspended(db, admin.id, member.id, false, { confirm: 'on', reason: '申诉核实' }, NOW + 1)).toEqual({ changed: true });
    expect(authenticateApiToken(db, token, NOW).userId).toBe(member.id);
    expect((await signIn(db, credentials, { ip: '10.0.0.1' }, NOW)).user.id).toBe(member.id);
    expect(listAudit(db, { targetType: 'user', targetId: member.id }).map((e) => [e.action, e.actorId])).toEqual([
      ['member.restore', admin.id],
      ['member.suspend', admin.id],
    ]);
    // A second click decides nothing.
    expect(setMemberSuspended(db, admin.id, member.id, false, { confirm: 'on', reason: '申诉核实' }, NOW + 2)).toEqual({ changed: false });
  });

  it('finds members by email prefix or id; an admin cannot suspend themself', () => {
    expect(findMembers(db, admin.id, 'admin').map((m) => m.email)).toEqual(['admin@example.com']);
    expect(findMembers(db, admin.id, admin.id).map((m) => m.email)).toEqual(['admin@example.com']);
    expect(findMembers(db, admin.id, 'nobody-here')).toEqual([]);
    expect(invalidFields(() => setMemberSuspended(db, admin.id, admin.id, true, { confirm: 'on', reason: '测试' }, NOW))).toEqual({ _: 'admin.members.cannotSuspendSelf' });
  });
});
