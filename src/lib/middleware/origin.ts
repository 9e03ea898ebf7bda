// Refuses cross-site writes (the rule and why: ../cross-site.ts).
import { defineMiddleware } from 'astro:middleware';
import { isForbiddenCrossSiteWrite } from '../cross-site.ts';

export const origin = defineMiddleware((context, next) => {
  if (isForbiddenCrossSiteWrite(context.request, context.url)) {
    return new Response(context.locals.t('security.crossSite'), {
      status: 403,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  return next();
});
