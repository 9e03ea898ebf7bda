// The audit log: security events land in it, and nothing in the app can rewrite or remove a row.
import { describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema.ts';
import { createApiToken, revokeApiToken } from '../../src/server/api-tokens/index.ts';
import { changePassword, register, setAuthPolicy, signIn } from '../../src/server/auth/accounts.ts';
import { listAudit, recordAudit } from '../../src/server/audit/index.ts';
import { createRateLimiter } from '../../src/server/rate-limit.ts';
import { freshDb, makeCompany, makeUser } from '../helpers/db.ts';

const db = freshDb();
setAuthPolicy(db, {
  cost: { ln: 10, r: 8, p: 1 },
  signInPerIp: createRateLimiter({ limit: 100, windowMs: 60_000 }),
});
const now = Date.UTC(2026, 10, 30, 12);

describe('audit log', () => {
  it('refuses UPDATE and DELETE of a row at the database level', () => {
    recordAudit(db, { actorId: null, action: 'test.event', targetType: 'thing', targetId: 1, after: { a: 1 } }, now);
    expect(() => db.update(auditLog).set({ action: 'rewritten' }).run()).toThrow(/append-only/);
    expect(() => db.delete(auditLog).run()).toThrow(/append-only/);
    expect(() => db.$client.exec('DELETE FROM audit_log')).toThrow(/append-only/);
    expect(listAudit(db, { action: 'test.event' })).toMatchObject([{ targetType: 'thing', targetId: '1', after: { a: 1 } }]);
  });

  it('records a burst of failed sign-ins once per five failures, and a password change', async () => {
    const { user } = (await register(db, { email: 'audit@example.com', displayName: '审计', password: 'Ganjiang-2026', passwordRepeat: 'Ganjiang-2026' }, { ip: '10.9.0.1' }, now))!;
    // From a new address each time: one address is slowed after three failures, before its guesses are checked.
    for (let i = 0; i < 4; i++) await signIn(db, { email: 'audit@example.com', password: `wrong-${i}` }, { ip: `10.9.1.${i}` }, now).catch(() => {});
    expect(listAudit(db, { action: 'auth.signInFailureBurst' })).toEqual([]);
    await signIn(db, { email: 'audit@example.com', password: 'wrong-5' }, { ip: '10.9.0.2' }, now).catch(() => {});
    expect(listAudit(db, { action: 'auth.signInFailureBurst' })).toMatchObject([{ targetType: 'email', targetId: 'audit@example.com', ip: '10.9.0.2', after: { failures: 5 } }]);

    await changePassword(db, user.id, { currentPassword: 'Ganjiang-2026', newPassword: 'Poyang-Lake-88', newPasswordRepeat: 'Poyang-Lake-88' }, now);
    expect(listAudit(db, { targetType: 'user', targetId: user.id })).toMatchObject([{ action: 'auth.passwordChanged', actorId: user.id }]);
  });

  it('records the creation and the revocation of an API token (a second revocation adds nothing)', () => {
    const owner = makeUser(db);
    makeCompany(db, { ownerId: owner.id });
    const { summary } = createApiToken(db, owner.id, { name: 'ERP' }, now);
    revokeApiToken(db, owner.id, summary.id, now + 1);
    revokeApiToken(db, owner.id, summary.id, now + 2);
    const entries = listAudit(db, { targetType: 'apiToken', targetId: String(summary.id) });
    expect(entries.map((e) => [e.action, e.actorId, e.at])).toEqual([
      ['apiToken.revoke', owner.id, now + 1],
      ['apiToken.create', owner.id, now],
    ]);
  });

  it('reads each filter through an index, newest first without a sort', () => {
    const plan = (sql: string) => (db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan("SELECT * FROM audit_log WHERE action = 'x' ORDER BY id DESC LIMIT 50")).toMatch(/USING INDEX audit_log_action_idx/);
    expect(plan("SELECT * FROM audit_log WHERE target_type = 'x' AND target_id = '1' ORDER BY id DESC LIMIT 50")).toMatch(/USING INDEX audit_log_target_idx/);
    expect(plan("SELECT * FROM audit_log WHERE action = 'x' ORDER BY id DESC LIMIT 50")).not.toMatch(/TEMP B-TREE/);
  });
});
