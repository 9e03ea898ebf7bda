// Webhooks of a company: endpoints with the events they want, an outbox of deliveries written in the transaction of
// the change that causes them (emitWebhook), and the sender job that POSTs them signed, retrying with exponential
// backoff for 24 hours. Each failed attempt counts against the endpoint; after MAX_FAILURES in a row it is disabled
// and the company told (by mail and on /dashboard/webhooks) until it enables it again. docs/webhooks.md.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { companies, users, webhookDeliveries, webhookEndpoints, WEBHOOK_EVENTS, type WebhookEvent } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import { config } from '../config.ts';
import type { Db } from '../db.ts';
import { ForbiddenError, InvalidError, NotFoundError } from '../errors.ts';
import { queueMail } from '../mail/index.ts';
import { backoffMs, claimDue, scheduleJob } from '../outbox/index.ts';
import { parseInput } from '../validation.ts';
import { guardedLookup, isPrivateAddress, PrivateAddressError, resolvesPrivate } from './address.ts';
import { endpointDisabledMail } from './mails.ts';

export { WEBHOOK_EVENTS } from '../../../db/schema.ts';
export const MAX_FAILURES = 10;
export const RETRY_FOR_MS = 24 * 3_600_000;
const MAX_ENDPOINTS = 10;
const TIMEOUT_MS = 10_000;
const LOG_SIZE = 50;

export interface WebhookOptions {
  allowPrivate?: boolean;
  retryBaseMs?: number;
}
const allowPrivate = (o: WebhookOptions) => o.allowPrivate ?? config().WEBHOOKS_ALLOW_PRIVATE;
const retryBaseMs = (o: WebhookOptions) => o.retryBaseMs ?? config().WEBHOOKS_RETRY_SECONDS * 1000;

/** The signature header's value: HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret, hex. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function ownCompany(db: Db, userId: string) {
  const company = findCompanyByOwner(db, userId);
  if (!company) throw new ForbiddenError('posting.needCompany');
  return company;
}

const endpointSchema = z.object({
  url: z
    .string('webhooks.invalidUrl')
    .trim()
    .max(500, 'webhooks.invalidUrl')
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'webhooks.invalidUrl'),
  events: z.array(z.enum(WEBHOOK_EVENTS, 'webhooks.noEvents'), 'webhooks.noEvents').min(1, 'webhooks.noEvents'),
});

/** A form's checkboxes are named `event:<name>`; an API sends `events: [...]`. */
function endpointInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray((input as { events?: unknown }).events)) return input;
  const events = WEBHOOK_EVENTS.filter((e) => `event:${e}` in input);
  return { ...input, events };
}

/** Adds an endpoint for the user's company; refuses an address that resolves to a private one. Returns its secret. */
export async function createEndpoint(db: Db, userId: string, input: unknown, now: number, opts: WebhookOptions = {}) {
  const company = ownCompany(db, userId);
  const { url, events } = parseInput(endpointSchema, endpointInput(input));
  const host = new URL(url).hostname;
  let privateAddress: string | null;
  try {
    privateAddress = await resolvesPrivate(host);
  } catch {
    throw new InvalidError('unresolvable', { url: 'webhooks.unresolvable' });
  }
  if (privateAddress && !allowPrivate(opts)) throw new InvalidError('private address', { url: 'webhooks.privateAddress' });
  const existing = db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.companyId, company.id)).all();
  if (existing.length >= MAX_ENDPOINTS) throw new InvalidError('too many', { url: 'webhooks.tooMany' });
  return db
    .insert(webhookEndpoints)
    .values({ companyId: company.id, url, events: [...new Set(events)], secret: `whsec_${randomBytes(24).toString('base64url')}`, createdAt: now })
    .returning()
    .get();
}

function ownEndpoint(db: Db, userId: string, endpointId: number) {
  const company = ownCompany(db, userId);
  const endpoint = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)).get();
  if (!endpoint || endpoint.companyId !== company.id) throw new NotFoundError(`webhook endpoint ${endpointId}`);
  return endpoint;
}

const idSchema = z.coerce.number('webhooks.invalid').int('webhooks.invalid').positive('webhooks.invalid').max(Number.MAX_SAFE_INTEGER, 'webhooks.invalid');

