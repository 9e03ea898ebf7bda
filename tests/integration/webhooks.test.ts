// Webhooks against a real HTTP receiver started here: signed deliveries (checked the way docs/webhooks.md tells a
// receiver to), a failure retried with backoff, the 24-hour limit, the endpoint disabled after repeated failures with
// a mail, redelivery, private addresses refused at creation and at delivery, and the inquiry and message events.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailOutbox, webhookDeliveries, webhookEndpoints } from '../../db/schema.ts';
import type { Db } from '../../src/server/db.ts';
import { formStamp } from '../../src/server/inquiries/keys.ts';
import { sendInquiry } from '../../src/server/inquiries/send.ts';
import { replyToThread } from '../../src/server/inquiries/threads.ts';
import { isPrivateAddress } from '../../src/server/webhooks/address.ts';
import { createEndpoint, emitWebhook, MAX_FAILURES, sendDueWebhooks, webhookAction, webhooksPage } from '../../src/server/webhooks/index.ts';
import { invalidFields } from '../helpers/errors.ts';
import { statementsOf, unindexed } from '../helpers/plans.ts';
import { freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}
let server: http.Server;
let url: string;
const received: Received[] = [];
const answers: number[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The receiver's check from docs/webhooks.md. */
function verify(secret: string, r: Received): boolean {
  const timestamp = String(r.headers['x-webhook-timestamp']);
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex')}`;
  const given = String(r.headers['x-webhook-signature']);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

const NOW = Date.now();
const ALLOW = { allowPrivate: true, retryBaseMs: 1000 };

function company(db: Db) {
  const user = makeUser(db);
  return { user, company: makeCompany(db, { ownerId: user.id }) };
}

const emit = (db: Db, companyId: number, subject: string, at = NOW) =>
  db.transaction((tx) => emitWebhook(tx, companyId, 'lead.created', subject, { hello: '世界' }, at), { behavior: 'immediate' });

describe('webhook endpoints', () => {
  it('refuse private, loopback and link-local addresses unless allowed, and bad input with a message', async () => {
    const db = freshDb();
    const { user } = company(db);
    for (const u of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://192.168.1.1/']) {
      await expect(createEndpoint(db, user.id, { url: u, events: ['lead.created'] }, NOW, { allowPrivate: false })).rejects.toMatchObject({ fields: { url: 'webhooks.privateAddress' } });
    }
    await expect(createEndpoint(db, user.id, { url: 'ftp://example.com/', events: ['lead.created'] }, NOW)).rejects.toMatchObject({ fields: { url: 'webhooks.invalidUrl' } });
    await expect(createEndpoint(db, user.id, { url: url, 'event:nothing': 'on' }, NOW, ALLOW)).rejects.toMatchObject({ fields: { events: 'webhooks.noEvents' } });
    const e = await createEndpoint(db, user.id, { url, 'event:lead.created': 'on', 'event:inquiry.created': 'on' }, NOW, ALLOW);
    expect(e.events.sort()).toEqual(['inquiry.created', 'lead.created']);
    expect(e.secret).toMatch(/^whsec_/);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('::ffff:127.0.0.1')).toBe(true);
    expect(invalidFields(() => webhookAction(db, user.id, { action: 'explode' }, NOW))).toBeTruthy();
  });
});

describe('deliveries', () => {
  it('are signed, retried after a failure with backoff, logged with status codes, and redeliverable', async () => {
    const db = freshDb();
    const { user, company: c } = company(db);
    const endpoint = await createEndpoint(db, user.id, { url, events: ['lead.created'] }, NOW, ALLOW);
    received.length = 0;
    answers.push(500);
    emit(db, c.id, 'lead:1');
    emit(db, c.id, 'lead:1'); // the same event twice is one delivery
    expect(await sendDueWebhooks(db, NOW, ALLOW)).toBe(0);
    expect(received).toHaveLength(1);
    expect(await sendDueWebhooks(db, NOW + 999, ALLOW)).toBe(0); // not due yet
    expect(received).toHaveLength(1);
    expect(await sendDueWebhooks(db, NOW + 1000, ALLOW)).toBe(1);
    expect(received).toHaveLength(2);
    for (const r of received) expect(verify(endpoint.secret, r)).toBe(true);
    expect(verify('whsec_wrong', received[1]!)).toBe(false);
    expect(received[0]!.headers['x-webhook-id']).toBe(received[1]!.headers['x-webhook-id']);
    const body = JSON.parse(received[1]!.body);
    expect(body).toMatchObject({ event: 'lead.created', data: { hello: '世界' } });
    const page = webhooksPage(db, user.id);
    expect(page.deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode])).toEqual([['delivered', 2, 200]]);
    expect(webhookAction(db, user.id, { action: 'redeliver', delivery: String(page.deliveries[0]!.id) }, NOW + 2000)).toBe('redelivered');
    expect(await sendDueWebhooks(db, NOW + 2000, ALLOW)).toBe(1);
    expect(received).toHaveLength(3);
    // Someone else's delivery is not found.
    const other = company(db);
    expect(() => webhookAction(db, other.user.id, { action: 'redeliver', delivery: String(page.deliveries[0]!.id) }, NOW)).toThrow(/not found|webhook/i);
  });

  it('give up after 24 hours, and disable the endpoint after repeated failures with a mail, until enabled again', async () => {
    const db = freshDb();
    const { user, company: c } = company(db);
    const endpoint = await createEndpoint(db, user.id, { url, events: ['lead.created'] }, NOW, { allowPrivate: true });
    const HOUR = 3_600_000;
    emit(db, c.id, 'lead:a');
    let t = NOW;
    for (let i = 0; i < MAX_FAILURES; i++) {
      answers.push(503);
      await sendDueWebhooks(db, t, { allowPrivate: true, retryBaseMs: HOUR });
      const d = db.select().from(webhookDeliveries).get()!;
      if (d.status === 'failed') break;
      t = d.nextAttemptAt;
    }
    const d = db.select().from(webhookDeliveries).get()!;
    expect(d.status).toBe('failed');
    expect(d.lastStatusCode).toBe(503);
    expect(t - NOW).toBeLessThanOrEqual(24 * HOUR);
    answers.length = 0;
    // Ten failures in a row: disabled, and the owner told once.
    for (let i = 0; i < MAX_FAILURES; i++) {
      emit(db, c.id, `lead:b${i}`, t);
      answers.push(500);
      await sendDueWebhooks(db, t, { allowPrivate: true });
    }
    answers.length = 0;
    const e = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id)).get()!;
    expect(e.disabledAt).not.toBeNull();
    expect(db.select().from(mailOutbox).all().map((m) => m.template)).toEqual(['webhook-disabled']);
    const before = received.length;
    emit(db, c.id, 'lead:after', t);
    await sendDueWebhooks(db, t + 10 ** 9, { allowPrivate: true });
    expect(received.length).toBe(before);
    webhookAction(db, user.id, { action: 'enable', endpoint: String(endpoint.id) }, t);
    emit(db, c.id, 'lead:enabled', t);
    expect(await sendDueWebhooks(db, t, { allowPrivate: true })).toBe(1);
  });

  it('are sent once by two senders running at once (a second node): the claim is a lease', async () => {
    const db = freshDb();
    const { user, company: c } = company(db);
    await createEndpoint(db, user.id, { url, events: ['lead.created'] }, NOW, ALLOW);
    emit(db, c.id, 'lead:twice');
    const before = received.length;
    const sent = await Promise.all([sendDueWebhooks(db, NOW, ALLOW), sendDueWebhooks(db, NOW, ALLOW)]);
    expect(sent.sort()).toEqual([0, 1]);
    expect(received.length - before).toBe(1);
  });

  it('refuse at delivery an address that became private (the check runs on the address connected to)', async () => {
    const db = freshDb();
    const { user, company: c } = company(db);
    await createEndpoint(db, user.id, { url, events: ['lead.created'] }, NOW, { allowPrivate: true });
    const before = received.length;
    emit(db, c.id, 'lead:x');
    await sendDueWebhooks(db, NOW, { allowPrivate: false, retryBaseMs: 1000 });
    expect(received.length).toBe(before);
    expect(db.select().from(webhookDeliveries).get()!.lastError).toMatch(/private address/);
  });

  it('carry new inquiries and messages of the company', async () => {
    const db = freshDb();
    const seller = company(db);
    const listing = makeListing(db, seller.company.id, { title: '供应螺纹钢' });
    await createEndpoint(db, seller.user.id, { url, events: ['inquiry.created', 'message.created'] }, NOW, ALLOW);
    const buyer = { ...makeUser(db), isAdmin: false };
    const sent = sendInquiry(db, { target: { listingId: listing.id }, user: buyer, values: { started: formStamp(db, NOW - 60_000), contactName: '李', message: '请报价，谢谢。' }, ip: '192.0.2.1', locale: 'zh-CN' }, NOW);
    replyToThread(db, sent.threadId, { userId: seller.user.id }, { message: '您好，可以供货。' }, null, NOW + 1);
    const before = received.length;
    expect(await sendDueWebhooks(db, NOW + 2, ALLOW)).toBe(2);
    const events = received.slice(before).map((r) => JSON.parse(r.body) as { event: string; data: { threadId: number } });
    expect(events.map((e) => e.event).sort()).toEqual(['inquiry.created', 'message.created']);
    expect(events.every((e) => e.data.threadId === sent.threadId)).toBe(true);
  });

  it('read through an index at every step', async () => {
    const db = freshDb();
    const { user, company: c } = company(db);
    await createEndpoint(db, user.id, { url, events: ['lead.created'] }, NOW, ALLOW);
    const seen = await statementsOf(db, async () => {
      emit(db, c.id, 'lead:plan');
      await sendDueWebhooks(db, NOW, ALLOW);
      const page = webhooksPage(db, user.id);
      webhookAction(db, user.id, { action: 'redeliver', delivery: String(page.deliveries[0]!.id) }, NOW);
    });
    expect(seen.some((q) => q.includes('"webhook_deliveries"'))).toBe(true);
    expect(unindexed(db, seen, ['webhook_deliveries', 'webhook_endpoints', 'companies'])).toEqual([]);
  });
});
