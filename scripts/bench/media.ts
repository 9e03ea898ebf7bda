// `npm run bench:media [-- --runs 5]`: prints JSON figures for storing a 12-megapixel JPEG (4000x3000) in the three
// WebP widths: wall time per image and the process's peak memory. The photos are made first in this process; the
// measuring runs in a fresh child, so neither the generator's memory nor its warm caches count.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { storeImage } from '../../src/server/media/index.ts';

function photo(seed: number): Promise<Buffer> {
  // Sensor-like noise makes a JPEG of a phone photo's size (about 4 MB); flat colour would compress to nothing.
  return sharp({
    create: { width: 4000, height: 3000, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 100 + seed * 10, sigma: 20 } },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/**
 * The process's peak resident memory in MB. Linux's VmHWM belongs to this program image; getrusage's maxRSS would
 * carry over the peak of the parent that spawned us (it survives fork and exec).
 */
function peakRssMB(): number {
  const status = fs.existsSync('/proc/self/status') ? fs.readFileSync('/proc/self/status', 'utf8') : '';
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  return Math.round((hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024);
}

async function measure(dir: string): Promise<void> {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-media-data-'));
  const baseline = process.memoryUsage().rss;
  const timesMs: number[] = [];
  let peakRssFirstMB = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(path.join(dir, f));
    const started = performance.now();
    await storeImage(bytes, dataDir);
    timesMs.push(Math.round(performance.now() - started));
    peakRssFirstMB ||= peakRssMB();
  }
  const sorted = [...timesMs].sort((a, b) => a - b);
  const storedBytes = (fs.readdirSync(path.join(dataDir, 'media'), { recursive: true }) as string[])
    .map((f) => path.join(dataDir, 'media', f))
    .filter((f) => fs.statSync(f).isFile())
    .reduce((sum, f) => sum + fs.statSync(f).size, 0);
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      timesMs,
      medianMs: sorted[Math.floor(sorted.length / 2)],
      // The first image alone, then after all of them: glibc's per-thread arenas keep some freed memory.
      peakRssFirstMB,
      peakRssMB: peakRssMB(),
      rssBeforeMB: Math.round(baseline / 2 ** 20),
      storedKBPerImage: Math.round(storedBytes / files.length / 1024),
    }),
  );
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--measure');
  if (at > 0) return measure(process.argv[at + 1]!);
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-media-'));
  try {
    let inputBytes = 0;
    for (let i = 0; i < runs; i++) {
      const bytes = await photo(i);
      inputBytes += bytes.length;
      fs.writeFileSync(path.join(dir, `${i}.jpg`), bytes);
    }
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--measure', dir], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(child.stderr);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    console.log(
      JSON.stringify(
        {
          media: {
            input: { width: 4000, height: 3000, format: 'jpeg', averageMB: +(inputBytes / runs / 2 ** 20).toFixed(2) },
            output: 'webp 320/800/1600',
            cpus: os.cpus().length,
            ...result,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
