// `npm run bench:leads [-- --listings 1000000 --samples 50]`: prints JSON figures of lead matching:
//  - quality: precision@5 on the hand-labelled fixture (tests/fixtures/leads-matching.ts), per demand too;
//  - latency: matching one new listing (findMatches, every search through searchListings) against a demo database
//    of --listings listings, for --samples live demand and supply listings, as p50/p95 in milliseconds.
// The databases are written into a temporary folder and deleted afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { listings } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { findMatches } from '../../src/server/leads/match.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';
import { percentiles, step } from '../lib/stats.ts';
import { precisionAt5 } from './leads-quality.ts';

const USAGE = 'npm run bench:leads -- [--listings 1000000] [--samples 50]';
const REFERENCE = { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' };


runCli(async () => {
  const opts = args({ listings: { type: 'string', default: '100000' }, samples: { type: 'string', default: '50' } }, USAGE);
  const count = Number(opts.listings);
  const samples = Number(opts.samples);
  if (!Number.isInteger(count) || count < 100 || !Number.isInteger(samples) || samples < 1) throw new UsageError(`Usage: ${USAGE}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-leads-'));
  try {
    const now = Date.now();
    step('quality on the fixture');
    const fixtureDb = openDatabase(path.join(dir, 'fixture.db'));
    seedTaxonomy(fixtureDb, REFERENCE);
    const quality = await precisionAt5(fixtureDb, now);
    fixtureDb.$client.close();

    step(`writing ${count} demo listings`);
    const db = openDatabase(path.join(dir, 'demo.db'));
    seedTaxonomy(db, REFERENCE);
    writeDemoData(db, { listings: count, seed: 1, now });
    step('building the search index');
    ensureSearchIndex(db, now);
    db.$client.exec('ANALYZE');
    const timings: Record<string, number[]> = { demand: [], supply: [] };
    for (const kind of ['demand', 'supply'] as const) {
      const subjects = db
        .select()
        .from(listings)
        .where(and(eq(listings.status, 'active'), eq(listings.kind, kind)))
        .limit(samples)
        .all();
      step(`matching ${subjects.length} ${kind} listings`);
      for (const s of subjects) {
        const started = performance.now();
        await findMatches(db, s, now);
        timings[kind]!.push(performance.now() - started);
      }
    }
    db.$client.close();
    console.log(
      JSON.stringify(
        {
          machine: machine(),
          quality: {
            demands: quality.perDemand.length,
            precisionAt5: Math.round(quality.precision * 1000) / 1000,
            msPerDemand: Math.round(quality.msPerDemand * 10) / 10,
            weakest: quality.perDemand.filter((d) => d.precision < 1),
          },
          listings: count,
          matchNewDemandMs: percentiles(timings.demand!),
          matchNewSupplyMs: percentiles(timings.supply!),
        },
        null,
        2,
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
