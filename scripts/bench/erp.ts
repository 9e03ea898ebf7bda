// `npm run bench:erp [-- --listings 5000]` (after `npm run build`): an ERP loads its catalogue through the built
// server's API over HTTP (scripts/lib/erp.ts) and this prints how long each step took, as JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startServer } from '../lib/server-process.ts';
import { erpToken, runErp } from '../lib/erp.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';

const USAGE = 'npm run bench:erp -- [--listings N]';

runCli(async () => {
  const opts = args({ listings: { type: 'string', default: '5000' } }, USAGE);
  const size = Number(opts.listings);
  if (!Number.isInteger(size) || size < 10 || size > 11_000) throw new UsageError(`--listings is 10 to 11000 (the token's minute).\nUsage: ${USAGE}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-erp-'));
  const server = await startServer({ DATA_DIR: dir, DEMO_LISTINGS: '0' });
  try {
    const token = erpToken(dir);
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#468' } }).jpeg().toBuffer();
    const report = await runErp(server.url, token, size, photo, (step) => process.stderr.isTTY && process.stderr.write(`\r${step}      `));
    if (process.stderr.isTTY) process.stderr.write('\n');
    const perSecond = (ms: number) => Math.round((size / Math.max(ms, 1)) * 1000);
    console.log(
      JSON.stringify(
        {
          machine: machine(),
          listings: size,
          firstLoad: { ...report.load, listingsPerSecond: perSecond(report.load.ms) },
          sameCatalogueAgain: { ...report.reload, listingsPerSecond: perSecond(report.reload.ms) },
          tenChanged: report.change,
          malformed: report.malformed.summary,
          image: report.image,
          reconcile: report.reconcile,
          rateLimitRemaining: report.rateLimitRemaining,
        },
        null,
        2,
      ),
    );
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