/** The dashboard's buttons: delete or re-enable an endpoint, redeliver a delivery (as a new attempt, now). */
export function webhookAction(db: Db, userId: string, input: unknown, now: number): 'deleted' | 'enabled' | 'redelivered' {
  const action = parseInput(
    z.discriminatedUnion('action', [
      z.object({ action: z.literal('delete'), endpoint: idSchema }),
      z.object({ action: z.literal('enable'), endpoint: idSchema }),
      z.object({ action: z.literal('redeliver'), delivery: idSchema }),
    ], 'webhooks.invalid'),
    input,
  );
  if (action.action === 'delete') {
    ownEndpoint(db, userId, action.endpoint);
    db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, action.endpoint)).run();
    return 'deleted';
  }
  if (action.action === 'enable') {
    ownEndpoint(db, userId, action.endpoint);
    db.update(webhookEndpoints).set({ disabledAt: null, failures: 0 }).where(eq(webhookEndpoints.id, action.endpoint)).run();
    return 'enabled';
  }
  const delivery = db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, action.delivery)).get();
  if (!delivery) throw new NotFoundError(`webhook delivery ${action.delivery}`);
  ownEndpoint(db, userId, delivery.endpointId);
  db.update(webhookDeliveries)
    .set({ status: 'pending', nextAttemptAt: now, createdAt: now, lastError: null })
    .where(eq(webhookDeliveries.id, delivery.id))
    .run();
  notifyQueued();
  return 'redelivered';
}

/** The dashboard page: the company's endpoints (with their secrets) and the latest deliveries of each. */
export function webhooksPage(db: Db, userId: string) {
  const company = findCompanyByOwner(db, userId);
  if (!company) return { company: null, endpoints: [], deliveries: [] };
  const endpoints = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.companyId, company.id)).orderBy(webhookEndpoints.id).all();
  const deliveries = endpoints
    .flatMap((e) =>
      db
        .select({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId, event: webhookDeliveries.event, status: webhookDeliveries.status, attempts: webhookDeliveries.attempts, lastStatusCode: webhookDeliveries.lastStatusCode, lastError: webhookDeliveries.lastError, createdAt: webhookDeliveries.createdAt, nextAttemptAt: webhookDeliveries.nextAttemptAt })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, e.id))
        .orderBy(desc(webhookDeliveries.createdAt))
        .limit(LOG_SIZE)
        .all(),
    )
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
    .slice(0, LOG_SIZE);
  return { company: { id: company.id, name: company.name }, endpoints, deliveries };
}

type Listener = () => void;
const listeners = new Set<Listener>();
let scheduled = false;
function notifyQueued(): void {
  if (scheduled || listeners.size === 0) return;
  scheduled = true;
  // Called inside the writer's synchronous transaction: by the time this runs, it has committed.
  setImmediate(() => {
    scheduled = false;
    for (const l of listeners) l();
  });
}

/**
 * Queues an event for every enabled endpoint of the company that wants it, in the caller's transaction. `subject`
 * names what it is about (`thread:12`), so the same event queued twice is one delivery.
 */
export function emitWebhook(tx: Pick<Db, 'select' | 'insert'>, companyId: number, event: WebhookEvent, subject: string, data: Record<string, unknown>, now: number): void {
  const endpoints = tx
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.companyId, companyId), isNull(webhookEndpoints.disabledAt)))
    .all()
    .filter((e) => e.events.includes(event));
  for (const e of endpoints) {
    const idempotencyKey = `${event}:${subject}:${e.id}`;
    const body = JSON.stringify({ id: idempotencyKey, event, createdAt: new Date(now).toISOString(), data });
    tx.insert(webhookDeliveries).values({ endpointId: e.id, idempotencyKey, event, body, nextAttemptAt: now, createdAt: now }).onConflictDoNothing().run();
  }
  if (endpoints.length > 0) notifyQueued();
}

