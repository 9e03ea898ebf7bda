import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/server/errors.ts';
import { addressKey, createRateLimiter } from '../../src/server/rate-limit.ts';

describe('rate limiter', () => {
  it('allows `limit` attempts per window, then refuses with the seconds left', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, clock: () => now });
    limiter.consume('a');
    limiter.consume('a');
    limiter.consume('a');
    expect(() => limiter.check('a')).toThrow(RateLimitedError);
    now += 15_500;
    try {
      limiter.consume('a');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RateLimitedError);
      expect((e as RateLimitedError).retryAfterSeconds).toBe(45);
    }
    // Other keys are not affected.
    expect(() => limiter.consume('b')).not.toThrow();
    expect(limiter.remaining('b')).toBe(2);
  });

  it('counts a call as several attempts, refusing it whole when they do not fit, and says when the window ends', () => {
    let now = 5_000;
    const limiter = createRateLimiter({ limit: 10, windowMs: 60_000, clock: () => now });
    expect(limiter.resetAt('bulk')).toBe(5_000);
    limiter.consume('bulk', now, 4);
    expect(limiter.remaining('bulk')).toBe(6);
    expect(limiter.resetAt('bulk')).toBe(65_000);
    expect(() => limiter.consume('bulk', now, 7)).toThrow(RateLimitedError);
    expect(limiter.remaining('bulk')).toBe(6);
    limiter.consume('bulk', now, 6);
    expect(limiter.remaining('bulk')).toBe(0);
    expect(() => limiter.consume('other', now, 11)).toThrow(RateLimitedError);
    now += 60_000;
    expect(limiter.remaining('bulk')).toBe(10);
  });

  it('opens again when the window ends', () => {
    let now = 0;
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000, clock: () => now });
    limiter.consume('k');
    expect(() => limiter.consume('k')).toThrow(RateLimitedError);
    now = 999;
    expect(() => limiter.check('k')).toThrow(RateLimitedError);
    now = 1000;
    expect(() => limiter.consume('k')).not.toThrow();
  });

  it('takes `now` per call as well as from the clock', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000, clock: () => 0 });
    limiter.consume('k', 5000);
    expect(() => limiter.check('k', 5500)).toThrow(RateLimitedError);
    expect(() => limiter.check('k', 6000)).not.toThrow();
  });

  it('refund gives an attempt back; reset forgets the key', () => {
    const limiter = createRateLimiter({ limit: 2, windowMs: 1000, clock: () => 0 });
    limiter.consume('k');
    limiter.consume('k');
    limiter.refund('k');
    expect(limiter.remaining('k')).toBe(1);
    limiter.consume('k');
    expect(() => limiter.check('k')).toThrow(RateLimitedError);
    limiter.reset('k');
    expect(limiter.remaining('k')).toBe(2);
  });

  it('sweeps expired windows so memory stays bounded', () => {
    let now = 0;
    const limiter = createRateLimiter({ limit: 1, windowMs: 10, clock: () => now, sweepAt: 100 });
    for (let i = 0; i < 100; i++) limiter.consume(`ip${i}`);
    now = 20;
    limiter.consume('late');
    // The sweep dropped the expired keys: their attempts are forgotten, the new one is counted.
    expect(limiter.remaining('ip0')).toBe(1);
    expect(limiter.remaining('late')).toBe(0);
  });
});

describe('addressKey', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, and counts IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:85a3:0042:1000:8a2e:0370:7334')).toBe('2001:db8:85a3:42::/64');
    expect(addressKey('2001:DB8:85a3:42::1')).toBe('2001:db8:85a3:42::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
