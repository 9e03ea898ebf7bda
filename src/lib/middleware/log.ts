// The request's id, taken from a trusted proxy's X-Request-Id or made here, sent back in X-Request-Id and written on
// every log line made while the request is answered; then one log line and one metrics sample for the request.
import { defineMiddleware } from 'astro:middleware';
import { config } from '../../server/config.ts';
import { inRequest, requestIdFrom } from '../../server/observability/log.ts';
import { recordRequest } from '../../server/observability/requests.ts';

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
      recordRequest({
        method: request.method,
        path: context.url.pathname,
        route: context.routePattern,
        status,
        ms: performance.now() - started,
        userId: context.locals.user?.id,
      });
    }
  });
});
