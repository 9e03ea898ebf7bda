// The audit log: what administrators did and the security events of accounts, append-only (triggers in migration
// 0009 refuse UPDATE and DELETE). A lower-level concept: it imports only the schema, so auth, api-tokens and
// moderation can all record into it.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { auditLog } from '../../../db/schema.ts';
import type { Db } from '../db.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type AuditEntry = typeof auditLog.$inferSelect;

export interface AuditEvent {
  /** The user who acted; null for the system or an anonymous visitor. */
  actorId: string | null;
  /** Dotted name, e.g. `listing.approve`, `auth.passwordChanged`, `apiToken.revoke`. */
  action: string;
  targetType?: string;
  targetId?: string | number;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
}

/** Appends one entry; pass the transaction of the change it describes, so both commit or neither does. */
export function recordAudit(db: Db | Tx, event: AuditEvent, now: number): void {
  db.insert(auditLog)
    .values({
      at: now,
      actorId: event.actorId,
      action: event.action,
      targetType: event.targetType ?? '',
      targetId: event.targetId === undefined ? '' : String(event.targetId),
      before: event.before ?? null,
      after: event.after ?? null,
      ip: event.ip ?? null,
    })
    .run();
}

// Sign-in failures are recorded as bursts, not one by one: a row for every mistyped password would bury the events
// that matter. The count lives in memory (one process, like the rate limiters); the row is written at the BURST-th
// failure of an email within the window, and again at every further BURST.
const BURST = 5;
const BURST_WINDOW_MS = 15 * 60_000;
const failures = new Map<string, { count: number; since: number }>();

/** Counts a failed sign-in of this email; records `auth.signInFailureBurst` when the failures pile up. */
export function noteSignInFailure(db: Db, email: string, ip: string, now: number): void {
  let f = failures.get(email);
  if (!f || now - f.since > BURST_WINDOW_MS) {
    if (failures.size > 10_000) failures.clear();
    f = { count: 0, since: now };
    failures.set(email, f);
  }
  f.count += 1;
  if (f.count % BURST === 0) {
    recordAudit(db, { actorId: null, action: 'auth.signInFailureBurst', targetType: 'email', targetId: email, after: { failures: f.count, since: f.since }, ip }, now);
  }
}

export interface AuditFilter {
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Keyset: entries older than this id. */
  before?: number;
  limit?: number;
}

/** Newest entries first, filtered by action or by target; each filter reads one index. */
export function listAudit(db: Db, filter: AuditFilter = {}): AuditEntry[] {
  const where: SQL[] = [];
  if (filter.action) where.push(eq(auditLog.action, filter.action));
  if (filter.targetType) where.push(eq(auditLog.targetType, filter.targetType));
  if (filter.targetId) where.push(eq(auditLog.targetId, filter.targetId));
  if (filter.before) where.push(lt(auditLog.id, filter.before));
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(Math.min(filter.limit ?? 50, 200))
    .all();
}
