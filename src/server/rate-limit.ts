// Rate limits (fixed window per key) and progressive delays, reusable by any concept (sign-in, registration, the JSON
// API). A limiter with a name counts in the process's configured store: in memory (RATE_LIMIT_STORE=memory, one app
// process), or in the database (sqlite), so every app process on one database enforces one limit together. A Redis
// store would implement the same RateLimitStore (docs/scaling.md). A limiter without a name keeps its own memory.
//
//   const limiter = createRateLimiter({ name: 'signin-ip', limit: 5, windowMs: 15 * 60_000 });
//   limiter.check(key, now);   // throws RateLimitedError once `limit` attempts were counted in the window
//   limiter.consume(key, now); // counts one attempt; throws RateLimitedError when it goes over the limit
//   limiter.refund(key, now);  // gives one counted attempt back (count attempts up front, refund those that were fine)
//   limiter.reset(key);        // forget the key (e.g. after a successful sign-in)
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import { rateLimits } from '../../db/schema.ts';
import { config } from './config.ts';
import { getDb, type Db } from './db.ts';
import { RateLimitedError } from './errors.ts';

/** A key's count and when its window ends (epoch ms). */
export interface RateWindow {
  count: number;
  endsAt: number;
}

/** Where the counts live. Every operation is atomic on its own, so processes sharing a store share each limit. */
export interface RateLimitStore {
  /** The key's live window (undefined when it has none, or it ended). */
  get(key: string, now: number): RateWindow | undefined;
  /**
   * Counts `cost` more: a key without a live window starts one (`cost`, ending `windowMs` from now); a live one takes
   * the cost if its count stays within `limit`, and with `slide` its end moves to `windowMs` from now. Returns the
   * window after, or undefined when the cost did not fit (then nothing was counted).
   */
  add(key: string, cost: number, window: { limit: number; windowMs: number; slide?: boolean }, now: number): RateWindow | undefined;
  /** Takes one back from a live window; the key is forgotten at zero. */
  takeBack(key: string, now: number): void;
  delete(key: string): void;
}

/** Counts in this process's memory; ended windows are swept once `sweepAt` keys are held (a flood of distinct keys). */
export function memoryRateLimitStore(sweepAt = 10_000): RateLimitStore {
  const windows = new Map<string, RateWindow>();
  const live = (key: string, now: number) => {
    const w = windows.get(key);
    if (w && w.endsAt <= now) {
      windows.delete(key);
      return undefined;
    }
    return w;
  };
  return {
    get: live,
    add(key, cost, { limit, windowMs, slide }, now) {
      const w = live(key, now);
      if (w) {
        if (w.count + cost > limit) return undefined;
        w.count += cost;
        if (slide) w.endsAt = now + windowMs;
        return { ...w };
      }
      if (windows.size >= sweepAt) for (const [k, old] of windows) if (old.endsAt <= now) windows.delete(k);
      windows.set(key, { count: cost, endsAt: now + windowMs });
      return { count: cost, endsAt: now + windowMs };
    },
    takeBack(key, now) {
      const w = live(key, now);
      if (w && --w.count <= 0) windows.delete(key);
    },
    delete(key) {
      windows.delete(key);
    },
  };
}

/** How often the database store deletes the rows of ended windows. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Counts in the database (table rate_limits): every app process on this database shares them, and they outlive a
 * restart. Each count is one upsert, so two processes counting at once never both take the last attempt.
 */
export function sqliteRateLimitStore(db: Db): RateLimitStore {
  let sweepAt = 0;
  const liveWindowOf = (key: string, now: number) => and(eq(rateLimits.key, key), gt(rateLimits.endsAt, now));
  return {
    get(key, now) {
      return db
        .select({ count: rateLimits.count, endsAt: rateLimits.endsAt })
        .from(rateLimits)
        .where(liveWindowOf(key, now))
        .get();
    },
    add(key, cost, { limit, windowMs, slide = false }, now) {
      if (now >= sweepAt) {
        sweepAt = now + SWEEP_EVERY_MS;
        db.delete(rateLimits).where(lte(rateLimits.endsAt, now)).run();
      }
      const ended = sql`${rateLimits.endsAt} <= ${now}`;
      return db
        .insert(rateLimits)
        .values({ key, count: cost, endsAt: now + windowMs })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: {
            count: sql`CASE WHEN ${ended} THEN ${cost} ELSE ${rateLimits.count} + ${cost} END`,
            endsAt: sql`CASE WHEN ${ended} OR ${slide ? 1 : 0} THEN ${now + windowMs} ELSE ${rateLimits.endsAt} END`,
          },
          // Not in the window's limit: no row changes, none is returned.
          setWhere: sql`${ended} OR ${rateLimits.count} + ${cost} <= ${Math.min(limit, Number.MAX_SAFE_INTEGER)}`,
        })
        .returning({ count: rateLimits.count, endsAt: rateLimits.endsAt })
        .get();
    },
    takeBack(key, now) {
      db.transaction(() => {
        db.update(rateLimits).set({ count: sql`${rateLimits.count} - 1` }).where(liveWindowOf(key, now)).run();
        db.delete(rateLimits).where(and(eq(rateLimits.key, key), lte(rateLimits.count, 0))).run();
      });
    },
    delete(key) {
      db.delete(rateLimits).where(eq(rateLimits.key, key)).run();
    },
  };
}

