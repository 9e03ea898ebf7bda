// `npm start` / `npm run serve`: check the settings and the data folder, migrate, seed, then serve the built site.
// `astro build` compiles this file to dist/server/start.mjs (scripts/lib/bundle-start.mjs), which those commands run
// with plain node; `npm run dev` runs it with tsx. They pass node `--max-semi-space-size=8`: V8 otherwise sizes the
// young generation from the machine's memory, and under 50 connections the heap grew to ~240 MB, most of it garbage
// awaiting collection (~60 MB with the flag, at a million listings). Deployments start it the same way.
// Preparing (migrations, reference data, demo data, the search index) runs in a child process, this same script with
// --prepare-only (`npm run dev` runs that too, ahead of Astro's dev server): what it reads and builds, tens of MB at a
// million listings and a heap grown by seeding, is returned to the system when the child exits instead of staying in
// the server's memory.
import { spawn } from 'node:child_process';
import type { IncomingMessage, Server } from 'node:http';
import net from 'node:net';
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
  if (process.argv.includes('--prepare-only')) {
    const started = Date.now();
    // Imported here, so the serving process never loads the demo generator and the indexer (a chunk of its own in
    // dist/server/start.mjs's build).
    const { prepareSite } = await import('../src/server/bootstrap.ts');
    const { demo } = prepareSite(getDb(), cfg);
    if (demo) log().info({ ...demo, ms: Date.now() - started }, 'seeded demo data');
    closeDb();
    return;
  }
  const prepared = await prepareInChild();
  if (prepared !== 0) {
    // The child has said what went wrong.
    process.exitCode = prepared;
    return;
  }
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

/** Runs this script with --prepare-only, as node runs this one; a stop signal meanwhile is passed on. Its exit code. */
function prepareInChild(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--prepare-only'], { stdio: 'inherit' });
  const pass = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', pass).on('SIGINT', pass);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', pass).off('SIGINT', pass);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
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
