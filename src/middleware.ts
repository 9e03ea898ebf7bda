// Every request passes these in order; each concern lives in its own file under src/lib/middleware/.
import { sequence } from 'astro:middleware';
import { body } from './lib/middleware/body.ts';
import { cache } from './lib/middleware/cache.ts';
import { headers, transportSecurity } from './lib/middleware/headers.ts';
import { jobs } from './lib/middleware/jobs.ts';
import { locale } from './lib/middleware/locale.ts';
import { log } from './lib/middleware/log.ts';
import { origin } from './lib/middleware/origin.ts';
import { session } from './lib/middleware/session.ts';

// log first: it times and counts everything after it, page-cache hits included.
export const onRequest = sequence(log, transportSecurity, cache, headers, jobs, locale, origin, body, session);
