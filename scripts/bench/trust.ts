// `npm run bench:trust [-- --listings 1000000]`: prints JSON figures for the content rules (issue 14) against a
// temporary database holding a demo dataset of the given size, with every listing's duplicate bands written:
// the time the rule checks add to a listing write (p50/p95/max of checkListingContent + storing the bands, with 200
// prohibited words), the candidate reads, and near-duplicate precision and recall on the labelled fixture
// (tests/fixtures/duplicates.json) and on copies of listings from the dataset, and the query plan of every statement
// one check runs (how the checks scale: index lookups whose count does not grow with the dataset).
// `--data-dir DIR` works on DIR/site.db as it is (use a copy: the bench adds words, a company and a listing), writing
// demo data only when it has no listings and duplicate bands only when it has none.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, gt } from 'drizzle-orm';
import { companies, listings, prohibitedTerms } from '../../db/schema.ts';
import { backfillFingerprints, checkListingContent, setDuplicateCheck, storeFingerprint } from '../../src/server/content-rules/index.ts';
import { fingerprint, isNearDuplicate, shareBand } from '../../src/server/content-rules/minhash.ts';
import { openDatabase } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { args, machine, runCli } from '../lib/cli.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const round = (ms: number) => Math.round(ms * 1000) / 1000;
const progress = (label: string, total: number) => (done: number) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')}`);
  if (done >= total && process.stderr.isTTY) process.stderr.write('\n');
};

