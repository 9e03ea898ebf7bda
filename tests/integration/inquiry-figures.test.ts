// Response figures come from the threads: share answered and median first reply over 90 days, held and pending
// threads left out.
import { describe, expect, it } from 'vitest';
import { inquiryThreads } from '../../db/schema.ts';
import { responseFigures, durationParts } from '../../src/server/inquiries/figures.ts';
import { DAY, freshDb, makeCompany } from '../helpers/db.ts';

const NOW = Date.UTC(2026, 10, 30, 4);
const HOUR = 3_600_000;
const db = freshDb();
const company = makeCompany(db);

function thread(createdAt: number, firstReplyAt: number | null, status: 'open' | 'held' | 'pending' = 'open') {
  db.insert(inquiryThreads)
    .values({ kind: 'inquiry', status, companyId: company.id, askerName: 'x', askerEmail: 'x@example.com', messageHash: 'h', createdAt, lastMessageAt: createdAt, firstReplyAt })
    .run();
}

describe('response figures', () => {
  it('none without inquiries', () => {
    expect(responseFigures(db, company.id, NOW)).toEqual({ received: 0, rate: null, medianReplyMs: null });
  });

  it('the share answered and the median first reply of the last 90 days', () => {
    thread(NOW - 1 * DAY, NOW - 1 * DAY + 1 * HOUR);
    thread(NOW - 2 * DAY, NOW - 2 * DAY + 3 * HOUR);
    thread(NOW - 3 * DAY, NOW - 3 * DAY + 10 * HOUR);
    thread(NOW - 4 * DAY, null);
    thread(NOW - 91 * DAY, null); // outside the window
    thread(NOW - 1 * DAY, null, 'held');
    thread(NOW - 1 * DAY, null, 'pending');
    expect(responseFigures(db, company.id, NOW)).toEqual({ received: 4, rate: 0.75, medianReplyMs: 3 * HOUR });
    thread(NOW - 5 * DAY, NOW - 5 * DAY + 5 * HOUR);
    expect(responseFigures(db, company.id, NOW).medianReplyMs).toBe(4 * HOUR);
  });

  it('reads a duration as people say it', () => {
    expect(durationParts(20_000)).toEqual({ unit: 'minutes', n: 1 });
    expect(durationParts(90 * 60_000)).toEqual({ unit: 'hours', n: 2 });
    expect(durationParts(3 * DAY)).toEqual({ unit: 'days', n: 3 });
  });
});