// The configured store of each database a limiter names (and of the process's own, for limiters that name none).
const configured = new WeakMap<object, RateLimitStore>();
const PROCESS_DATABASE = {};

/** The store named limiters count in: RATE_LIMIT_STORE, in the database when it is `sqlite` (the process's own by default). */
export function rateLimitStore(db?: Db): RateLimitStore {
  const owner = db ?? PROCESS_DATABASE;
  let store = configured.get(owner);
  if (!store) {
    store = config().RATE_LIMIT_STORE === 'sqlite' ? sqliteRateLimitStore(db ?? getDb()) : memoryRateLimitStore();
    configured.set(owner, store);
  }
  return store;
}

interface StoreOptions {
  /**
   * The limiter's name, unique in the site: its keys are kept under it in the configured store of `db` (shared by
   * every app process on that database when RATE_LIMIT_STORE=sqlite). Without a name the limiter counts in a memory
   * store of its own.
   */
  name?: string;
  /** The database whose store a named limiter counts in; the process's own (getDb) when not given. */
  db?: Db;
  /** A store to count in instead of the configured one (tests). */
  store?: RateLimitStore;
  /** Where `now` comes from when a call does not pass one; tests inject their own. */
  clock?: () => number;
  /** An unnamed limiter's own memory: keys held before ended windows are swept. */
  sweepAt?: number;
}

/** The limiter's store, looked up on each call (the configured one is chosen once the process has its settings). */
function storeOf({ name, db, store, sweepAt }: Omit<StoreOptions, 'clock'>): { store: () => RateLimitStore; key: (key: string) => string } {
  const key = name === undefined ? (k: string) => k : (k: string) => `${name}:${k}`;
  if (store) return { store: () => store, key };
  if (name === undefined) {
    const own = memoryRateLimitStore(sweepAt);
    return { store: () => own, key };
  }
  return { store: () => rateLimitStore(db), key };
}

export interface RateLimiterOptions extends StoreOptions {
  /** Attempts allowed per window. */
  limit: number;
  windowMs: number;
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

const refuse = (until: number, now: number): never => {
  throw new RateLimitedError(Math.max(1, Math.ceil((until - now) / 1000)));
};

export function createRateLimiter({ limit, windowMs, clock = Date.now, ...options }: RateLimiterOptions): RateLimiter {
  if (!(limit >= 1) || !(windowMs > 0)) throw new Error('a rate limit needs limit >= 1 and windowMs > 0');
  const { store, key: keyOf } = storeOf(options);
  return {
    limit,
    windowMs,
    check(key, now = clock()) {
      const w = store().get(keyOf(key), now);
      if (w && w.count >= limit) refuse(w.endsAt, now);
    },
    consume(key, now = clock(), cost = 1) {
      if (cost > limit) refuse(now + windowMs, now);
      if (!store().add(keyOf(key), cost, { limit, windowMs }, now)) refuse(store().get(keyOf(key), now)?.endsAt ?? now + windowMs, now);
    },
    refund(key, now = clock()) {
      store().takeBack(keyOf(key), now);
    },
    remaining(key, now = clock()) {
      return limit - (store().get(keyOf(key), now)?.count ?? 0);
    },
    resetAt(key, now = clock()) {
      return store().get(keyOf(key), now)?.endsAt ?? now;
    },
    reset(key) {
      store().delete(keyOf(key));
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
 * `firstDelayMs` up to `maxDelayMs`. A key's failures are forgotten `windowMs` after its last one (a window that
 * slides with each failure, so the store keeps the last failure's time as the window's end minus `windowMs`).
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

export interface BackoffOptions extends StoreOptions {
  free: number;
  firstDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

export function createBackoff({ free, firstDelayMs, maxDelayMs, windowMs, clock = Date.now, ...options }: BackoffOptions): Backoff {
  const { store, key: keyOf } = storeOf(options);
  const delay = (count: number) => (count <= free ? 0 : Math.min(maxDelayMs, firstDelayMs * 2 ** (count - free - 1)));
  return {
    check(key, now = clock()) {
      const f = store().get(keyOf(key), now);
      const waitUntil = f ? f.endsAt - windowMs + delay(f.count) : 0;
      if (waitUntil > now) refuse(waitUntil, now);
    },
    fail(key, now = clock()) {
      store().add(keyOf(key), 1, { limit: Infinity, windowMs, slide: true }, now);
    },
    forgive(key, now = clock()) {
      store().takeBack(keyOf(key), now);
    },
    failures(key, now = clock()) {
      return store().get(keyOf(key), now)?.count ?? 0;
    },
    reset(key) {
      store().delete(keyOf(key));
    },
  };
}
