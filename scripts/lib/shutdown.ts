// Graceful stop of the HTTP server on SIGTERM/SIGINT (a deploy, Ctrl-C, a container stop):
// 1. stop accepting connections, but keep serving the connections already open: a request a client already sent on a
//    keep-alive connection is answered, never cut off unread (http.Server.close() would close "idle" connections,
//    and a request still in the socket's buffer looks idle); every answer from now on says `Connection: close`;
// 2. wait for the requests in flight to finish, up to SHUTDOWN_GRACE_MS, then close what is left;
// 3. run the shutdown hooks (src/server/lifecycle.ts): jobs stop, view counts are written, the database is optimized,
//    checkpointed and closed;
// 4. exit 0. A second signal exits at once.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';
import { runShutdownHooks } from '../../src/server/lifecycle.ts';

/** A connection that has been quiet this long after the last answer, while stopping, is closed. */
const IDLE_AFTER_MS = 250;

export interface ShutdownOptions {
  graceMs: number;
  log?: (line: string) => void;
  /** Ends the process (tests of this module pass their own). */
  exit?: (code: number) => void;
}

/** Installs the signal handlers; returns the stop function they call (also usable without a signal). */
export function handleShutdown(server: Server, { graceMs, log = console.log, exit = (code) => process.exit(code) }: ShutdownOptions): (signal: string) => Promise<void> {
  const active = new Map<Socket, number>();
  let stopping: Promise<void> | null = null;
  let wake = () => {};

  server.on('connection', (socket: Socket) => {
    active.set(socket, 0);
    socket.once('close', () => {
      active.delete(socket);
      wake();
    });
  });
  // First of the request listeners, so the header is set before the site writes its answer.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    if (stopping) res.setHeader('Connection', 'close');
    res.once('close', () => {
      active.set(socket, Math.max(0, (active.get(socket) ?? 1) - 1));
      wake();
    });
  });

  const inFlight = () => [...active.values()].reduce((a, b) => a + b, 0);

  /** Resolves once no request is in flight and none has come for IDLE_AFTER_MS, or at the deadline. */
  const drained = (deadline: number) =>
    new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const check = () => {
        clearTimeout(quiet);
        if (Date.now() >= deadline) return resolve();
        if (inFlight() === 0) quiet = setTimeout(() => (inFlight() === 0 ? resolve() : check()), IDLE_AFTER_MS);
      };
      wake = check;
      setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      check();
    });

  const stop = (signal: string): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      log(`${signal}: no new connections; finishing ${inFlight()} request(s) in flight (up to ${graceMs / 1000} s), then saving and closing.`);
      // net.Server's own close stops listening and leaves the open connections alone (see the top of this file).
      net.Server.prototype.close.call(server);
      await drained(Date.now() + graceMs);
      const cut = inFlight();
      if (cut > 0) log(`shutdown: ${cut} request(s) still running after ${graceMs / 1000} s are cut off.`);
      for (const socket of active.keys()) socket.destroy();
      // Jobs finish their batch in progress within the same grace; what they have not reached stays queued.
      const failed = await runShutdownHooks(undefined, { jobsWithinMs: graceMs, late: (name) => log(`shutdown: ${name} still busy after ${graceMs / 1000} s; its rows stay queued for the next start.`) });
      log(failed.length === 0 ? 'shutdown: done.' : `shutdown: done, but these steps failed: ${failed.join(', ')}.`);
      exit(failed.length === 0 ? 0 : 1);
    })();
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now.`);
      exit(1);
      return;
    }
    void stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return stop;
}
