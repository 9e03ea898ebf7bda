/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    locale: import('./server/i18n/index.ts').Locale;
    t: import('./server/i18n/index.ts').Translate;
    /** A root path as this reader's locale has it: `/dashboard` is `/en/dashboard` for an English reader. */
    href: (path: string) => string;
    /** The signed-in user, or null for a visitor. */
    user: import('./server/auth/user.ts').SessionUser | null;
  }
}
