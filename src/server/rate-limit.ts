// A small in-memory rate limiter (fixed window per key) for one server process: enough for one SQLite-backed site
// on one machine; a cluster would need a shared store. Reusable by any concept (sign-in, registration, the JSON API).
//
//   const limiter = createRateLimiter({ limit: 5, windowMs: 15 * 60_000 });
//   limiter.check(key, now);   // throws RateLimitedError once `limit` attempts were counted in the window
//   limiter.consume(key, now); // counts one attempt; throws RateLimitedError when it goes over the limit
//   limiter.refund(key, now);  // gives one counted attempt back (count attempts up front, refund those that were fine)
//   limiter.reset(key);        // forget the key (e.g. after a successful sign-in)
import { RateLimitedError } from './errors.ts';

export interface RateLimiterOptions {
  /** Attempts allowed per window. */
  limit: number;
  windowMs: number;
  /** Where `now` comes from when a call does not pass one; tests inject their own. */
  clock?: () => number;
  /** Keys tracked before expired windows are swept (bounds memory under a flood of distinct keys). */
  sweepAt?: number;
}

export interface RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  /** Throws RateLimitedError if the key has used up its window; counts nothing. */
  check(key: string, now?: number): void;
  /** Counts one attempt (or `cost` of them); throws RateLimitedError (and counts nothing) if they do not fit in the
   *  window. */
  consume(key: string, now?: number, cost?: number): void;
  /** Gives back one attempt counted in the current window (counting up front keeps a burst of parallel requests
   *  from slipping past `check` before any of them is counted). */
  refund(key: string, now?: number): void;
  /** Attempts left in the key's current window. */
  remaining(key: string, now?: number): number;
  /** When the key's current window ends (epoch ms), or `now` when it has none. */
  resetAt(key: string, now?: number): number;
  reset(key: string): void;
}

interface Window {
  count: number;
  endsAt: number;
}

export function createRateLimiter({ limit, windowMs, clock = Date.now, sweepAt = 10_000 }: RateLimiterOptions): RateLimiter {
  if (!(limit >= 1) || !(windowMs > 0)) throw new Error('a rate limit needs limit >= 1 and windowMs > 0');
  const windows = new Map<string, Window>();

  const current = (key: string, now: number): Window | undefined => {
    const w = windows.get(key);
    if (w && w.endsAt <= now) {
      windows.delete(key);
      return undefined;
    }
    return w;
  };

  const refuse = (w: Window, now: number): never => {
    throw new RateLimitedError(Math.max(1, Math.ceil((w.endsAt - now) / 1000)));
  };

  const sweep = (now: number) => {
    for (const [key, w] of windows) if (w.endsAt <= now) windows.delete(key);
  };

  return {
    limit,
    windowMs,
    check(key, now = clock()) {
      const w = current(key, now);
      if (w && w.count >= limit) refuse(w, now);
    },
    consume(key, now = clock(), cost = 1) {
      const w = current(key, now);
      if (w) {
        if (w.count + cost > limit) refuse(w, now);
        w.count += cost;
        return;
      }
      if (cost > limit) throw new RateLimitedError(Math.ceil(windowMs / 1000));
      if (windows.size >= sweepAt) sweep(now);
      windows.set(key, { count: cost, endsAt: now + windowMs });
    },
    refund(key, now = clock()) {
      const w = current(key, now);
      if (w && --w.count <= 0) windows.delete(key);
    },
    remaining(key, now = clock()) {
      return limit - (current(key, now)?.count ?? 0);
    },
    resetAt(key, now = clock()) {
      return current(key, now)?.endsAt ?? now;
    },
    reset(key) {
      windows.delete(key);
    },
  };
}

/**
 * The key for per-address limits: an IPv4 address as it is, an IPv6 address by its /64 network (one subscriber
 * usually holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

/**
 * Progressive delays after failures (OWASP's advice for sign-in: slow the guesser down, never lock the owner out):
 * the first `free` failures of a key cost nothing, then each one makes the key wait twice as long as the last, from
 * `firstDelayMs` up to `maxDelayMs`. A key's failures are forgotten `windowMs` after its last one.
 *
 *   backoff.check(key, now);   // throws RateLimitedError while the key must still wait
 *   backoff.fail(key, now);    // counts a failure (count before the slow check, so a parallel burst is counted too)
 *   backoff.forgive(key, now); // takes one counted failure back (the attempt turned out fine)
 *   backoff.reset(key);        // forgets the key
 */
export interface Backoff {
  check(key: string, now?: number): void;
  fail(key: string, now?: number): void;
  forgive(key: string, now?: number): void;
  /** Failures counted for the key and not yet forgotten. */
  failures(key: string, now?: number): number;
  reset(key: string): void;
}

export interface BackoffOptions {
  free: number;
  firstDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  clock?: () => number;
  sweepAt?: number;
}

interface Failures {
  count: number;
  lastAt: number;
}

export function createBackoff({ free, firstDelayMs, maxDelayMs, windowMs, clock = Date.now, sweepAt = 10_000 }: BackoffOptions): Backoff {
  const keys = new Map<string, Failures>();
  const delay = (count: number) => (count <= free ? 0 : Math.min(maxDelayMs, firstDelayMs * 2 ** (count - free - 1)));
  const current = (key: string, now: number) => {
    const f = keys.get(key);
    if (f && now - f.lastAt >= windowMs) {
      keys.delete(key);
      return undefined;
    }
    return f;
  };
  return {
    check(key, now = clock()) {
      const f = current(key, now);
      const waitUntil = f ? f.lastAt + delay(f.count) : 0;
      if (waitUntil > now) throw new RateLimitedError(Math.max(1, Math.ceil((waitUntil - now) / 1000)));
    },
    fail(key, now = clock()) {
      const f = current(key, now);
      if (f) {
        f.count++;
        f.lastAt = now;
        return;
      }
      if (keys.size >= sweepAt) for (const [k, v] of keys) if (now - v.lastAt >= windowMs) keys.delete(k);
      keys.set(key, { count: 1, lastAt: now });
    },
    forgive(key, now = clock()) {
      const f = current(key, now);
      if (f && --f.count <= 0) keys.delete(key);
    },
    failures(key, now = clock()) {
      return current(key, now)?.count ?? 0;
    },
    reset(key) {
      keys.delete(key);
    },
  };
}
