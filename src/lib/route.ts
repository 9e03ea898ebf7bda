// The edge between pages and the domain: typed domain errors become HTTP answers here and nowhere else.
import { getDb, type Db } from '../server/db.ts';
import { GoneError, NotFoundError } from '../server/errors.ts';
import { parsePage } from '../server/pagination.ts';

/**
 * Runs one domain call. A NotFoundError becomes an empty 404, which Astro answers with the 404 page; a GoneError an
 * empty 410, which the page itself dresses.
 */
export function load<T>(call: (db: Db, now: number) => T): T | Response {
  try {
    return call(getDb(), Date.now());
  } catch (e) {
    if (e instanceof NotFoundError) return new Response(null, { status: 404 });
    if (e instanceof GoneError) return new Response(null, { status: 410 });
    throw e;
  }
}

/** `?page=N` of a list; `?page=1` redirects to the bare URL so one page has one address. */
export function pageParam(url: URL): number | Response {
  const raw = url.searchParams.get('page');
  const page = parsePage(raw);
  if (page === null) return new Response(null, { status: 404 });
  if (raw === '1') {
    const bare = new URL(url);
    bare.searchParams.delete('page');
    return new Response(null, { status: 301, headers: { Location: bare.pathname + bare.search } });
  }
  return page;
}
