// The audit log as the admin console shows it: entries with the acting user's email.
import { inArray } from 'drizzle-orm';
import { users } from '../../../db/schema.ts';
import { assertAdmin } from '../admin.ts';
import { listAudit, type AuditEntry, type AuditFilter } from '../audit/index.ts';
import type { Db } from '../db.ts';

export function auditPage(db: Db, adminId: string, filter: AuditFilter): (AuditEntry & { actorEmail: string | null })[] {
  assertAdmin(db, adminId);
  const entries = listAudit(db, { ...filter, limit: 50 });
  const ids = [...new Set(entries.map((e) => e.actorId).filter((id): id is string => id !== null))];
  const emails = new Map(
    ids.length === 0 ? [] : db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, ids)).all().map((u) => [u.id, u.email]),
  );
  return entries.map((e) => ({ ...e, actorEmail: e.actorId ? (emails.get(e.actorId) ?? null) : null }));
}
