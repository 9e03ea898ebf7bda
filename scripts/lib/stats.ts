// What the benches print: progress lines on stderr (stdout stays JSON) and percentiles of timings.

/** A progress line on stderr, with the time. */
export const step = (what: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${what}\n`);

/** Count, p50, p95 and max of samples, rounded to `digits` decimals. */
export function percentiles(samples: number[], digits = 1) {
  const s = [...samples].sort((a, b) => a - b);
  const f = 10 ** digits;
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * f) / f;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}
