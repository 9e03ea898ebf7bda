import { openDatabase } from './src/server/db.ts';
import { getBrowsePage, getHomePage } from './src/server/browse/index.ts';
import { forgetCounts } from './src/server/listings/counts.ts';
const t0 = performance.now();
const db = openDatabase('/tmp/big/site.db');
console.log('open+migrate', (performance.now() - t0).toFixed(0), 'ms');
const now = Date.now();
const time = (name: string, fn: () => unknown, n = 5) => {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  console.log(name.padEnd(40), ((performance.now() - t0) / n).toFixed(2), 'ms');
};
time('counts (cold) + home', () => { forgetCounts(db); getHomePage(db, now); }, 3);
time('home (counts cached)', () => getHomePage(db, now));
for (const [r, c, p] of [['jiangxi', undefined, 1], ['jiangxi', undefined, 100], ['nanchang', undefined, 1], ['nanchang', undefined, 100], ['ganzhou', undefined, 50], ['ruijin', undefined, 1], ['ruijin', undefined, 40], [undefined, 'steel', 1], [undefined, 'steel', 100], [undefined, 'rebar', 1], ['nanchang', 'steel', 1], ['ruijin', 'rebar', 1], ['jiujiang', 'tea', 1]] as const)
  time(`${r ?? '-'} x ${c ?? '-'} p${p}`, () => { try { getBrowsePage(db, { regionSlug: r, categorySlug: c, page: p }, now); } catch (e) { return e; } });
