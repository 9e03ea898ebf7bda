// Every public page and job reads listings through an index, in the order it needs, with and without the planner's
// statistics: a full scan or a temp B-tree sort over listings costs seconds at a million listings while looking fine
// on a few hundred rows. The use cases are listed in tests/helpers/page-queries.ts (one line each); every statement
// each one executes is checked, so a new query is covered as soon as the page that runs it is listed there.
import { and, desc, eq, gt } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { listings } from '../../db/schema.ts';
import { demoSample, PAGE_QUERIES, type Sample } from '../helpers/page-queries.ts';
import { explain, formatPlan, planProblems, recordStatements } from '../helpers/query-plans.ts';
import { freshDb } from '../helpers/db.ts';

const LISTINGS = 20_000;
const NOW = Date.UTC(2026, 5, 1);

let sample: Sample;
beforeAll(() => {
  sample = demoSample(freshDb(), LISTINGS, NOW);
}, 120_000);

async function problemsOf(run: (s: Sample) => unknown): Promise<string[]> {
  const { statements } = await recordStatements(() => run(sample));
  expect(statements.length).toBeGreaterThan(0);
  return statements.flatMap((s) => {
    const plan = explain(sample.db, s);
    return planProblems(s.sql, plan).map((p) => `${p}\n  in: ${s.sql}\n${formatPlan(plan)}`);
  });
}

const statistics = (db: Sample['db']) => db.$client.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sqlite_stat1'`).get() as { n: number };

describe('without statistics (no ANALYZE has run)', () => {
  beforeAll(() => {
    if (statistics(sample.db).n > 0) sample.db.$client.exec('DELETE FROM sqlite_stat1; ANALYZE sqlite_schema');
  });

  it.each(PAGE_QUERIES)('%s', async (_name, run) => {
    expect(await problemsOf(run)).toEqual([]);
  });
});

describe('the check itself (still without statistics)', () => {
  it('catches the regression migration 0003 caused: live listings through (status, expires_at), then sorted', async () => {
    // The shape liveCondition had before: a plain range on expires_at, which makes (status, expires_at) an index choice.
    const { statements } = await recordStatements(() =>
      sample.db
        .select({ id: listings.id })
        .from(listings)
        .where(and(eq(listings.status, 'active'), gt(listings.expiresAt, NOW), eq(listings.cityId, sample.db.select().from(listings).get()!.cityId)))
        .orderBy(desc(listings.publishedAt))
        .limit(20)
        .all(),
    );
    const list = statements.at(-1)!;
    expect(planProblems(list.sql, explain(sample.db, list))).toEqual([expect.stringMatching(/^sort over listings: USE TEMP B-TREE FOR ORDER BY/)]);
  });

  it('catches a full scan of listings', () => {
    const sql = 'SELECT count(*) FROM listings l WHERE l.views > ?';
    expect(planProblems(sql, explain(sample.db, { sql, params: [10] }))).toEqual([expect.stringMatching(/^full scan: SCAN l/)]);
  });
});

describe('with statistics (after ANALYZE)', () => {
  beforeAll(() => {
    sample.db.$client.exec('ANALYZE');
  });

  it.each(PAGE_QUERIES)('%s', async (_name, run) => {
    expect(await problemsOf(run)).toEqual([]);
  });
});