/** One POST; resolves to the status code, or rejects (refused address, timeout, connection error). */
function post(url: string, body: string, headers: Record<string, string>, opts: WebhookOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // An address written as an IP is never looked up, so the lookup's check would not see it.
    const literal = u.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(literal) && isPrivateAddress(literal) && !allowPrivate(opts)) return reject(new PrivateAddressError(literal, literal));
    const client = u.protocol === 'https:' ? https : http;
    const req = client.request(
      u,
      { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'b2b-classifieds-webhooks/1', ...headers }, lookup: guardedLookup(allowPrivate(opts)), timeout: TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Deliveries taken per batch: each may wait TIMEOUT_MS, and the whole batch must fit in one lease. */
const BATCH = 10;
const LEASE_MS = 5 * 60_000;

/** Sends one batch of the due deliveries; returns how many were delivered and whether the batch was full. */
async function sendBatch(db: Db, now: number, opts: WebhookOptions): Promise<{ delivered: number; full: boolean }> {
  const due = claimDue(db, webhookDeliveries, eq(webhookDeliveries.status, 'pending'), { now, batch: BATCH, leaseMs: LEASE_MS });
  let delivered = 0;
  for (const d of due) {
    const endpoint = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, d.endpointId)).get();
    if (!endpoint || endpoint.disabledAt !== null) continue;
    const timestamp = Math.floor(now / 1000);
    let code: number | null = null;
    let error: string | null = null;
    try {
      code = await post(endpoint.url, d.body, { 'x-webhook-id': d.idempotencyKey, 'x-webhook-event': d.event, 'x-webhook-timestamp': String(timestamp), 'x-webhook-signature': signature(endpoint.secret, timestamp, d.body) }, opts);
      if (code < 200 || code >= 300) error = `HTTP ${code}`;
    } catch (e) {
      error = e instanceof PrivateAddressError ? e.message : String((e as Error).message ?? e).slice(0, 300);
    }
    const attempts = d.attempts + 1;
    if (!error) {
      db.transaction((tx) => {
        tx.update(webhookDeliveries).set({ status: 'delivered', attempts, lastStatusCode: code, lastError: null, deliveredAt: now }).where(eq(webhookDeliveries.id, d.id)).run();
        tx.update(webhookEndpoints).set({ failures: 0 }).where(eq(webhookEndpoints.id, endpoint.id)).run();
      }, { behavior: 'immediate' });
      delivered++;
      continue;
    }
    const next = now + backoffMs(attempts, retryBaseMs(opts));
    const giveUp = next > d.createdAt + RETRY_FOR_MS;
    db.transaction((tx) => {
      tx.update(webhookDeliveries)
        .set({ status: giveUp ? 'failed' : 'pending', attempts, lastStatusCode: code, lastError: error, nextAttemptAt: giveUp ? now : next })
        .where(eq(webhookDeliveries.id, d.id))
        .run();
      const failures = endpoint.failures + 1;
      tx.update(webhookEndpoints)
        .set({ failures: sql`${webhookEndpoints.failures} + 1`, ...(failures >= MAX_FAILURES ? { disabledAt: now } : {}) })
        .where(eq(webhookEndpoints.id, endpoint.id))
        .run();
      if (failures === MAX_FAILURES) {
        const owner = tx.select({ email: users.email }).from(companies).innerJoin(users, eq(users.id, companies.ownerId)).where(eq(companies.id, endpoint.companyId)).get();
        if (owner) {
          queueMail(tx, { to: owner.email, template: endpointDisabledMail, data: { url: endpoint.url, failures, link: `${config().SITE_URL}/dashboard/webhooks` }, idempotencyKey: `webhook-disabled:${endpoint.id}:${now}`, locale: 'zh-CN' }, now);
        }
      }
    }, { behavior: 'immediate' });
    endpoint.failures++;
  }
  return { delivered, full: due.length === BATCH };
}

/** Sends every due delivery once (a disabled endpoint's wait, leased ahead); returns how many were delivered. */
export async function sendDueWebhooks(db: Db, now: number, opts: WebhookOptions = {}): Promise<number> {
  let delivered = 0;
  for (;;) {
    const batch = await sendBatch(db, now, opts);
    delivered += batch.delivered;
    if (!batch.full) return delivered;
  }
}

const started = new WeakSet<Db>();
/** The server's sender (the outbox runner): right after a delivery is queued, and every second for retries. */
export function startWebhookSender(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  const job = scheduleJob('webhooks', { firstAfterMs: 1_000, everyMs: 1_000 }, async () => {
    const { delivered, full } = await sendBatch(db, Date.now(), {});
    return { done: delivered, more: full };
  });
  listeners.add(job.kick);
}
