// The one job runner of the server process. A run of a job is timed, counted in /metrics and logged (info when it did
// something, debug when it found nothing to do, so a quiet site's log stays quiet). A failure is logged and swallowed:
// a busy database or a full disk must not stop the server, and the job's next round tries again.
//
// Jobs share the event loop with the pages, and SQLite answers synchronously: a job that worked through its backlog
// in one go held every request behind it (the lead matcher 18 s, the expiry reminders 1.1 s in one slice, under the
// load bench). So a job works in batches: it returns { done, more } and the runner gives way between batches, and
// while requests are being answered it also pauses, so background work takes at most a quarter of the thread under
// load and all of it when the site is idle. What is left stays queued where it is (SQLite) for the next batch.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { onShutdown } from '../lifecycle.ts';
import { log } from './log.ts';
import { countJobRun, noteJobSlice } from './metrics.ts';

/** One batch of a job: how many items it finished, and whether more may be waiting right behind them. */
export interface Batch {
  done: number;
  more: boolean;
}

type Work = () => number | Batch | Promise<number | Batch>;

/** Background work's share of the event loop while requests come in. */
const SHARE_UNDER_LOAD = 0.25;
/** A request answered this recently means traffic. */
const TRAFFIC_WINDOW_MS = 200;
const MAX_PAUSE_MS = 1_000;

let lastRequestAt = Number.NEGATIVE_INFINITY;

/** Called for every answered request (./requests.ts): jobs slow down while there is traffic. */
export function noteRequest(at = performance.now()): void {
  lastRequestAt = at;
}

/**
 * A pacer for one piece of background work: `await pace()` between two synchronous slices lets waiting I/O through
 * (a macrotask, so requests that arrived meanwhile are read and answered first), and under traffic also pauses for
 * three times the slice just done. Tests, with no traffic, only ever take the first branch: no timing involved.
 * With a job's name, each slice's length goes to /metrics (job_slice_max_seconds).
 */
export function pacer(job?: string): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    const now = performance.now();
    if (job) noteJobSlice(job, now - sliceStart);
    if (now - lastRequestAt < TRAFFIC_WINDOW_MS) {
      await sleep(Math.min(MAX_PAUSE_MS, Math.max(1, (now - sliceStart) * (1 / SHARE_UNDER_LOAD - 1))));
    } else {
      await nextTurn();
    }
    sliceStart = performance.now();
  };
}

/** Runs `work` batch after batch, pacing between them, until it has no more or `stop()` says so; the items done. */
async function drain(job: string, work: Work, stop: () => boolean): Promise<number> {
  const pace = pacer();
  let done = 0;
  for (;;) {
    // The batch's synchronous start (for a job that never awaits, all of it) is one slice of the loop.
    const started = performance.now();
    const pending = work();
    noteJobSlice(job, performance.now() - started);
    const r = await pending;
    if (typeof r === 'number') return done + r;
    done += r.done;
    if (!r.more || stop()) return done;
    await pace();
  }
}

/** One run of a job (all its batches), through the log and the metrics; undefined when it failed. */
export async function runJob(job: string, work: Work, stop: () => boolean = () => false): Promise<number | undefined> {
  const started = performance.now();
  try {
    const done = await drain(job, work, stop);
    countJobRun(job, true);
    log()[done > 0 ? 'info' : 'debug']({ job, done, ms: Math.round(performance.now() - started) }, 'job run');
    return done;
  } catch (err) {
    countJobRun(job, false);
    log().error({ job, err, ms: Math.round(performance.now() - started) }, 'job failed');
    return undefined;
  }
}

export interface ScheduledJob {
  /** Work was just queued: a round now, or one more right after the round in progress (which may have missed it). */
  kick(): void;
  /** A round now, or the one in progress. */
  round(): Promise<unknown>;
}

/**
 * A job on a timer: a first round after `firstAfterMs`, then one every `everyMs`, and one on every `kick()`; one
 * round at a time. When the server stops (src/server/lifecycle.ts, SIGTERM) the timers end, the round in progress
 * finishes the batch it is in, and whatever the job had not reached stays where it is queued for the next start.
 */
export function scheduleJob(job: string, { firstAfterMs, everyMs }: { firstAfterMs: number; everyMs: number }, work: Work): ScheduledJob {
  let inProgress: Promise<unknown> | null = null;
  let again = false;
  let stopped = false;
  const round = (): Promise<unknown> => {
    if (stopped) return Promise.resolve();
    return (inProgress ??= (async () => {
      try {
        do {
          again = false;
          await runJob(job, work, () => stopped);
        } while (again && !stopped);
      } finally {
        inProgress = null;
      }
    })());
  };
  const first = setTimeout(round, firstAfterMs).unref();
  const timer = setInterval(round, everyMs).unref();
  onShutdown(job, async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
    await inProgress;
  });
  return {
    kick: () => {
      if (inProgress) again = true;
      else void round();
    },
    round,
  };
}

type WarmUp = 'running' | 'done';
const warmUps = new WeakMap<object, WarmUp>();

/**
 * Start-up work run once before the instance takes traffic (/readyz says "warming up" meanwhile): what would
 * otherwise hold the event loop for the first request that needs it (loading dictionaries, first queries).
 */
export async function warmUpOnce(db: object, work: () => Promise<number>): Promise<void> {
  if (warmUps.has(db)) return;
  warmUps.set(db, 'running');
  // Not inside the request that started the jobs: it is answered first (a probe then sees "warming up").
  await nextTurn();
  await runJob('warm-up', work);
  warmUps.set(db, 'done');
}

/** Whether the warm-up of this database's server runs (undefined: none was started, as in a test). */
export function warmUpState(db: object): WarmUp | undefined {
  return warmUps.get(db);
}
