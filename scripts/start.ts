// `npm start` / `npm run serve`: check the settings and the data folder, migrate, seed, then serve the built site.
// `astro build` compiles this file to dist/server/start.mjs (scripts/lib/bundle-start.mjs), which those commands run
// with plain node; `npm run dev` runs it with tsx.
// With --prepare-only it stops before serving (`npm run dev` uses that ahead of Astro's dev server).
import type { IncomingMessage, Server } from 'node:http';
import net from 'node:net';
import { prepareSite } from '../src/server/bootstrap.ts';
import { config } from '../src/server/config.ts';
import { sendHstsOverHttps } from '../src/lib/hsts.ts';
import { serveCachedPagesFirst } from '../src/lib/page-cache.ts';
import { closeDb, getDb } from '../src/server/db.ts';
import { log, routeConsole } from '../src/server/observability/log.ts';
import { runCli, UsageError } from './lib/cli.ts';
import { handleShutdown } from './lib/shutdown.ts';

await runCli(async () => {
  const cfg = config();
  routeConsole();
  const started = Date.now();
  const { demo } = prepareSite(getDb(), cfg);
  if (demo) log().info({ ...demo, ms: Date.now() - started }, 'seeded demo data');
  // The built server opens its own connection: this one's page cache (up to 64 MiB after preparing a large
  // database) would only add to the server's memory.
  closeDb();
  if (process.argv.includes('--prepare-only')) return;
  await assertPortFree(cfg.HOST, cfg.PORT);
  // The standalone server reads these itself.
  process.env.PORT = String(cfg.PORT);
  process.env.HOST = cfg.HOST;
  // Started here rather than on import, so the server's requests can be seen before Astro reads them.
  process.env.ASTRO_NODE_AUTOSTART = 'disabled';
  // Astro's "Server listening" line is plain text; ours below says the same as a log line.
  process.env.ASTRO_NODE_LOGGING = 'disabled';
  let entry: { startServer: () => { server: { server: Server } } };
  try {
    // @ts-ignore: the build output exists only after `astro build`.
    entry = await import('../dist/server/entry.mjs');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new UsageError('The site is not built yet: run `npm run build` first (`npm start` does both).');
  }
  const { server } = entry.startServer();
  if (!cfg.TRUST_PROXY) server.server.prependListener('request', dropForwardedHeaders);
  // Kept public pages (listing pages too, their views counted) are answered before Astro's handler runs.
  serveCachedPagesFirst(server.server);
  // The address people open (SITE_URL, by default http://localhost:<PORT>), beside where the socket listens.
  server.server.once('listening', () => log().info({ host: cfg.HOST, port: cfg.PORT, url: cfg.SITE_URL }, `serving ${cfg.SITE_URL}`));
  process.once('exit', (code) => log().info({ code }, 'stopped'));
  sendHstsOverHttps(server.server, cfg);
  handleShutdown(server.server, { graceMs: cfg.SHUTDOWN_GRACE_MS, log: (line) => log().info(line) });
});

/**
 * Astro takes the client address from X-Forwarded-For whenever the Host is one of ours, so without a proxy in front
 * any client could name its own address and slip past the per-IP limits. Listeners run in order, so this one, added
 * first, sees each request before Astro's handler does.
 */
function dropForwardedHeaders(req: IncomingMessage): void {
  delete req.headers['x-forwarded-for'];
  delete req.headers['x-forwarded-proto'];
  delete req.headers['x-forwarded-port'];
}

/** The standalone server would die on a busy port with a stack trace; say it plainly instead. */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UsageError(`Port ${port} on ${host} is already in use: stop that program or set PORT.`) : e),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
