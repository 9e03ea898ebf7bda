// Request bodies of pages (the JSON API bounds its own, in ../api.ts): a declared length over the route's limit is
// answered 413 before anything reads a byte; a body found too large or malformed while a page reads it (BodyError
// from ../body.ts) becomes a 413 or 400 page instead of a 500.
import { defineMiddleware } from 'astro:middleware';
import { BodyError, bodyLimitFor, declaresTooMuch } from '../body.ts';
import { bodyErrorResponse } from '../route.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const body = defineMiddleware(async (context, next) => {
  if (SAFE_METHODS.has(context.request.method) || context.url.pathname.startsWith('/api/')) return next();
  const limits = bodyLimitFor(context.url.pathname);
  if (declaresTooMuch(context.request, limits)) return bodyErrorResponse(new BodyError(413, limits.maxBytes), limits);
  try {
    return await next();
  } catch (e) {
    if (e instanceof BodyError) return bodyErrorResponse(e, limits);
    throw e;
  }
});
