/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    locale: import('./server/i18n/index.ts').Locale;
    t: import('./server/i18n/index.ts').Translate;
    /** The signed-in user, or null for a visitor. */
    user: import('./server/auth/user.ts').SessionUser | null;
  }
}
