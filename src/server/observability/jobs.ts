// One run of a background job: timed, counted in /metrics and logged (info when it did something, debug when it
// found nothing to do, so a quiet site's log stays quiet). A failure is logged and swallowed: a busy database or a
// full disk must not stop the server, and the job's next round tries again.
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
