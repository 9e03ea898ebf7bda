// The job runner every background job goes through (scheduleJob): a job works batch after batch until it says no
// more, a kick during a round brings one more round (work queued after the round's claim is not left waiting for the
// timer), and at shutdown the batch in progress finishes and no further batch starts. Driven step by step: no timing.
import { describe, expect, it } from 'vitest';
import { runShutdownHooks } from '../../src/server/lifecycle.ts';
import { scheduleJob, type Batch } from '../../src/server/observability/jobs.ts';

// Far enough that the timers never fire during a test (and below setTimeout's 2^31 ms limit).
const NEVER = { firstAfterMs: 2 ** 30, everyMs: 2 ** 30 };

/** A job whose batches wait until the test lets each one finish with the answer it chooses. */
function gatedJob(name: string) {
  const waiting: ((b: Batch) => void)[] = [];
  const job = scheduleJob(name, NEVER, () => new Promise<Batch>((resolve) => waiting.push(resolve)));
  const next = async (b: Batch) => {
    // Let the runner reach its next batch (it paces with a macrotask between batches).
    while (waiting.length === 0) await new Promise((r) => setImmediate(r));
    waiting.shift()!(b);
  };
  return { job, waiting, next };
}

describe('the job runner', () => {
  it('runs batch after batch while the job says more, in one round', async () => {
    const calls: number[] = [];
    const answers: Batch[] = [{ done: 2, more: true }, { done: 2, more: true }, { done: 1, more: false }];
    const job = scheduleJob('batches', NEVER, () => (calls.push(calls.length), answers[calls.length - 1]!));
    await job.round();
    expect(calls).toEqual([0, 1, 2]);
    await runShutdownHooks();
  });

  it('runs one more round when kicked during a round', async () => {
    const { job, waiting, next } = gatedJob('kicked');
    job.kick();
    expect(waiting).toHaveLength(1);
    job.kick(); // work queued while the round runs
    job.kick(); // several kicks are one more round
    const round = job.round();
    await next({ done: 1, more: false });
    await next({ done: 1, more: false });
    await round;
    expect(waiting).toHaveLength(0);
    await runShutdownHooks();
  });

  it('at shutdown finishes the batch in progress and starts no other', async () => {
    const { job, waiting, next } = gatedJob('stopping');
    job.kick();
    expect(waiting).toHaveLength(1);
    let stopped = false;
    const stopping = runShutdownHooks().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false); // waits for the batch in progress
    await next({ done: 1, more: true }); // it says there is more: not taken after a stop
    await stopping;
    expect(waiting).toHaveLength(0);
    job.kick(); // a stopped job does nothing
    expect(waiting).toHaveLength(0);
  });
});
