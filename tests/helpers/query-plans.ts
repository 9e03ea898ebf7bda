// Reads the plans of the SQL a piece of code actually runs: every statement executed while a function runs is
// recorded (with its parameters) and put through EXPLAIN QUERY PLAN, so a plan test names use cases, not SQL.
import Database from 'better-sqlite3';
import type { Db } from '../../src/server/db.ts';

export interface Executed {
  sql: string;
  params: unknown[];
}

type Method = 'all' | 'get' | 'run' | 'iterate';
const METHODS: Method[] = ['all', 'get', 'run', 'iterate'];

let recording: Executed[] | null = null;

// Drizzle and the search engine prepare their own statements (some cached across calls), so the hook sits on the
// prototype every better-sqlite3 statement shares rather than on a connection.
const probe = new Database(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<Method, (...args: unknown[]) => unknown> & { source: string };
probe.close();
for (const m of METHODS) {
  const original = proto[m];
  proto[m] = function (this: { source: string }, ...args: unknown[]) {
    recording?.push({ sql: this.source, params: args });
    return original.apply(this, args);
  };
}

/**
 * Runs fn and returns what it returned and every statement it executed, in order, without repeats, and how many
 * statements it executed in all (repeats counted: an N+1 read shows here).
 */
export async function recordStatements<T>(fn: () => T | Promise<T>): Promise<{ result: T; statements: Executed[]; executed: number }> {
  const seen: Executed[] = [];
  recording = seen;
  try {
    const result = await fn();
    const unique = new Map(seen.map((s) => [s.sql, s]));
    return { result, statements: [...unique.values()], executed: seen.length };
  } finally {
    recording = null;
  }
}

export interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

export function explain(db: Db, s: Executed): PlanRow[] {
  return db.$client.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...(s.params as [])) as PlanRow[];
}

/** The names a statement gives the listings table: `listings` and any alias it is read under. */
function listingsNames(sql: string): Set<string> {
  const names = new Set(['listings']);
  for (const m of sql.matchAll(/\blistings"?\s+(?:as\s+)?"?([a-z_]\w*)"?/gi)) {
    if (!/^(where|on|join|inner|left|cross|order|group|limit|set|using|natural|values|select|union)$/i.test(m[1]!)) names.add(m[1]!);
  }
  return names;
}

/**
 * What is wrong with a plan at scale: a full scan of listings (of the table or of a whole index of it), or a temp
 * B-tree that sorts, groups or deduplicates rows the statement reads from listings.
 */
export function planProblems(sql: string, plan: PlanRow[]): string[] {
  const names = listingsNames(sql);
  const readsListings = (row: PlanRow) => {
    const m = /^(?:SCAN|SEARCH) (?:TABLE )?"?(\w+)"?/.exec(row.detail);
    return m !== null && names.has(m[1]!);
  };
  const problems: string[] = [];
  for (const row of plan) {
    const scan = /^SCAN (?:TABLE )?"?(\w+)"?/.exec(row.detail);
    if (scan && names.has(scan[1]!)) problems.push(`full scan: ${row.detail}`);
    if (/^USE TEMP B-TREE/.test(row.detail) && plan.some((r) => r.parent === row.parent && readsListings(r))) {
      problems.push(`sort over listings: ${row.detail}`);
    }
  }
  return problems;
}

export function formatPlan(plan: PlanRow[]): string {
  const depth = new Map<number, number>([[0, 0]]);
  return plan
    .map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d)}${r.detail}`;
    })
    .join('\n');
}
