// Starts the built site as a child process (the same way `npm run serve` does) on a free port, for the browser
// tests and the benchmark, and stops it again.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// What `npm run serve` runs, read from package.json so tests and benches run the server as it is deployed: node
// itself (so a signal reaches the server and nothing else), the environment and flags it is given, and the start
// script `astro build` compiles (scripts/lib/bundle-start.mjs).
const { START, START_ENV } = (() => {
  const serve = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.serve ?? '';
  const m = /^((?:\w+=\S+ )*)exec node (.+)$/.exec(serve);
  if (!m) throw new Error(`package.json's serve script should be \`[NAME=value ...] exec node [flags] <script>\`, not \`${serve}\``);
  const env = Object.fromEntries(m[1]!.trim().split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return { START: m[2]!.split(/\s+/), START_ENV: env as Record<string, string> };
})();

function assertBuilt(): void {
  const script = START.at(-1)!;
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npx astro build\` first (npm test does).`);
}

const KEPT_OUTPUT_CHARS = 32 * 2 ** 20;

/**
 * Runs the built start script with the given settings (on a free port unless given one, as another user when given one: the
 * file permissions a root test process sets then apply to the server); resolves once the home page answers.
 */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
  fixedPort?: number,
  user?: { uid: number; gid: number },
): Promise<RunningServer> {
  assertBuilt();
  const port = fixedPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, START, {
    env: { ...process.env, ...START_ENV, HOST: '127.0.0.1', PORT: String(port), SITE_URL: url, ASTRO_NODE_LOGGING: 'disabled', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  // The newest 32-64 MiB of output: a page bench's server logs a line per request, millions of them, past the
  // longest string V8 can hold.
  let log = '';
  const append = (d: Buffer) => {
    log += d;
    if (log.length > 2 * KEPT_OUTPUT_CHARS) log = log.slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited (${child.exitCode}) before answering:\n${log}`);
    try {
      const res = await fetch(url + '/', { signal: AbortSignal.timeout(2000) });
      if (res.ok) return { url, port, process: child, output: () => log, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`The server did not answer within ${timeoutMs} ms:\n${log}`);
}

/** Runs the built start script expecting it to fail; resolves with its exit code and output. */
export async function runStartExpectingFailure(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  assertBuilt();
  const child = spawn(process.execPath, START, { env: { ...process.env, ...START_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

/**
 * Resolves once the server's /readyz answers 200, as a balancer waits before sending traffic: its start-up warm-up
 * (the first search's loading) is then done, and a bench measures the node in service, not its first second.
 */
export async function waitReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not turn ready in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
