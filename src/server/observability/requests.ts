// One answered request: its log line and its metrics sample. The Astro middleware (src/lib/middleware/log.ts) calls it
// for every page and endpoint; anything that answers before Astro (a page cache in front of it) calls it too, so
// every request is logged and counted once whoever answered it.
import { noteRequest } from './jobs.ts';
import { log, type Logger } from './log.ts';
import { observeRequest } from './metrics.ts';

/** Probes come every second: their lines only at debug. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export interface AnsweredRequest {
  method: string;
  /** The path without its query string (searches and links carry what people typed). */
  path: string;
  /** The route pattern (`/listing/[slug]`), so metrics have one series per route, not per URL. */
  route: string;
  status: number;
  ms: number;
  userId?: string;
}

let lines: Logger | undefined;
/**
 * Request lines hold only the fields below, none of them secret by construction, so they skip the redaction pass
 * every other line gets: it cost ~30 µs a line (measured), several times the rest of the line.
 */
const requestLog = () => (lines ??= log().child({}, { redact: [] }));

export function recordRequest({ method, path, route, status, ms, userId }: AnsweredRequest): void {
  requestLog()[PROBES.has(path) ? 'debug' : 'info']({ method, path, status, ms: Math.round(ms * 10) / 10, userId }, 'request');
  observeRequest(method, route, status, ms / 1000);
  if (!PROBES.has(path)) noteRequest();
}
