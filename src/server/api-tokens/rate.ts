// How often one API token may call the write endpoints: enough for a nightly sync of a whole catalogue, not enough
// for a runaway loop to flood the site's listings. Counted per token with the site's shared rate limiter; a bulk
// call counts as one request per BULK_ITEMS_PER_REQUEST items, so a catalogue costs the same whichever way it is sent.
import { createRateLimiter } from '../rate-limit.ts';

export const apiRateLimiter = createRateLimiter({ name: 'api-token', limit: 120, windowMs: 60_000 });

/** A bulk call of n items counts as ceil(n / 100) requests. */
export const BULK_ITEMS_PER_REQUEST = 100;

export interface ApiRateState {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the full limit is back. */
  resetSeconds: number;
  windowSeconds: number;
}

const keyOf = (tokenId: number) => `api-token:${tokenId}`;

/** Counts `cost` requests of the token, or throws RateLimitedError with the seconds until its window ends. */
export function consumeApiRate(tokenId: number, now: number, cost = 1): void {
  apiRateLimiter.consume(keyOf(tokenId), now, cost);
}

/** Where the token stands, for the RateLimit-* headers of every answer. */
export function apiRateState(tokenId: number, now: number): ApiRateState {
  const key = keyOf(tokenId);
  return {
    limit: apiRateLimiter.limit,
    remaining: Math.max(0, apiRateLimiter.remaining(key, now)),
    resetSeconds: Math.max(0, Math.ceil((apiRateLimiter.resetAt(key, now) - now) / 1000)),
    windowSeconds: apiRateLimiter.windowMs / 1000,
  };
}
