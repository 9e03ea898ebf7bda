// `npm run import -- --company <slug> <file.csv> [--lang en]`: imports a CSV of listings for a company, as its owner,
// the same way the dashboard's import page does. Prints what was created, updated, unchanged and which lines failed
// and why; exits 1 when any row failed, so a scheduled sync notices.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { findCompanyBySlug } from '../src/server/companies/queries.ts';
import { config } from '../src/server/config.ts';
import { getDb } from '../src/server/db.ts';
import { translator } from '../src/server/i18n/index.ts';
import { ImportFileError, importListings } from '../src/server/import/index.ts';
import { describeFileError, describeImport } from '../src/server/import/report.ts';
import { seedTaxonomy } from '../src/server/taxonomy/seed.ts';
import { runCli, UsageError } from './lib/cli.ts';

const USAGE = 'npm run import -- --company <company-slug> <file.csv> [--lang zh-CN|en]';

runCli(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      options: { company: { type: 'string' }, lang: { type: 'string', default: 'zh-CN' } },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nUsage: ${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (!values.company || positionals.length !== 1) throw new UsageError(`Name one company and one file.\nUsage: ${USAGE}`);
  if (values.lang !== 'zh-CN' && values.lang !== 'en') throw new UsageError(`--lang is zh-CN or en.\nUsage: ${USAGE}`);
  const t = translator(values.lang);
  const file = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UsageError(`Cannot read ${file}: ${(e as Error).message}`);
  }

  const cfg = config();
  const db = getDb();
  seedTaxonomy(db, { regionsFile: cfg.REGIONS_FILE, categoriesFile: cfg.CATEGORIES_FILE });
  const company = findCompanyBySlug(db, values.company);
  if (!company) throw new UsageError(`No company has the slug "${values.company}" in ${cfg.dbFile}.`);
  if (!company.ownerId) throw new UsageError(`The company "${values.company}" has no owner account to post as.`);

  let report;
  try {
    report = await importListings(db, company.ownerId, bytes, Date.now());
  } catch (e) {
    if (e instanceof ImportFileError) throw new UsageError(`${file}: ${describeFileError(e, t)}`);
    throw e;
  }
  const text = describeImport(report, t);
  console.log(`${company.name} (${company.slug}) ← ${file}`);
  console.log(text.summary);
  for (const f of text.failures) console.log(`  ${f.line}: ${f.reasons.join('; ')}`);
  if (text.notes.length > 0) console.log(t('import.notes'));
  for (const n of text.notes) console.log(`  ${n.line}: ${n.reasons.join('; ')}`);
  if (report.failed.length > 0) process.exitCode = 1;
});
