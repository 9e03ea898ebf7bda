// `npm run bench:erp [-- --listings 5000] [--data-dir DIR]` (after `npm run build`): an ERP loads its catalogue through
// the built server's API over HTTP (scripts/lib/erp.ts) and this prints how long each step took, as JSON. The site
// runs with its default settings (duplicate checks on); the ERP's company is verified. With --data-dir the server runs
// on that folder (its site.db with listings already in it, e.g. a copy of a demo dataset) and the catalogue is added
// to it; otherwise on an empty site. Exits 1 when an outcome is not what the ERP expects (the figures are then void).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { startServer } from '../lib/server-process.ts';
import { erpToken, runErp, type ErpReport } from '../lib/erp.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';

const USAGE = 'npm run bench:erp -- [--listings N] [--data-dir DIR]';

/** What a run must have done for its times to mean anything. */
function problemsOf(r: ErpReport, size: number): string[] {
  const all = (status: string) => ({ created: 0, updated: 0, unchanged: 0, error: 0, [status]: size });
  const same = (a: object, b: object) => JSON.stringify(a) === JSON.stringify({ ...b });
  const problems: string[] = [];
  if (!same(r.load.summary, all('created'))) problems.push(`first load: ${JSON.stringify(r.load.summary)}`);
  if (!same(r.reload.summary, all('unchanged'))) problems.push(`same catalogue again: ${JSON.stringify(r.reload.summary)}`);
  if (r.change.summary.updated !== 10) problems.push(`ten changed: ${JSON.stringify(r.change.summary)}`);
  if (r.malformed.summary.error !== 5) problems.push(`malformed: ${JSON.stringify(r.malformed.summary)}`);
  if (r.image.status !== 200) problems.push(`image: ${r.image.status}`);
  if (!r.reconcile.refsMatch) problems.push('reconcile: refs missing');
  return problems;
}

function listingsIn(dir: string): number {
  const db = new Database(path.join(dir, 'site.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM listings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

runCli(async () => {
  const opts = args({ listings: { type: 'string', default: '5000' }, 'data-dir': { type: 'string' } }, USAGE);
  const size = Number(opts.listings);
  if (!Number.isInteger(size) || size < 10 || size > 11_000) throw new UsageError(`--listings is 10 to 11000 (the token's minute).\nUsage: ${USAGE}`);
  const given = opts['data-dir'];
  if (given && !fs.existsSync(path.join(given, 'site.db'))) throw new UsageError(`--data-dir ${given} has no site.db.\nUsage: ${USAGE}`);
  const dir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-erp-'));
  const existing = given ? listingsIn(dir) : 0;
  const server = await startServer({ DATA_DIR: dir, DEMO_LISTINGS: '0' });
  try {
    const token = erpToken(dir);
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#468' } }).jpeg().toBuffer();
    const report = await runErp(server.url, token, size, photo, (step) => process.stderr.isTTY && process.stderr.write(`\r${step}      `));
    if (process.stderr.isTTY) process.stderr.write('\n');
    const perSecond = (ms: number) => Math.round((size / Math.max(ms, 1)) * 1000);
    const problems = problemsOf(report, size);
    console.log(
      JSON.stringify(
        {
          machine: machine(),
          listings: size,
          listingsAlreadyOnSite: existing,
          firstLoad: { ...report.load, listingsPerSecond: perSecond(report.load.ms) },
          sameCatalogueAgain: { ...report.reload, listingsPerSecond: perSecond(report.reload.ms) },
          tenChanged: report.change,
          malformed: report.malformed.summary,
          image: report.image,
          reconcile: report.reconcile,
          rateLimitRemaining: report.rateLimitRemaining,
          problems,
        },
        null,
        2,
      ),
    );
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await server.stop();
    if (!given) fs.rmSync(dir, { recursive: true, force: true });
  }
});
