// One log line and one metrics sample per request, and the request's id: taken from a trusted proxy's X-Request-Id
// or made here, sent back in X-Request-Id and written on every log line made while the request is answered. The path
// is logged without its query string (searches and links carry what people typed).
import { defineMiddleware } from 'astro:middleware';
import { config } from '../../server/config.ts';
import { inRequest, log as logger, requestIdFrom } from '../../server/observability/log.ts';
import { observeRequest } from '../../server/observability/metrics.ts';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export const log = defineMiddleware((context, next) => {
  const { request } = context;
  const requestId = requestIdFrom(request.headers.get('x-request-id'), config().TRUST_PROXY);
  const started = performance.now();
  return inRequest(requestId, async () => {
    let status = 500;
    try {
      let response = await next();
      status = response.status;
      try {
        response.headers.set('X-Request-Id', requestId);
      } catch {
        // Response.redirect() has immutable headers.
        response = new Response(response.body, response);
        response.headers.set('X-Request-Id', requestId);
      }
      return response;
    } finally {
      // Streamed bodies (sitemaps) are still being sent: the duration is the time until the headers.
      const ms = performance.now() - started;
      // Probes come every second: their lines only at debug.
      logger()[PROBES.has(context.url.pathname) ? 'debug' : 'info'](
        { method: request.method, path: context.url.pathname, status, ms: Math.round(ms * 10) / 10, userId: context.locals.user?.id },
        'request',
      );
      observeRequest(request.method, context.routePattern, status, ms / 1000);
    }
  });
});
