// `npm run bench:category-suggest [-- --listings 20000]`: how often the category suggested from a title is right.
// Into a fresh database of demo listings (deterministic, seed 1), then two labelled sets: titles written by hand
// the way businesses write them (scripts/bench/category-titles.json), and held-out demo titles from another seed
// (not in the index). Prints top-1 and top-3 accuracy and the time per suggestion as JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listings } from '../../db/schema.ts';
import { suggestCategories } from '../../src/server/category-suggest/index.ts';
import { openDatabase, type Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { ensureSearchIndex } from '../../src/server/search/indexer.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';

const USAGE = 'npm run bench:category-suggest -- [--listings N] [--held-out N]';
const REFERENCE = { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' };

function demoDb(dir: string, listingsCount: number, seed: number, now: number): Db {
  const db = openDatabase(path.join(dir, `demo-${seed}.db`));
  seedTaxonomy(db, REFERENCE);
  writeDemoData(db, { listings: listingsCount, seed, now });
  return db;
}

async function accuracy(db: Db, labelled: [string, string][], now: number) {
  let top1 = 0;
  let top3 = 0;
  const started = performance.now();
  const misses: { title: string; expected: string; got: string[] }[] = [];
  for (const [i, [title, slug]] of labelled.entries()) {
    const got = (await suggestCategories(db, title, now)).map((s) => s.category.slug);
    if (got[0] === slug) top1++;
    if (got.includes(slug)) top3++;
    else if (misses.length < 10) misses.push({ title, expected: slug, got });
    if (process.stderr.isTTY) process.stderr.write(`\r${i + 1}/${labelled.length}`);
  }
  if (process.stderr.isTTY) process.stderr.write('\r');
  const n = labelled.length;
  return {
    titles: n,
    top1: Math.round((top1 / n) * 1000) / 1000,
    top3: Math.round((top3 / n) * 1000) / 1000,
    msPerSuggestion: Math.round(((performance.now() - started) / n) * 10) / 10,
    firstMisses: misses,
  };
}

runCli(async () => {
  const opts = args({ listings: { type: 'string', default: '20000' }, 'held-out': { type: 'string', default: '300' } }, USAGE);
  const count = Number(opts.listings);
  const heldOut = Number(opts['held-out']);
  if (!Number.isInteger(count) || count < 100 || !Number.isInteger(heldOut) || heldOut < 1) throw new UsageError(`Usage: ${USAGE}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-suggest-'));
  try {
    const now = Date.now();
    const db = demoDb(dir, count, 1, now);
    ensureSearchIndex(db, now);
    const hand = JSON.parse(fs.readFileSync('scripts/bench/category-titles.json', 'utf8')).titles as [string, string][];
    const other = demoDb(dir, heldOut, 2, now);
    const { categories } = getTaxonomy(other);
    const demo = other
      .select({ title: listings.title, categoryId: listings.categoryId })
      .from(listings)
      .all()
      .map((l): [string, string] => [l.title, categories.byId.get(l.categoryId)!.slug]);
    other.$client.close();
    console.log(
      JSON.stringify(
        {
          machine: machine(),
          indexedListings: count,
          handWrittenTitles: await accuracy(db, hand, now),
          heldOutDemoTitles: await accuracy(db, demo, now),
        },
        null,
        2,
      ),
    );
    db.$client.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
