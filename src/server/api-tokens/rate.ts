// How often one API token may call the write endpoints: enough for a nightly sync of a whole catalogue, not enough
// for a runaway loop to flood the site's listings.
import { RateLimitedError } from '../errors.ts';

export const API_RATE = { limit: 120, windowMs: 60_000 };

// Fixed windows per token, in this process's memory: the site runs as one process, and a restart forgiving the
// current minute is harmless.
const windows = new Map<number, { start: number; count: number }>();

/** Counts one request of the token, or throws RateLimitedError with the seconds until its window ends. */
export function consumeApiRate(tokenId: number, now: number, rate = API_RATE): void {
  let w = windows.get(tokenId);
  if (!w || now - w.start >= rate.windowMs) {
    if (windows.size > 10_000) windows.clear();
    w = { start: now, count: 0 };
    windows.set(tokenId, w);
  }
  if (w.count >= rate.limit) throw new RateLimitedError(Math.max(1, Math.ceil((w.start + rate.windowMs - now) / 1000)));
  w.count++;
}
