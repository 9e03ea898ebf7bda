// Work the server process must finish before it exits: background jobs stop their timers (and finish what they
// started), view counts are written, the database is checkpointed and closed. Each job registers its own step when it
// starts; scripts/start.ts runs them all once the last request is answered (scripts/lib/shutdown.ts).
//
// The hooks live on globalThis under a Symbol.for key because the built server bundles its own copy of src/server:
// the bundle's jobs and scripts/start.ts's modules are different module instances, but they share this one list.
//
//   const stop = onShutdown('views', () => flushViews(db), SHUTDOWN_ORDER.data);
//   stop(); // unregister (a job stopped for another reason)

/** Steps run in this order (lower first); steps of one order run one after another, in registration order. */
export const SHUTDOWN_ORDER = {
  /** Stop timers, finish the batch in progress; anything queued stays queued (in SQLite) for the next start. */
  jobs: 10,
  /** Write what is held in memory (view counts). */
  data: 20,
  /** Optimize, checkpoint and close the database: last. */
  database: 90,
} as const;

export interface ShutdownHook {
  name: string;
  order: number;
  run: () => void | Promise<void>;
}

const KEY = Symbol.for('b2b-classifieds.shutdown-hooks');

function hooks(): Set<ShutdownHook> {
  const g = globalThis as { [KEY]?: Set<ShutdownHook> };
  return (g[KEY] ??= new Set());
}

/** Registers a step to run at shutdown; returns its removal. */
export function onShutdown(name: string, run: ShutdownHook['run'], order: number = SHUTDOWN_ORDER.jobs): () => void {
  const hook = { name, order, run };
  hooks().add(hook);
  return () => void hooks().delete(hook);
}

/**
 * Runs every registered step once, in order; a failing step is reported and the rest still run (the database must
 * still be closed when a flush fails). Returns the names of the steps that failed. The jobs' steps (finish the batch
 * in progress) are waited for at most `jobsWithinMs` in all (SHUTDOWN_GRACE_MS): a job still busy then is left
 * behind, its rows stay queued (SQLite) for the next start, and the data and database steps run regardless.
 */
export async function runShutdownHooks(
  report: (name: string, e: unknown) => void = (name, e) => console.error(`shutdown: ${name} failed:`, e),
  { jobsWithinMs = Number.POSITIVE_INFINITY, late = (name: string) => console.warn(`shutdown: ${name} still busy; left queued for the next start`) }: { jobsWithinMs?: number; late?: (name: string) => void } = {},
): Promise<string[]> {
  const steps = [...hooks()].sort((a, b) => a.order - b.order);
  hooks().clear();
  const failed: string[] = [];
  const jobsDeadline = performance.now() + jobsWithinMs;
  for (const step of steps) {
    try {
      if (step.order > SHUTDOWN_ORDER.jobs || !Number.isFinite(jobsWithinMs)) {
        await step.run();
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const outOfTime = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), Math.max(0, jobsDeadline - performance.now()));
      });
      const ended = await Promise.race([Promise.resolve(step.run()).then(() => 'done' as const), outOfTime]).finally(() => clearTimeout(timer));
      if (ended === 'late') late(step.name);
    } catch (e) {
      failed.push(step.name);
      report(step.name, e);
    }
  }
  return failed;
}
