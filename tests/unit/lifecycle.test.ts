// The shutdown steps: run in order (jobs, then data, then the database), each once, a failure reported without
// stopping the rest; shared by every copy of the module (the built bundle and scripts/start.ts).
import { describe, expect, it, vi } from 'vitest';
import { onShutdown, runShutdownHooks, SHUTDOWN_ORDER } from '../../src/server/lifecycle.ts';

describe('shutdown hooks', () => {
  it('run in order, each once; a failing step is reported and the rest still run', async () => {
    const ran: string[] = [];
    onShutdown('close db', () => void ran.push('db'), SHUTDOWN_ORDER.database);
    onShutdown('flush', async () => {
      await Promise.resolve();
      ran.push('flush');
      throw new Error('disk full');
    }, SHUTDOWN_ORDER.data);
    onShutdown('stop timer', () => void ran.push('timer'));
    const removed = onShutdown('removed', () => void ran.push('removed'));
    removed();
    const report = vi.fn();
    expect(await runShutdownHooks(report)).toEqual(['flush']);
    expect(ran).toEqual(['timer', 'flush', 'db']);
    expect(report).toHaveBeenCalledWith('flush', expect.objectContaining({ message: 'disk full' }));
    expect(await runShutdownHooks(report)).toEqual([]);
    expect(ran).toHaveLength(3);
  });

  it('are kept on globalThis, so another copy of the module (the server bundle) shares them', async () => {
    const copy = await import('../../src/server/lifecycle.ts?copy' as string) as typeof import('../../src/server/lifecycle.ts');
    const ran: string[] = [];
    copy.onShutdown('in the bundle', () => void ran.push('bundle'));
    await runShutdownHooks();
    expect(ran).toEqual(['bundle']);
  });
});

describe('shutdown hooks with a bound on jobs', () => {
  it('stop waiting for a job past the bound, and still run the data and database steps', async () => {
    const ran: string[] = [];
    let finishJob = () => {};
    onShutdown('busy job', () => new Promise<void>((resolve) => (finishJob = resolve)));
    onShutdown('quick job', () => void ran.push('quick'));
    onShutdown('close db', () => void ran.push('db'), SHUTDOWN_ORDER.database);
    const late = vi.fn();
    expect(await runShutdownHooks(undefined, { jobsWithinMs: 0, late })).toEqual([]);
    expect(late).toHaveBeenCalledWith('busy job');
    // The quick job and the database still ran (the quick one is not late: it was done when awaited).
    expect(ran).toEqual(['quick', 'db']);
    finishJob();
  });
});
