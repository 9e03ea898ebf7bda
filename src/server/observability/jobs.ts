// One run of a background job: timed, counted in /metrics and logged (info when it did something, debug when it
// found nothing to do, so a quiet site's log stays quiet). A failure is logged and swallowed: a busy database or a
// full disk must not stop the server, and the job's next round tries again.
import { onShutdown } from '../lifecycle.ts';
import { log } from './log.ts';
import { countJobRun } from './metrics.ts';

export async function runJob(job: string, run: () => number | Promise<number>): Promise<number | undefined> {
  const started = performance.now();
  try {
    const done = await run();
    countJobRun(job, true);
    log()[done > 0 ? 'info' : 'debug']({ job, done, ms: Math.round(performance.now() - started) }, 'job run');
    return done;
  } catch (err) {
    countJobRun(job, false);
    log().error({ job, err, ms: Math.round(performance.now() - started) }, 'job failed');
    return undefined;
  }
}

/**
 * A job on a timer: a first round after `firstAfterMs`, then one every `everyMs`, each through runJob, one at a
 * time. When the server stops (src/server/lifecycle.ts) the timers end and a round in progress is finished before
 * the database closes; whatever the job had not reached stays where it is queued (SQLite) for the next start.
 * Returns a function that runs a round now (or joins the one in progress).
 */
export function scheduleJob(
  job: string,
  { firstAfterMs, everyMs }: { firstAfterMs: number; everyMs: number },
  run: () => number | Promise<number>,
): () => Promise<unknown> {
  let inProgress: Promise<unknown> | null = null;
  const round = () => (inProgress ??= runJob(job, run).finally(() => (inProgress = null)));
  const first = setTimeout(round, firstAfterMs).unref();
  const timer = setInterval(round, everyMs).unref();
  onShutdown(job, async () => {
    clearTimeout(first);
    clearInterval(timer);
    await inProgress;
  });
  return round;
}
