/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    locale: import('./server/i18n/index.ts').Locale;
    t: import('./server/i18n/index.ts').Translate;
  }
}