runCli(async () => {
  const opts = args(
    { listings: { type: 'string', default: '1000000' }, checks: { type: 'string', default: '2000' }, 'data-dir': { type: 'string' } },
    'npm run bench:trust -- [--listings N] [--checks N] [--data-dir DIR]',
  );
  const checks = Number(opts.checks);
  const given = opts['data-dir'];
  const dir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trust-'));
  try {
    const db = openDatabase(path.join(dir, 'site.db'));
    seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
    const now = Date.now();
    const countOf = (table: string) => db.$client.prepare(`select count(*) from ${table}`).pluck().get() as number;
    let t = performance.now();
    if (countOf('listings') === 0) {
      process.stderr.write(`demo data: ${Number(opts.listings).toLocaleString('en')} listings...\n`);
      writeDemoData(db, { listings: Number(opts.listings), seed: 1, now });
    }
    const size = countOf('listings');
    const demoSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    if (countOf('listing_dup_bands') === 0) backfillFingerprints(db, progress('duplicate bands', size), 10_000);
    const backfillSeconds = (performance.now() - t) / 1000;
    db.$client.exec('ANALYZE');
    setDuplicateCheck(db, true);
    for (let i = 0; i < 200; i++) db.insert(prohibitedTerms).values({ kind: 'word', value: `禁词${i}号`, createdAt: now }).onConflictDoNothing().run();

    // Inputs: half are slightly changed copies of live listings of other companies (near-duplicates that must be
    // found), half are catalogue variants of them (another specification number, which must not be).
    const sample = db
      .select({ id: listings.id, companyId: listings.companyId, title: listings.title, description: listings.description, attributes: listings.attributes, categoryId: listings.categoryId, regionId: listings.regionId, cityId: listings.cityId, topCategoryId: listings.topCategoryId })
      .from(listings)
      // Live ones only: an active listing past its expiry is no longer a listing a copy duplicates.
      .where(and(eq(listings.status, 'active'), gt(listings.expiresAt, now)))
      .limit(checks)
      .all();
    // A re-run on the same --data-dir finds its company from before.
    const company =
      db.select().from(companies).where(eq(companies.slug, 'bench-trust')).get() ??
      db.insert(companies).values({ name: '基准测试企业', slug: 'bench-trust', regionId: sample[0]!.regionId, createdAt: now, updatedAt: now }).returning().get();
    // The listing whose bands each write replaces (a draft: never a duplicate candidate itself).
    const own = db.insert(listings).values({ ...sample[0]!, id: undefined, companyId: company.id, kind: 'supply', slug: 'bench', status: 'draft', createdAt: now, updatedAt: now, cityId: sample[0]!.cityId, topCategoryId: sample[0]!.topCategoryId }).returning().get();
    const times: number[] = [];
    // CPU time beside wall time: on a machine shared with other work the wall time includes waiting for a core.
    const cpuTimes: number[] = [];
    let copiesFound = 0;
    let variantsFlagged = 0;
    let copies = 0;
    let variants = 0;
    sample.forEach((l, i) => {
      const copy = i % 2 === 0;
      const title = copy ? `${l.title}！` : `${l.title} 规格${i}号`;
      const input = { title, description: l.description, attributes: l.attributes, categorySlugs: ['bench'] };
      const started = performance.now();
      const cpu = process.cpuUsage();
      const verdict = checkListingContent(db, { id: company.id, verified: true }, input, { isNew: false, now });
      db.transaction((tx) => storeFingerprint(tx, own.id, verdict.fingerprint), { behavior: 'immediate' });
      times.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      cpuTimes.push((used.user + used.system) / 1000);
      if (copy) {
        copies++;
        if (verdict.duplicateOfOtherCompany !== null) copiesFound++;
      } else {
        variants++;
        if (verdict.duplicateOfOtherCompany !== null) variantsFlagged++;
      }
    });
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    const bandRows = db.$client.prepare('select count(*) from listing_dup_bands').pluck().get() as number;

    const fixture = JSON.parse(fs.readFileSync('tests/fixtures/duplicates.json', 'utf8')) as { pairs: { duplicate: boolean; a: string[]; b: string[] }[] };
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const p of fixture.pairs) {
      const a = fingerprint(p.a);
      const b = fingerprint(p.b);
      const found = shareBand(a, b) && isNearDuplicate(a, b);
      if (found && p.duplicate) tp++;
      else if (found) fp++;
      else if (p.duplicate) fn++;
    }

    // The plan of each statement one check runs (recorded after the timing, so the recording costs it nothing).
    const { explain, formatPlan, recordStatements } = await import('../../tests/helpers/query-plans.ts');
    const probe = sample[0]!;
    const { statements } = await recordStatements(() =>
      checkListingContent(db, { id: company.id, verified: false }, { title: probe.title, description: probe.description, attributes: probe.attributes, categorySlugs: ['bench'] }, { isNew: false, now }),
    );
    const plans = statements.map((st) => ({ sql: st.sql.replace(/\s+/g, ' ').slice(0, 160), plan: formatPlan(explain(db, st)).trim().split('\n').map((l) => l.trim()) }));

    console.log(
      JSON.stringify(
        {
          machine: { ...machine(), loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10) },
          datasetListings: size,
          setupSeconds: { demoData: Math.round(demoSeconds), duplicateBands: Math.round(backfillSeconds) },
          bandRows,
          ruleCheckMsPerWrite: { checks: times.length, p50: round(percentile(times, 0.5)), p95: round(percentile(times, 0.95)), max: round(times.at(-1)!), prohibitedWords: 200 },
          ruleCheckCpuMsPerWrite: { p50: round(percentile(cpuTimes, 0.5)), p95: round(percentile(cpuTimes, 0.95)), max: round(cpuTimes.at(-1)!) },
          duplicatesAtScale: {
            copies,
            copiesFound,
            recall: round(copiesFound / Math.max(1, copies)),
            variants,
            variantsFlagged,
            precision: round(copiesFound / Math.max(1, copiesFound + variantsFlagged)),
          },
          duplicatesFixture: { pairs: fixture.pairs.length, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: round(tp / Math.max(1, tp + fp)), recall: round(tp / Math.max(1, tp + fn)) },
          statementsPerCheck: statements.length,
          plans,
        },
        null,
        2,
      ),
    );
    db.$client.close();
  } finally {
    if (!given) fs.rmSync(dir, { recursive: true, force: true });
  }
});
