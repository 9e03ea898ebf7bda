// @ts-check
// `astro build` also compiles scripts/start.ts into dist/server/start.mjs, which `npm start` / `npm run serve` run with
// plain node. Under tsx, the server process held two extra costs: tsx's loader, and drizzle-orm read through Node's
// ES module loader, which re-reads drizzle's 180 KB package.json for each of its ~400 files and leaves the heap at
// ~180 MB after start-up. Compiled, with drizzle-orm inside the bundle (as in Astro's own, see astro.config.mjs),
// the server's resident memory is about half of what it was.
import { build } from 'esbuild';

/** Packages compiled into the bundle; every other package is imported from node_modules at run time. */
export const BUNDLED_PACKAGES = ['drizzle-orm'];

/** @type {import('esbuild').Plugin} */
const externals = {
  name: 'externals',
  setup(b) {
    // start.ts imports the built server from dist/; the bundle sits beside it.
    b.onResolve({ filter: /\/dist\/server\/entry\.mjs$/ }, () => ({ path: './entry.mjs', external: true }));
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.some((p) => args.path === p || args.path.startsWith(`${p}/`)) ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Compiles scripts/start.ts (and what it imports from src/) to dist/server/start.mjs, with what it imports only on
 * demand (the preparation) in chunks beside it.
 */
export async function bundleStart(outdir = 'dist/server') {
  await build({
    // The search rebuild's reader thread is a file of its own (src/server/search/rebuild-rows.ts looks for it here).
    entryPoints: { start: 'scripts/start.ts', 'search-rebuild-worker': 'src/server/search/rebuild-worker.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'start-chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    plugins: [externals],
    logLevel: 'warning',
  });
}

/** The Astro integration: runs after the server is built, so `astro build` alone leaves a runnable dist/. */
export function startBundle() {
  return {
    name: 'start-bundle',
    hooks: {
      'astro:build:done': async (/** @type {{ logger: { info: (m: string) => void } }} */ { logger }) => {
        await bundleStart();
        logger.info('dist/server/start.mjs written (npm run serve runs it)');
      },
    },
  };
}
