// The database store of rate limits (RATE_LIMIT_STORE=sqlite): the limiter and backoff behave as with the memory
// store, and two connections to one database file (two app processes) count one limit together.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rateLimits } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { RateLimitedError } from '../../src/server/errors.ts';
import { createBackoff, createRateLimiter, memoryRateLimitStore, sqliteRateLimitStore, type RateLimitStore } from '../../src/server/rate-limit.ts';
import { freshDb, tempDir } from '../helpers/db.ts';

const retryAfter = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RateLimitedError);
    return (e as RateLimitedError).retryAfterSeconds;
  }
  throw new Error('not refused');
};

describe.each([
  ['database', () => sqliteRateLimitStore(freshDb({ seed: false }))],
  ['memory', () => memoryRateLimitStore()],
] as [string, () => RateLimitStore][])('rate limits in the %s store', (_name, makeStore) => {
  it('allow `limit` attempts per window (a call may cost several), then refuse with the seconds left; a new window opens', () => {
    const store = makeStore();
    const limiter = createRateLimiter({ name: 'api', store, limit: 3, windowMs: 60_000 });
    limiter.consume('a', 1_000, 2);
    expect(limiter.remaining('a', 1_000)).toBe(1);
    expect(retryAfter(() => limiter.consume('a', 16_500, 2))).toBe(45);
    limiter.consume('a', 16_500);
    expect(retryAfter(() => limiter.check('a', 30_000))).toBe(31);
    expect(limiter.resetAt('a', 30_000)).toBe(61_000);
    // Other keys and other limiters with the same key are apart.
    expect(limiter.remaining('b', 30_000)).toBe(3);
    expect(createRateLimiter({ name: 'other', store, limit: 3, windowMs: 60_000 }).remaining('a', 30_000)).toBe(3);
    expect(() => limiter.consume('a', 61_000, 3)).not.toThrow();
  });

  it('refund gives an attempt back; reset forgets the key', () => {
    const limiter = createRateLimiter({ name: 'signin', store: makeStore(), limit: 2, windowMs: 1000 });
    limiter.consume('k', 0);
    limiter.consume('k', 0);
    limiter.refund('k', 0);
    expect(limiter.remaining('k', 0)).toBe(1);
    limiter.consume('k', 0);
    expect(() => limiter.check('k', 0)).toThrow(RateLimitedError);
    limiter.reset('k');
    expect(limiter.remaining('k', 0)).toBe(2);
  });

  it('backoff: free failures, then doubling delays counted from the last failure, forgotten a window after it', () => {
    const backoff = createBackoff({ name: 'pair', store: makeStore(), free: 1, firstDelayMs: 1000, maxDelayMs: 4000, windowMs: 60_000 });
    backoff.fail('p', 0);
    expect(() => backoff.check('p', 0)).not.toThrow();
    backoff.fail('p', 10_000);
    expect(retryAfter(() => backoff.check('p', 10_000))).toBe(1);
    expect(() => backoff.check('p', 11_000)).not.toThrow();
    backoff.fail('p', 11_000);
    expect(retryAfter(() => backoff.check('p', 11_500))).toBe(2);
    backoff.forgive('p', 11_500);
    expect(backoff.failures('p', 11_500)).toBe(2);
    expect(backoff.failures('p', 71_000)).toBe(0);
  });
});

describe('the database store', () => {
  it('is one limit for two connections to the same file, as for two app processes', () => {
    const file = path.join(tempDir(), 'site.db');
    const [one, two] = [openDatabase(file), openDatabase(file)];
    try {
      const nodes = [one, two].map((db) => createRateLimiter({ name: 'api', store: sqliteRateLimitStore(db), limit: 5, windowMs: 60_000 }));
      let accepted = 0;
      for (let i = 0; i < 10; i++) {
        try {
          nodes[i % 2]!.consume('token-1', 1_000);
          accepted++;
        } catch (e) {
          expect(e).toBeInstanceOf(RateLimitedError);
        }
      }
      expect(accepted).toBe(5);
      expect(nodes[0]!.remaining('token-1', 1_000)).toBe(0);
      nodes[1]!.refund('token-1', 1_000);
      expect(nodes[0]!.remaining('token-1', 1_000)).toBe(1);
    } finally {
      one.$client.close();
      two.$client.close();
    }
  });

  it('deletes the rows of ended windows as it goes', () => {
    const db = freshDb({ seed: false });
    const limiter = createRateLimiter({ name: 'ip', store: sqliteRateLimitStore(db), limit: 1, windowMs: 1000 });
    for (let i = 0; i < 50; i++) limiter.consume(`203.0.113.${i}`, 0);
    expect(db.select().from(rateLimits).all()).toHaveLength(50);
    limiter.consume('late', 120_000);
    expect(db.select().from(rateLimits).all()).toEqual([{ key: 'ip:late', count: 1, endsAt: 121_000 }]);
  });
});
