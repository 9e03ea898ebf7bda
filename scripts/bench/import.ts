// `npm run bench:import [-- --rows 5000]`: prints JSON figures for the bulk import of a GBK CSV of that many rows into
// a fresh database: parsing alone, the first import (every row created), the same file again (every row unchanged)
// and with every price changed (every row updated), each in rows per second.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { companies, users } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { importListings, MAX_ROWS } from '../../src/server/import/index.ts';
import { parseCsv } from '../../src/server/import/csv.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { encodeGbk } from '../../tests/helpers/gbk.ts';
import { args, runCli, UsageError } from '../lib/cli.ts';

const USAGE = 'npm run bench:import -- [--rows N]';

function csv(rows: number, price: string, categories: string[], regions: string[]): string {
  const lines = ['编号,类型,标题,分类,地区,价格,单位,数量,说明'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `B-${i},${i % 3 ? '供应' : '求购'},批量导入测试产品 ${i} 号,${categories[i % categories.length]},${regions[i % regions.length]},${price},吨,${100 + i},"第 ${i} 行的说明，含逗号"`,
    );
  }
  return lines.join('\r\n') + '\r\n';
}

runCli(async () => {
  const opts = args({ rows: { type: 'string', default: String(MAX_ROWS) } }, USAGE);
  const rows = Number(opts.rows);
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS) throw new UsageError(`--rows is 1 to ${MAX_ROWS}.\nUsage: ${USAGE}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  try {
    const db = openDatabase(path.join(dir, 'site.db'));
    seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
    const now = Date.now();
    db.insert(users).values({ id: 'bench', email: 'bench@example.com', passwordHash: '!', displayName: 'bench', createdAt: now }).run();
    const t = getTaxonomy(db);
    db.insert(companies)
      .values({ ownerId: 'bench', name: '压测企业', slug: 'bench', regionId: t.regions.children(t.rootRegion.id)[0]!.id, createdAt: now, updatedAt: now })
      .run();
    const categories = [...t.categories.byId.values()].filter((c) => c.parentId !== null).map((c) => c.slug);
    const regions = [...t.regions.byId.values()].filter((r) => r.level === 3).map((r) => r.nameZh);
    const file = encodeGbk(csv(rows, '3850', categories, regions));
    const changed = encodeGbk(csv(rows, '3900', categories, regions));

    const time = async <T>(fn: () => T | Promise<T>) => {
      const started = performance.now();
      const result = await fn();
      return { ms: Math.round(performance.now() - started), result };
    };
    const parse = await time(() => parseCsv(file));
    const first = await time(() => importListings(db, 'bench', file, now));
    const again = await time(() => importListings(db, 'bench', file, now + 1000));
    const update = await time(() => importListings(db, 'bench', changed, now + 2000));
    const perSecond = (ms: number) => Math.round((rows / Math.max(ms, 1)) * 1000);
    const summary = (r: Awaited<ReturnType<typeof importListings>>) => ({ created: r.created, updated: r.updated, unchanged: r.unchanged, failed: r.failed.length });
    console.log(
      JSON.stringify(
        {
          rows,
          fileBytes: file.byteLength,
          parseMs: parse.ms,
          firstImport: { ms: first.ms, rowsPerSecond: perSecond(first.ms), ...summary(first.result) },
          sameFileAgain: { ms: again.ms, rowsPerSecond: perSecond(again.ms), ...summary(again.result) },
          everyRowChanged: { ms: update.ms, rowsPerSecond: perSecond(update.ms), ...summary(update.result) },
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
