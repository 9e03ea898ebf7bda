// The reader's locale and translator for this request.
import { defineMiddleware } from 'astro:middleware';
import { DEFAULT_LOCALE, translator } from '../../server/i18n/index.ts';

export const locale = defineMiddleware((context, next) => {
  context.locals.locale = DEFAULT_LOCALE;
  context.locals.t = translator(DEFAULT_LOCALE);
  return next();
});
