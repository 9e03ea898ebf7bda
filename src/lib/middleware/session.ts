// Who is signed in: sets locals.user for every request (null for visitors).
import { defineMiddleware } from 'astro:middleware';

export const session = defineMiddleware((context, next) => {
  context.locals.user = null;
  return next();
});
