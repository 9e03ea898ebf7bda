// Query-plan checks: capture the SQL a use case prepares, then EXPLAIN QUERY PLAN each statement and report the
// ones that scan a growing table without an index or sort one in a temporary B-tree.
import type { Db } from '../../src/server/db.ts';

/** The statements prepared while `run` runs (sync or async). */
export async function statementsOf(db: Db, run: () => unknown): Promise<string[]> {
  const seen = new Set<string>();
  const client = db.$client;
  const prepare = client.prepare.bind(client);
  client.prepare = ((source: string) => {
    seen.add(source);
    return prepare(source);
  }) as typeof client.prepare;
  try {
    await run();
  } finally {
    client.prepare = prepare;
  }
  return [...seen];
}

/** Statements whose plan reads one of `tables` without an index, or sorts it in a temporary B-tree. */
export function unindexed(db: Db, statements: string[], tables: string[]): string[] {
  const bad: string[] = [];
  const named = (s: string) => tables.some((t) => new RegExp(`\\b${t}\\b`).test(s));
  for (const source of statements) {
    if (!/^\s*(select|update|delete|insert)/i.test(source) || /fts|search_/i.test(source)) continue;
    let plan: { detail: string }[];
    try {
      plan = db.$client.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...Array(source.split('?').length - 1).fill(1)) as { detail: string }[];
    } catch {
      continue; // named placeholders
    }
    for (const { detail } of plan) {
      if (named(detail) && /^SCAN /.test(detail) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(detail)) bad.push(`${detail}\n  in: ${source}`);
    }
    if (plan.some((p) => /USE TEMP B-TREE FOR ORDER BY/.test(p.detail)) && tables.some((t) => source.includes(`"${t}"`))) bad.push(`temp sort\n  in: ${source}`);
  }
  return bad;
}
