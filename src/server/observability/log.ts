// The one logger of the process (pino): JSON lines for machines, pretty lines on a terminal. Every line written while
// a request is being answered carries that request's id, because the middleware runs the request inside a scope the
// logger reads. Secrets never reach the output: redaction by field name, and e-mail addresses masked in any text.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { config } from '../config.ts';
import { countDroppedLogLine } from './metrics.ts';

export type { Logger } from 'pino';

/**
 * The built server bundles its own copy of src/server, beside the copy scripts/start.ts imports; one scope on
 * globalThis lets a line written through either copy (Astro's own console lines too) find the request it belongs to.
 */
const scope: AsyncLocalStorage<{ requestId: string }> = ((globalThis as Record<symbol, unknown>)[Symbol.for('b2b.requestScope')] ??=
  new AsyncLocalStorage()) as AsyncLocalStorage<{ requestId: string }>;

/** Runs `fn` as part of one request: every log line written meanwhile says which. */
export function inRequest<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

/** Runs `fn` outside any request: timers it starts (background jobs) must not carry the id of the request that started them. */
export function outsideRequest<T>(fn: () => T): T {
  return scope.exit(fn);
}

/** Field names whose values are never written. */
const SECRET_FIELDS = [
  'password',
  'passwordRepeat',
  'currentPassword',
  'newPassword',
  'token',
  'apiToken',
  'apiKey',
  'secret',
  'cookie',
  'cookies',
  'authorization',
  'set-cookie',
  'masterKey',
];
const EMAIL_FIELDS = ['email', 'to', 'from'];

function paths(names: string[]): string[] {
  return names.flatMap((n) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(n) ? n : `["${n}"]`;
    const dotted = key.startsWith('[') ? key : `.${key}`;
    return [key, `*${dotted}`];
  });
}

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const HAS_EMAIL = new RegExp(EMAIL.source);

/** `z***@example.com`: enough to tell two people apart in a log, not enough to write to them. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, '$1***@$2');
}

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** Where lines go (tests pass a stream); JSON lines go to `fd` (stdout) by default. */
  destination?: DestinationStream;
  fd?: number;
  /** JSON lines waiting for a slow reader of `fd` are held up to this many bytes; past it new lines are dropped and counted. */
  bufferBytes?: number;
}

/**
 * Lines are written without waiting, so a reader of stdout slower than the server (a log shipper, journald, a pipe
 * behind) leaves them queued in the process, with no bound: at 20,000 requests a second, a reader that stops
 * leaves about 6 MB more queued every second (a request's line is about 300 bytes). Bounded, lines past the buffer
 * are dropped and counted instead, and a line says how many once the reader has caught up.
 */
export const LOG_BUFFER_BYTES = 8 * 2 ** 20;

/** Where JSON lines go; `report` is told, once the reader has caught up, how many were dropped meanwhile. */
function jsonLines(fd: number, bufferBytes: number, report: (dropped: number) => void): DestinationStream {
  const stream = pino.destination({ dest: fd, sync: false, maxLength: bufferBytes });
  let unreported = 0;
  stream.on('drop', () => {
    countDroppedLogLine();
    unreported++;
  });
  stream.on('drain', () => {
    if (unreported === 0) return;
    const dropped = unreported;
    unreported = 0;
    report(dropped);
  });
  return stream;
}

export function createLogger({ level = 'info', format: fmt = 'json', destination, fd = 1, bufferBytes = LOG_BUFFER_BYTES }: LoggerOptions = {}): Logger {
  const stream =
    destination ??
    (fmt === 'pretty'
      ? pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l' })
      : jsonLines(fd, bufferBytes, (dropped) => logger.warn({ dropped }, 'log lines dropped: stdout was read slower than they were written')));
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: {
      // Top level and one level down (`*.x`); deeper wildcards cost tens of µs a line, so the one deeper shape that
      // carries secrets, request headers, is named.
      paths: [...paths([...SECRET_FIELDS, ...EMAIL_FIELDS]), ...['cookie', 'authorization'].map((h) => `req.headers.${h}`)],
      censor: (value, path) =>
        EMAIL_FIELDS.includes(String(path.at(-1))) ? (typeof value === 'string' ? maskEmails(value) : '[redacted]') : '[redacted]',
    },
    mixin: () => {
      const s = scope.getStore();
      return s ? { requestId: s.requestId } : {};
    },
    hooks: {
      // Messages are free text (errors quote their input): mask addresses there too.
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? maskEmails(a) : a instanceof Error ? maskedError(a) : a)) as Parameters<typeof method>,
        );
      },
    },
    serializers: { err: (e: Error) => pino.stdSerializers.err(maskedError(e)) },
  };
  const logger = pino(options, stream);
  return logger;
}

function maskedError(e: Error): Error {
  if (!HAS_EMAIL.test(e.message) && !HAS_EMAIL.test(e.stack ?? '')) return e;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(e) as object) as Error, e);
  copy.message = maskEmails(e.message);
  copy.stack = e.stack && maskEmails(e.stack);
  return copy;
}

let current: Logger | undefined;

/** The process's logger, configured from LOG_LEVEL and LOG_FORMAT (auto: pretty when stdout is a terminal). */
export function log(): Logger {
  if (!current) {
    const cfg = config();
    const fmt = cfg.LOG_FORMAT === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : cfg.LOG_FORMAT;
    current = createLogger({ level: cfg.LOG_LEVEL, format: fmt });
  }
  return current;
}

/**
 * Sends console.* through the logger, so that with JSON logs every line on stdout is JSON: Astro's own messages and
 * any library's included. Arguments are formatted as console would, then masked like any message.
 */
export function routeConsole(logger: Logger = log()): void {
  const to = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const err = args.find((a): a is Error => a instanceof Error);
    const text = format(...args.map((a) => (a instanceof Error ? a.message : a)));
    if (err) logger[level]({ err }, text);
    else logger[level](text);
  };
  console.debug = to('debug');
  console.log = to('info');
  console.info = to('info');
  console.warn = to('warn');
  console.error = to('error');
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the one a trusted proxy in front sent (so its access log and ours join), else a new one. From an
 * untrusted client the header is ignored, so nobody can make their requests look like someone else's.
 */
export function requestIdFrom(header: string | null, trustProxy: boolean): string {
  return trustProxy && header && REQUEST_ID.test(header) ? header : randomUUID();
}
