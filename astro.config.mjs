// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import { BUNDLED_PACKAGES, startBundle } from './scripts/lib/bundle-start.mjs';

// The public origin is a runtime setting (SITE_URL, read by src/server/config.ts), so canonical links follow the
// deployment without a rebuild. allowedDomains stops a spoofed X-Forwarded-Host from reaching Astro.url.
const siteHost = (() => {
  try {
    return new URL(process.env.SITE_URL ?? 'http://localhost:4321').hostname;
  } catch {
    return 'localhost';
  }
})();

export default defineConfig({
  output: 'server',
  // One ceiling for every request body (the adapter's default is 1 GiB): the largest route's limit, the listing form's
  // eight photos (LARGEST_BODY_BYTES in src/lib/body.ts, which also holds each route's own, smaller limit).
  adapter: node({ mode: 'standalone', bodySizeLimit: 81 * 1024 * 1024 }),
  server: { port: 4321 },
  security: {
    // Our own middleware (src/lib/middleware/origin.ts) checks the Origin, with an exception for bearer-token API calls.
    checkOrigin: false,
    allowedDomains: [{ hostname: siteHost }, { hostname: 'localhost' }, { hostname: '127.0.0.1' }],
  },
  compressHTML: true,
  trailingSlash: 'never',
  build: { inlineStylesheets: 'always' },
  devToolbar: { enabled: false },
  integrations: [startBundle()],
  vite: {
    // drizzle-orm is compiled in: read through Node's module loader it costs the server ~100 MB of memory (see
    // scripts/lib/bundle-start.mjs, which does the same for the start script).
    ssr: { external: ['better-sqlite3'], noExternal: BUNDLED_PACKAGES },
    // Scripts always ship as files: the CSP allows script-src 'self' only, and Astro would inline small ones.
    build: { assetsInlineLimit: 0 },
  },
});
