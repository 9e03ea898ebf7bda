// Freshness: the reminder three days before expiry (mail and the listing.expiring webhook, once per period), the
// signed one-click renewal, stale and forged links, and the query plan of the reminder's scan.
import { describe, expect, it } from 'vitest';
import { mailOutbox, webhookDeliveries } from '../../db/schema.ts';
import { confirmStillAvailable, daysSinceConfirmed, remindExpiring } from '../../src/server/freshness/index.ts';
import { createListing } from '../../src/server/listings/write.ts';
import { createEndpoint } from '../../src/server/webhooks/index.ts';
import { DAY, freshDb, makeCompany, makeListing, makeUser } from '../helpers/db.ts';
import { invalidFields } from '../helpers/errors.ts';
import { statementsOf, unindexed } from '../helpers/plans.ts';

const NOW = Date.now();

describe('expiry reminders', () => {
  it('remind once three days ahead, with a one-click link that renews, then again before the new expiry', async () => {
    const db = freshDb();
    const owner = makeUser(db);
    makeCompany(db, { ownerId: owner.id });
    await createEndpoint(db, owner.id, { url: 'http://127.0.0.1:9/hook', events: ['listing.expiring'] }, NOW, { allowPrivate: true });
    const post = (title: string, at: number) => createListing(db, owner.id, { kind: 'supply', category: 'rebar', region: 'donghu', title, validityDays: '7' }, at);
    const soon = post('HRB400螺纹钢 即将到期', NOW - 5 * DAY); // expires in 2 days
    const later = post('HRB400螺纹钢 下周到期', NOW); // expires in 7 days
    expect(remindExpiring(db, NOW)).toBe(1);
    expect(remindExpiring(db, NOW + 60_000)).toBe(0);
    const mails = () => db.select().from(mailOutbox).all();
    expect(mails().map((m) => m.subject)).toEqual(['您的信息“HRB400螺纹钢 即将到期”将在 3 天后到期']);
    expect(db.select().from(webhookDeliveries).all().map((d) => d.event)).toEqual(['listing.expiring']);
    const link = new URL(/https?:\/\/\S+still-available\S+/.exec(mails()[0]!.text)![0]);
    const input = Object.fromEntries(link.searchParams);

    expect(invalidFields(() => confirmStillAvailable(db, { ...input, s: input.s!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, NOW))).toEqual({ _: 'freshness.badLink' });
    expect(invalidFields(() => confirmStillAvailable(db, { l: 'x' }, NOW))).toBeTruthy();
    const done = confirmStillAvailable(db, input, NOW + 1000);
    expect(done.renewed).toBe(true);
    expect(done.listing.expiresAt).toBe(NOW + 1000 + 7 * DAY);
    expect(confirmStillAvailable(db, input, NOW + 2000).renewed).toBe(false); // the old period's link

    // Four days on, both are inside the horizon: the renewed one is reminded for its new expiry, the other for its first.
    expect(remindExpiring(db, NOW + 4.5 * DAY)).toBe(2);
    const keys = mails().map((m) => m.subject).sort();
    expect(keys).toEqual(['您的信息“HRB400螺纹钢 下周到期”将在 3 天后到期', '您的信息“HRB400螺纹钢 即将到期”将在 3 天后到期', '您的信息“HRB400螺纹钢 即将到期”将在 3 天后到期'].sort());
    expect(later.id).toBeGreaterThan(soon.id);
    expect(daysSinceConfirmed(NOW - 3 * DAY - 1, NOW)).toBe(3);
    expect(daysSinceConfirmed(NOW, NOW)).toBe(0);
  });

  it('reminds each of many listings sharing one expiry to the millisecond (a bulk import) once, across batches', () => {
    const db = freshDb();
    const owner = makeUser(db);
    const company = makeCompany(db, { ownerId: owner.id });
    const expiresAt = NOW + 2 * DAY;
    for (let i = 0; i < 120; i++) makeListing(db, company.id, { title: `导入的螺纹钢 第${i}号`, expiresAt });
    expect(remindExpiring(db, NOW)).toBe(120);
    expect(new Set(db.select().from(mailOutbox).all().map((m) => m.idempotencyKey)).size).toBe(120);
    expect(remindExpiring(db, NOW + 60_000)).toBe(0);
  });

  it('reads the horizon through the expiry index', async () => {
    const db = freshDb();
    const owner = makeUser(db);
    makeCompany(db, { ownerId: owner.id });
    createListing(db, owner.id, { kind: 'supply', category: 'rebar', region: 'donghu', title: '螺纹钢现货供应', validityDays: '7' }, NOW - 5 * DAY);
    const seen = await statementsOf(db, () => remindExpiring(db, NOW));
    expect(seen.some((q) => q.includes('"expires_at"'))).toBe(true);
    expect(unindexed(db, seen, ['listings', 'companies', 'webhook_endpoints'])).toEqual([]);
  });
});
