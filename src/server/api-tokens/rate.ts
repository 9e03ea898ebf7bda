// How often one API token may call the write endpoints: enough for a nightly sync of a whole catalogue, not enough
// for a runaway loop to flood the site's listings. Counted per token with the site's shared rate limiter.
import { createRateLimiter } from '../rate-limit.ts';

export const apiRateLimiter = createRateLimiter({ limit: 120, windowMs: 60_000 });

/** Counts one request of the token, or throws RateLimitedError with the seconds until its window ends. */
export function consumeApiRate(tokenId: number, now: number): void {
  apiRateLimiter.consume(`api-token:${tokenId}`, now);
}
