// The page bench in quick mode (100,000 demo listings, short loads) against the built server, as CI runs it: it fails
// only when a page type misses its budget tenfold (page data, throughput against bare node:http, p99, memory), so
// machine noise cannot fail it and a lost index plan or a cache that stopped serving can.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const TSX = path.resolve('node_modules/.bin/tsx');

it('every page type stays within ten times its budget at 100,000 listings', async () => {
  expect(fs.existsSync('dist/server/entry.mjs'), 'the site must be built first (npm test builds it)').toBe(true);
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(TSX, ['scripts/bench.ts', '--quick'], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(stdout, stderr).toMatch(/^\{/);
  const result = JSON.parse(stdout) as { tenfoldOver: string[]; http: Record<string, { status?: number }> };
  expect(result.tenfoldOver).toEqual([]);
  for (const [name, h] of Object.entries(result.http)) if (typeof h === 'object') expect(h.status, name).toBe(200);
  expect(code).toBe(0);
}, 300_000);
